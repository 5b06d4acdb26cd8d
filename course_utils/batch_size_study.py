"""Experiments on the batch size, for lesson 6: gradient noise, time per epoch, time to a target loss.

Everything trains ``course_utils.models.Dense`` with ``course_utils.fit`` and
``course_utils.optimizers.SGD``, so a sweep over many batch sizes and
learning rates takes seconds. ``make_model`` is a function with no arguments
that returns a fresh Dense with the same initial weights each call, for
example ``lambda: Dense(1, rng=0)``.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from course_utils import _checks, batching, losses
from course_utils.optimizers import SGD
from course_utils.training import fit


def _batch_sizes(batch_sizes, n_samples: int | None = None) -> list[int]:
    if isinstance(batch_sizes, (str, bytes)) or not isinstance(batch_sizes, Sequence) or not batch_sizes:
        raise TypeError(f"batch_sizes must be a non-empty list of whole numbers >= 1, got {batch_sizes!r}")
    sizes = [_checks.positive_int("batch_sizes", b) for b in batch_sizes]
    if n_samples is not None and max(sizes) > n_samples:
        raise ValueError(f"batch_sizes must be <= n_samples={n_samples}, got {max(sizes)}")
    return sizes


def _flat_gradient(model, X, y, loss) -> np.ndarray:
    return np.concatenate([g.ravel() for g in model.loss_and_gradients(X, y, loss)[1]])


def gradient_noise(model, X, y, *, loss, batch_sizes, n_batches: int = 200, rng=None) -> np.ndarray:
    """How far a mini-batch gradient lies from the full-batch gradient, one number per batch size.

    For each ``b`` in ``batch_sizes`` the gradient of ``loss`` (all parameters,
    flattened) is taken on ``n_batches`` mini-batches of ``b`` samples, the
    batches of successive shuffled epochs as training draws them (the last
    partial batch is skipped). Returns the root-mean-square distance
    ``sqrt(mean ||g_b - g_full||^2)``, shape ``(len(batch_sizes),)``.
    X has shape ``(n_samples, n_inputs)``, y ``(n_samples,)``. The model is not changed.
    """
    X, y = _checks.paired_arrays(X, y)
    sizes = _batch_sizes(batch_sizes, len(X))
    n_batches = _checks.positive_int("n_batches", n_batches)
    loss, rng = losses.get(loss), _checks.rng_from(rng)
    full = _flat_gradient(model, X, y, loss)
    noise = []
    for batch_size in sizes:
        squared = []
        while len(squared) < n_batches:
            for batch in batching.batch_indices(len(X), batch_size, shuffle=True, rng=rng, drop_remainder=True):
                squared.append(np.sum((_flat_gradient(model, X[batch], y[batch], loss) - full) ** 2))
                if len(squared) == n_batches:
                    break
        noise.append(np.sqrt(np.mean(squared)))
    return np.array(noise)


def linear_scaling(base_learning_rate: float, base_batch_size: int) -> Callable[[int], float]:
    """The linear scaling rule (Goyal et al. 2017): ``batch_size -> base_learning_rate * batch_size / base_batch_size``."""
    base_learning_rate = _checks.positive_float("base_learning_rate", base_learning_rate)
    base_batch_size = _checks.positive_int("base_batch_size", base_batch_size)
    return lambda batch_size: base_learning_rate * batch_size / base_batch_size


@dataclass
class Run:
    """One training run: its settings, the training loss after each epoch and the time each epoch took."""

    batch_size: int
    learning_rate: float
    steps_per_epoch: int
    losses: list[float] = field(default_factory=list)  # loss on all of X after each epoch, as evaluate() gives it
    epoch_seconds: list[float] = field(default_factory=list)  # wall time of each epoch's updates
    step_losses: list[float] = field(default_factory=list)  # the batch loss of every update
    diverged: str | None = None  # the FloatingPointError message, when training blew up

    @property
    def seconds_per_epoch(self) -> float:
        """Median wall time of one epoch (NaN before the first epoch)."""
        return float(np.median(self.epoch_seconds)) if self.epoch_seconds else float("nan")

    def epochs_to(self, target_loss: float) -> int | None:
        """The first epoch (1-based) after which the loss is <= ``target_loss``; None if never."""
        target_loss = _checks.positive_float("target_loss", target_loss)
        reached = [epoch for epoch, value in enumerate(self.losses, 1) if value <= target_loss]
        return reached[0] if reached else None

    def steps_to(self, target_loss: float) -> int | None:
        """Updates made until the end of the epoch that reached ``target_loss``; None if never."""
        epochs = self.epochs_to(target_loss)
        return None if epochs is None else epochs * self.steps_per_epoch

    def seconds_to(self, target_loss: float) -> float | None:
        """Training time until the end of the epoch that reached ``target_loss``; None if never."""
        epochs = self.epochs_to(target_loss)
        return None if epochs is None else float(np.sum(self.epoch_seconds[:epochs]))


def train(
    make_model: Callable,
    X,
    y,
    *,
    loss,
    batch_size: int,
    learning_rate: float,
    epochs: int,
    target_loss: float | None = None,
    rng=0,
) -> Run:
    """Train ``make_model()`` with plain SGD, one epoch at a time, timing each epoch.

    Stops after ``epochs`` epochs, once the loss on all of X is <= ``target_loss``
    (when given), or when the loss turns NaN/inf: then ``Run.diverged`` holds
    the FloatingPointError message instead of raising. X ``(n_samples, n_inputs)``, y ``(n_samples,)``.
    """
    if not callable(make_model):
        raise TypeError(f"make_model must be a function with no arguments returning a Dense, got {make_model!r}")
    X, y = _checks.paired_arrays(X, y)
    batch_size = _checks.positive_int("batch_size", batch_size)
    epochs = _checks.positive_int("epochs", epochs)
    if target_loss is not None:
        target_loss = _checks.positive_float("target_loss", target_loss)
    model, optimizer, rng = make_model(), SGD(learning_rate), _checks.rng_from(rng)
    run = Run(batch_size, optimizer.learning_rate, batching.steps_per_epoch(len(X), batch_size))
    for _ in range(epochs):
        start = time.perf_counter()
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows on its way to inf
                history = fit(model, X, y, loss=loss, optimizer=optimizer, batch_size=batch_size, rng=rng, verbose=0)
        except FloatingPointError as error:
            run.diverged = str(error)
            break
        run.epoch_seconds.append(time.perf_counter() - start)
        run.step_losses.extend(history.step_losses)
        with np.errstate(over="ignore", invalid="ignore"):
            run.losses.append(model.loss(X, y, loss))
        if not np.isfinite(run.losses[-1]):
            run.diverged = f"the loss on all samples became {run.losses[-1]} after epoch {len(run.losses)}"
            break
        if target_loss is not None and run.losses[-1] <= target_loss:
            break
    return run


def sweep(
    make_model: Callable,
    X,
    y,
    *,
    loss,
    batch_sizes,
    learning_rate,
    epochs: int,
    target_loss: float | None = None,
    rng: int = 0,
) -> list[Run]:
    """One ``train`` run per batch size; returns the Runs in the order of ``batch_sizes``.

    ``learning_rate`` is a number (the same for every batch size) or a function
    of the batch size, such as ``linear_scaling(0.01, 32)``. Every run starts
    from the same weights and shuffles with ``numpy.random.default_rng(rng)``.
    """
    sizes = _batch_sizes(batch_sizes, len(np.asarray(X)))
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
        raise TypeError(f"rng must be an int seed (each run restarts from it), got {rng!r}")
    if callable(learning_rate):
        rate_of = learning_rate
    elif isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool):
        rate_of = lambda batch_size: learning_rate  # noqa: E731
    else:
        raise TypeError(f"learning_rate must be a number or a function of the batch size, got {learning_rate!r}")
    return [
        train(make_model, X, y, loss=loss, batch_size=b, learning_rate=rate_of(b), epochs=epochs,
              target_loss=target_loss, rng=rng)
        for b in sizes
    ]
