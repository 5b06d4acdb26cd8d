"""An interactive explorer: how batch size, learning rate and epochs change training.

``explore_batch_size()`` returns an ipywidgets widget with three sliders. Every
change retrains a ``course_utils`` Dense layer with ``course_utils.fit`` (NumPy,
plain SGD) and redraws the loss per step (update) and per epoch, with the step
count ``steps_per_epoch x epochs = total updates``. Training is seeded, so the
same settings always draw the same curves: only the slider you moved changes.

Show it as the last expression of a cell::

    from course_utils.experiments.explorer import explore_batch_size
    explore_batch_size()

Outside a live kernel (nbconvert, GitHub) the widget falls back to a PNG of
its current figure.

The axes stay readable at any setting: each y-axis is limited to the run's range,
with a few labelled ticks, and a run whose loss grows past ``DIVERGING`` times its
first value is marked as diverging, with the axis cut at that height. The plot is
drawn at ``PIXEL_RATIO`` times its displayed size (``WIDTH_PX`` CSS pixels wide),
so that it stays sharp (a 72-dpi image stretched to the output's width was blurred).
"""

from __future__ import annotations

import base64
import io
import math
import numbers
import re
import time

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from course_utils.reference import arguments, batching, datasets, losses
from course_utils.reference.models import Dense, check_activation
from course_utils.reference.optimizers import SGD
from course_utils.reference.training import History, fit

DEFAULT_LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
DEFAULT_EPOCHS = tuple(range(1, 31))
START = {"batch_size": batching.DEFAULT_BATCH_SIZE, "learning_rate": 0.01, "epochs": 10}
"""Where the sliders start, where the options allow: Keras' default batch size and SGD's default learning rate."""
DIVERGING = 100.0
"""A run whose loss grows past this many times its first value is marked diverging; the y-axis stops there."""
FIGSIZE, SHOWN_DPI = (9.0, 3.2), 108
"""The figure in inches, and CSS pixels per inch: the plot is shown WIDTH_PX wide (or the output's width, if less)."""
WIDTH_PX = round(FIGSIZE[0] * SHOWN_DPI)
PIXEL_RATIO = 1.5
"""Pixels drawn per CSS pixel shown: sharp on ordinary screens and on screens of 1.5 device pixels per CSS pixel."""
SLIDER_WIDTH, LABEL_WIDTH, READOUT_WIDTH = 480, 110, 100
"""Each slider's width in pixels, of which its label and its readout take these; the rest is the track."""


def _options(name: str, values, check) -> tuple:
    """The slider's options: a non-empty sequence of distinct values, each passed through ``check``, sorted."""
    name = f"explore_batch_size: {name}"
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__") or not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be a sequence of numbers, got {arguments.describe(values)}")
    if len(values) > 1000:
        raise ValueError(f"{name} must hold at most 1000 values (one slider position each), got {len(values)}")
    checked = sorted({check(name, value) for value in values})
    if not checked:
        raise ValueError(f"{name} must hold at least one value, got {values!r}")
    return tuple(checked)


def _start(options: tuple, target) -> object:
    """The option nearest to ``target`` (the smaller one on a tie)."""
    return min(options, key=lambda option: (abs(np.log(option / target)), option))


def _default_batch_sizes(n_samples: int) -> tuple[int, ...]:
    """Powers of two below ``n_samples``, then ``n_samples`` itself (full batch)."""
    return tuple(2**k for k in range(int(np.log2(n_samples)) + 1) if 2**k < n_samples) + (n_samples,)


def _units(loss: losses.Loss, y: np.ndarray) -> int:
    """Outputs the layer needs: one per class for sparse categorical cross-entropy, else y's columns."""
    if loss is losses.SPARSE_CATEGORICAL_CROSSENTROPY:
        return max(int(np.max(y)) + 1, 1)
    return 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))


def history_for(X, y, *, loss, activation, batch_size: int, learning_rate: float, epochs: int, seed: int) -> History:
    """The History of one slider setting: a fresh Dense (weights from ``seed``) fitted with SGD, shuffling seeded too.

    Raises FloatingPointError on divergence. (``batch_size_study.train`` is another
    function: it times each epoch and returns a ``Run``.)
    """
    X, y = arguments.paired_arrays(X, y, "history_for", check_finite=True)
    rng = arguments.rng_from(seed, "history_for: seed")  # an int seed >= 0 or a Generator
    n_inputs = 1 if X.ndim == 1 else X.shape[1]
    model = Dense(n_inputs, _units(losses.get(loss, "history_for: loss"), y), activation, rng=seed)
    rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) else rng
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported, not warned about
        return fit(model, X, y, loss=loss, optimizer=SGD(learning_rate), batch_size=batch_size,
                   epochs=epochs, rng=rng, verbose=0)


class BatchSizeExplorer(widgets.VBox):
    """Sliders for batch size, learning rate and epochs above the loss curves they produce.

    ``history`` is the last run's History (None if it diverged), ``message``
    the step count shown, and ``last_update_ms`` how long the last change took.
    """

    def __init__(self, X, y, *, loss, activation, epochs, batch_sizes, learning_rates, seed: int):
        self.X, self.y, self.loss, self.activation, self.seed = X, y, loss, activation, seed
        self.batch_size_slider = self._slider("batch size", batch_sizes, START["batch_size"], str)
        self.learning_rate_slider = self._slider("learning rate", learning_rates, START["learning_rate"], "{:g}".format)
        self.epochs_slider = self._slider("epochs", epochs, START["epochs"], str)
        self.steps_html = widgets.HTML()
        # Drawn at PIXEL_RATIO x its size, shown at its size: a widget box would stretch a smaller image to fit.
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{WIDTH_PX}px", max_width="100%",
                                                                       height="auto"))
        self.image.add_class("course-explorer-plot")
        self.figure, self.lines, self.notes = self._figure()
        self.history: History | None = None
        self.message = ""
        self.last_update_ms = 0.0
        self._png = b""
        sliders = [self.batch_size_slider, self.learning_rate_slider, self.epochs_slider]
        super().__init__([widgets.HBox(sliders, layout=widgets.Layout(flex_flow="row wrap")), self.steps_html, self.image])
        self.add_class("course-explorer")
        for slider in sliders:
            slider.observe(self.update, names="value")
        self.update()

    @staticmethod
    def _slider(description: str, options: tuple, target, label) -> widgets.SelectionSlider:
        # A label of fixed width leaves every slider the same long track: each option is a step a drag can hit.
        return widgets.SelectionSlider(
            options=[(label(option), option) for option in options],
            value=_start(options, target),
            description=description,
            continuous_update=False,
            style={"description_width": f"{LABEL_WIDTH}px"},
            layout=widgets.Layout(width=f"{SLIDER_WIDTH}px"),
        )

    @staticmethod
    def _figure():
        figure = Figure(figsize=FIGSIZE, dpi=SHOWN_DPI * PIXEL_RATIO)
        FigureCanvasAgg(figure)  # draws to a pixel buffer we encode ourselves
        axes = figure.subplots(1, 2)
        lines, notes = [], []
        for ax, xlabel, title in zip(axes, ("step (update)", "epoch"), ("loss per step (batch loss)", "loss per epoch")):
            lines.append(ax.plot([], [], linewidth=1)[0])
            notes.append(ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", color="firebrick",
                                 bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8}))
            ax.set(xlabel=xlabel, ylabel="loss (log scale)", title=title, yscale="log")
            # Few ticks (log_ticks, set at each draw) and no minor ticks: each tick label costs drawing time.
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.yaxis.set_minor_locator(NullLocator())
        figure.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.9, wspace=0.25)
        return figure, lines, notes

    @property
    def settings(self) -> dict:
        """The current ``batch_size``, ``learning_rate`` and ``epochs``."""
        return {
            "batch_size": self.batch_size_slider.value,
            "learning_rate": self.learning_rate_slider.value,
            "epochs": self.epochs_slider.value,
        }

    def update(self, change=None) -> None:
        """Retrain with the current settings and redraw (the sliders call this)."""
        start = time.perf_counter()
        settings = self.settings
        n_samples = len(self.X)
        steps = batching.steps_per_epoch(n_samples, settings["batch_size"])
        self.message = (
            f"steps per epoch = ⌈{n_samples} / {settings['batch_size']}⌉ = {steps}; "
            f"total updates = {steps} × {settings['epochs']} epochs = {steps * settings['epochs']}"
        )
        try:
            self.history = history_for(self.X, self.y, loss=self.loss, activation=self.activation, seed=self.seed, **settings)
            result, curves = self._result(), (self.history.step_losses, self.history.history["loss"])
            note = diverging_note(self.history.step_losses)
            if note:
                result += f"<br><b style='color:firebrick'>{note.replace(chr(10), ' ')}</b>"
        except FloatingPointError as error:
            self.history, curves = None, ([], [])
            step = re.search(r"at step (\d+)", str(error))
            note = f"diverged at step {step.group(1) if step else '?'}:\nlower the learning rate"
            result = f"<b style='color:firebrick'>{error}</b>"
        self._draw(curves, note)
        self.steps_html.value = f"{self.message}<br>{result}"
        self.last_update_ms = (time.perf_counter() - start) * 1000

    def _result(self) -> str:
        losses_per_epoch = self.history.history["loss"]
        return f"loss in the last epoch: {losses_per_epoch[-1]:.4g} (first epoch: {losses_per_epoch[0]:.4g})"

    def _draw(self, curves, note: str) -> None:
        settings = self.settings
        lengths = (batching.total_steps(len(self.X), settings["batch_size"], settings["epochs"]), settings["epochs"])
        for line, note_text, values, length in zip(self.lines, self.notes, curves, lengths):
            values = np.asarray(values, dtype=float)
            values = np.where(np.isfinite(values) & (values > 0), values, np.nan)  # log axis: no zeros or infs
            line.set_data(np.arange(1, len(values) + 1), values)
            line.set_marker("." if length <= 60 else "")
            note_text.set_text(note)
            ax = line.axes
            low, high = y_range(values)
            ax.set_ylim(low, high)
            ax.yaxis.set_major_locator(FixedLocator(log_ticks(low, high)))
            ax.set_xlim(0, length + 1)  # the whole run, even when it diverged early
        self._png = self._render_png()
        self.image.value = self._png

    def _render_png(self) -> bytes:
        """The figure as PNG bytes; fast compression, since the image only travels to the browser."""
        canvas = self.figure.canvas
        canvas.draw()
        image = PIL.Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        """The live widget, plus a PNG (shown at WIDTH_PX) and the step count for places with no kernel."""
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(self._png).decode("ascii")
        bundle["text/plain"] = self.message
        return bundle, {"image/png": {"width": WIDTH_PX}}


def diverging_note(step_losses) -> str:
    """'' for a run whose loss stays below DIVERGING x its first value; else where it passed that, for the plot."""
    values = np.asarray(step_losses, dtype=float)
    if len(values) == 0 or not np.isfinite(values[0]) or values[0] <= 0:
        return ""
    above = np.flatnonzero(~(values <= DIVERGING * values[0]))  # NaN and inf count as above
    if len(above) == 0:
        return ""
    peak = np.nanmax(np.where(np.isfinite(values), values, np.nan)) if np.isfinite(values).any() else math.inf
    return (f"diverging: past {DIVERGING:g}x its first loss at step {above[0] + 1}\n"
            f"(up to {peak:.2g}); lower the learning rate")


def y_range(values: np.ndarray) -> tuple[float, float]:
    """Log-axis limits: the positive finite values' range, cut at DIVERGING x the first, with a margin."""
    shown = values[np.isfinite(values) & (values > 0)]
    if len(shown) == 0:
        return 0.1, 10.0
    ceiling = DIVERGING * shown[0]
    low, high = float(np.min(shown)), float(min(np.max(shown), ceiling))
    return low / 1.3, high * 1.3


def log_ticks(low: float, high: float, most: int = 5) -> list[float]:
    """At least two and at most ``most`` tick values in [low, high] for a log axis: 1, 2, 5 x 10^k if they fit."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for subs in ((1, 2, 5), (1,)):
        for stride in (1, 2, 3, 5, 10, 20, 50, 100):
            ticks = [m * 10.0**k for k in range(first, last + 1) if k % stride == 0 for m in subs]
            inside = [t for t in ticks if low <= t <= high]
            if 2 <= len(inside) <= most:
                return inside
    # a narrow range (a flat loss): three ticks spread over it, with as few digits as keep them inside
    for digits in range(2, 8):
        inside = sorted({t for t in (float(f"{v:.{digits}g}") for v in np.geomspace(low, high, 3)) if low <= t <= high})
        if len(inside) >= 2:
            return inside
    return [low, high]


def explore_batch_size(
    X=None,
    y=None,
    *,
    loss="mse",
    activation: str = "linear",
    epochs=DEFAULT_EPOCHS,
    batch_sizes=None,
    learning_rates=DEFAULT_LEARNING_RATES,
    rng=0,
) -> BatchSizeExplorer:
    """A widget to try batch sizes, learning rates and epochs on one problem, retraining on every change.

    X has shape ``(n_samples, n_inputs)`` (or ``(n_samples,)``) and y
    ``(n_samples,)``; by default ``datasets.linear_regression()`` (100 samples,
    ``y = 4 + 3x + noise``). ``epochs``, ``batch_sizes`` and ``learning_rates``
    are the values the sliders offer; ``batch_sizes=None`` offers the powers of
    two below ``n_samples`` and ``n_samples`` itself. The sliders start at the
    options nearest to batch size 32, learning rate 0.01 and 10 epochs.
    ``rng`` (an int seed or a Generator) fixes the initial weights and the
    shuffling, the same for every run.
    """
    fn = "explore_batch_size"
    if (X is None) != (y is None):
        raise ValueError(f"{fn}: X and y must be given together, or both left as None for datasets.linear_regression()")
    if X is None:
        X, y = datasets.linear_regression()
    X, y = arguments.paired_arrays(X, y, fn, check_finite=True)
    loss = losses.get(loss, f"{fn}: loss")
    check_activation(f"{fn}: activation", activation)
    if X.ndim not in (1, 2):
        raise ValueError(f"{fn}: X must have shape (n_samples,) or (n_samples, n_inputs), got {X.shape}")
    if len(X) > 100_000:
        raise ValueError(f"{fn}: X must hold at most 100000 samples (every slider move retrains), got {len(X)}")
    # the layer that every slider move trains: checked once here, so that a move cannot fail on bad data
    n_inputs = 1 if X.ndim == 1 else X.shape[1]
    Dense(n_inputs, _units(loss, y), activation, rng=0).checked_targets(loss, y, len(X), fn)
    if batch_sizes is None:
        batch_sizes = _default_batch_sizes(len(X))
    batch_sizes = _options("batch_sizes", batch_sizes, arguments.positive_int)
    learning_rates = _options("learning_rates", learning_rates, arguments.positive_float)
    epochs = _options("epochs", epochs, arguments.positive_int)
    batching.check_updates(fn, max(epochs) * batching.steps_per_epoch(len(X), min(batch_sizes)),
                           f"epochs={max(epochs)} with {len(X)} samples and batch_size={min(batch_sizes)}")
    generator = arguments.rng_from(rng, f"{fn}: rng")  # checks rng's type
    seed = int(rng) if isinstance(rng, numbers.Integral) else int(generator.integers(2**31))
    return BatchSizeExplorer(X, y, loss=loss, activation=activation, epochs=epochs, batch_sizes=batch_sizes,
                             learning_rates=learning_rates, seed=seed)
