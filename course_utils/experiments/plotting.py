"""Figures of the course: loss curves, gradient-descent paths, which sample lands in which batch.

Every function draws on ``ax`` (a new figure when None) and returns the Axes.
The x-axis always says what it counts: ``epoch`` or ``step (update)``.
Importing it lets matplotlib draw Hangul with a Korean font when one is installed
(``course_utils.experiments.fonts``).
"""

from __future__ import annotations

import matplotlib.axes
import matplotlib.pyplot as plt
import numpy as np

from course_utils.reference import arguments, batching
from course_utils.experiments import fonts

fonts.use_korean_font()

X_LABELS = {"epoch": "epoch", "step": "step (update)"}


def _axes(ax):
    if ax is not None and not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(f"ax must be None (a new figure) or a matplotlib Axes, got {arguments.describe(ax)}")
    return ax if ax is not None else plt.subplots(figsize=(6, 4))[1]


def plot_loss(curves, *, per: str = "epoch", ax=None, ylabel: str = "loss", logy: bool = False):
    """Draw loss curves against epoch or step, one line per curve.

    ``curves`` is a sequence of losses, or a dict ``{label: sequence}``; ``per``
    is ``"epoch"`` (x = 1, 2, ...) or ``"step"`` (x = 1, 2, ... updates).
    """
    if not isinstance(per, str) or per not in X_LABELS:
        raise (ValueError if isinstance(per, str) else TypeError)(
            f"plot_loss: per must be 'epoch' or 'step', got {arguments.describe(per)}")
    arguments.flag("plot_loss: logy", logy)
    if not isinstance(ylabel, str):
        raise TypeError(f"plot_loss: ylabel must be a string, got {arguments.describe(ylabel)}")
    if not isinstance(curves, dict):
        curves = {None: curves}
    if not curves:
        raise ValueError("plot_loss: curves must hold at least one curve, got an empty dict")
    checked = {}
    for label, values in curves.items():
        name = "plot_loss: curves" + ("" if label is None else f"[{label!r}]")
        values = arguments.numeric_array(name, values, dtype=float)
        if values.ndim != 1 or len(values) == 0:
            raise ValueError(f"{name} must be a non-empty 1-D sequence of losses, got shape {values.shape}")
        checked[label] = values
    ax = _axes(ax)
    for label, values in checked.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_xlabel(X_LABELS[per])
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if any(label is not None for label in curves):
        ax.legend()
    return ax


def plot_gd_paths(loss_fn, paths: dict, *, ax=None, grid: int = 120, margin: float = 0.5, labels=("w", "b")):
    """Draw the contours of a two-parameter ``loss_fn(w, b)`` and a path of parameters per method.

    ``paths`` maps a label to an array of shape ``(n_updates + 1, 2)``:
    the parameters before the first update, then after each one.
    """
    fn = "plot_gd_paths"
    if not callable(loss_fn):
        raise TypeError(f"{fn}: loss_fn must be a function loss_fn(w, b) -> float, got {arguments.describe(loss_fn)}")
    if not isinstance(paths, dict) or not paths:
        raise TypeError(f"{fn}: paths must be a non-empty dict {{label: array of shape (n_updates + 1, 2)}}, got {arguments.describe(paths)}")
    paths = {label: arguments.finite(f"{fn}: paths[{label!r}]", arguments.numeric_array(f"{fn}: paths[{label!r}]", p, dtype=float))
             for label, p in paths.items()}
    for label, path in paths.items():
        if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
            raise ValueError(f"{fn}: paths[{label!r}] must have shape (n_updates + 1, 2), got {path.shape}")
    grid = arguments.positive_int(f"{fn}: grid", grid, minimum=2)
    if grid > 1000:
        raise ValueError(f"{fn}: grid must be at most 1000 (grid**2 loss evaluations), got {grid}")
    margin = arguments.finite_float(f"{fn}: margin", margin, minimum=0)
    if isinstance(labels, str) or not hasattr(labels, "__len__") or len(labels) != 2:
        raise TypeError(f"{fn}: labels must be two axis labels such as ('w', 'b'), got {arguments.describe(labels)}")
    ax = _axes(ax)
    points = np.concatenate(list(paths.values()))
    low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
    W, B = np.meshgrid(np.linspace(low[0], high[0], grid), np.linspace(low[1], high[1], grid))
    Z = np.vectorize(loss_fn)(W, B)
    _log_contours(ax, W, B, Z - Z.min())
    for label, path in paths.items():
        path = np.asarray(path, dtype=float)
        ax.plot(path[:, 0], path[:, 1], ".-", markersize=3, linewidth=1, label=f"{label} ({len(path) - 1} updates)")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.legend()
    return ax


def _log_contours(ax, W, B, excess) -> None:
    """Filled contours of ``excess`` (loss above the grid's lowest) on log-spaced levels, with a colour bar.

    Log-spaced levels keep the neighbourhood of the optimum readable, where linear ones merge into one band.
    """
    from matplotlib.colors import LogNorm

    top = float(excess.max())
    if not top > 0:  # a flat loss: nothing to shade
        return
    floor = max(float(excess[excess > 0].min()), top * 1e-6)
    levels = np.geomspace(floor, top, 13)
    filled = ax.contourf(W, B, np.clip(excess, floor, top), levels=levels, norm=LogNorm(floor, top), cmap="viridis")
    decades = 10.0 ** np.arange(np.ceil(np.log10(floor)), np.floor(np.log10(top)) + 1)
    ax.figure.colorbar(filled, ax=ax, ticks=decades, format="%.0e", label="loss above the lowest in view (log scale)")


def plot_batch_assignment(n_samples: int, batch_size: int | None, epochs: int = 3, *, shuffle=True, rng=None, ax=None):
    """A grid, one row per epoch and one column per sample, coloured by the batch the sample lands in."""
    fn = "plot_batch_assignment"
    n_samples = arguments.positive_int(f"{fn}: n_samples", n_samples)
    if n_samples > 10_000:
        raise ValueError(f"{fn}: n_samples must be at most 10000 (one column per sample), got {n_samples}")
    batching.steps_per_epoch(n_samples, arguments.optional_int(f"{fn}: batch_size", batch_size))
    epochs = arguments.positive_int(f"{fn}: epochs", epochs)
    if epochs > 1000:
        raise ValueError(f"{fn}: epochs must be at most 1000 (one row per epoch), got {epochs}")
    shuffle = batching.shuffle_mode(f"{fn}: shuffle", shuffle)
    rng = arguments.rng_from(rng, f"{fn}: rng")  # one generator for all epochs: a new order each epoch
    ax = _axes(ax)
    grid = np.empty((epochs, n_samples), dtype=int)
    for epoch in range(epochs):
        for number, batch in enumerate(batching.batch_indices(n_samples, batch_size, shuffle=shuffle, rng=rng)):
            grid[epoch, batch] = number + 1
    n_batches = grid.max()
    image = ax.imshow(grid, aspect="auto", cmap=plt.get_cmap("viridis", n_batches), interpolation="nearest",
                      vmin=0.5, vmax=n_batches + 0.5)
    ax.set_xlabel("sample index")
    ax.set_ylabel("epoch")
    ax.set_yticks(range(epochs), [str(e + 1) for e in range(epochs)])
    ax.figure.colorbar(image, ax=ax, label="batch (step within the epoch)", ticks=range(1, n_batches + 1))
    return ax
