"""Experiments on the batch size, for lesson 6: gradient noise, time per epoch, work to a target loss.

``train`` and ``sweep`` train ``course_utils.reference.models.Dense`` with ``course_utils.fit``
and ``course_utils.reference.optimizers.SGD``, timing each epoch; ``train_steps`` runs the
same plain SGD update by update and records the loss on all samples after each
one, so that the work to a target is counted exactly, in updates and
sample-gradients. ``make_model`` is a function with no arguments
that returns a fresh Dense with the same initial weights each call, for
example ``lambda: Dense(1, rng=0)``.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from course_utils.reference import arguments, batching, losses
from course_utils.reference.models import Dense
from course_utils.reference.optimizers import SGD
from course_utils.reference.training import fit


def _batch_sizes(batch_sizes, n_samples: int | None = None, fn: str = "") -> list[int]:
    name = f"{fn}: batch_sizes"
    if isinstance(batch_sizes, (str, bytes)) or not isinstance(batch_sizes, (Sequence, np.ndarray)) or not len(batch_sizes):
        raise TypeError(f"{name} must be a non-empty list of whole numbers >= 1, got {arguments.describe(batch_sizes)}")
    sizes = [arguments.positive_int(name, b) for b in batch_sizes]
    if n_samples is not None and max(sizes) > n_samples:
        raise ValueError(f"{name} must be <= n_samples={n_samples}, got {max(sizes)}")
    return sizes


def _check_model(fn: str, model) -> None:
    if not isinstance(model, Dense):
        raise TypeError(f"{fn}: model must be a course_utils.reference.models.Dense, got {arguments.describe(model)}")


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
    fn = "gradient_noise"
    _check_model(fn, model)
    X, y = arguments.paired_arrays(X, y, fn, check_finite=True)
    sizes = _batch_sizes(batch_sizes, len(X), fn)
    n_batches = arguments.positive_int(f"{fn}: n_batches", n_batches)
    if n_batches * len(sizes) > 10**6:
        raise ValueError(f"{fn}: n_batches * len(batch_sizes) must be at most 10**6 gradients, got {n_batches * len(sizes)}")
    loss, rng = losses.get(loss, f"{fn}: loss"), arguments.rng_from(rng, f"{fn}: rng")
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
    base_learning_rate = arguments.positive_float("linear_scaling: base_learning_rate", base_learning_rate)
    base_batch_size = arguments.positive_int("linear_scaling: base_batch_size", base_batch_size)

    def learning_rate(batch_size: int) -> float:
        batch_size = arguments.positive_int("linear_scaling(...): batch_size", batch_size)
        return base_learning_rate * batch_size / base_batch_size

    return learning_rate


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
        target_loss = arguments.positive_float("Run.epochs_to: target_loss", target_loss)
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


def _run_arguments(fn, make_model, X, y, loss, batch_size, epochs, target_loss):
    """The checked arguments ``train`` and ``train_steps`` share, or an error naming the bad one."""
    if not callable(make_model):
        raise TypeError(f"{fn}: make_model must be a function with no arguments returning a Dense, got {make_model!r}")
    X, y = arguments.paired_arrays(X, y, fn, check_finite=True)
    loss = losses.get(loss, f"{fn}: loss")
    batch_size = arguments.positive_int(f"{fn}: batch_size", batch_size)
    epochs = arguments.positive_int(f"{fn}: epochs", epochs)
    if target_loss is not None:
        target_loss = arguments.positive_float(f"{fn}: target_loss", target_loss)
    return X, y, loss, batch_size, epochs, target_loss


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
    fn = "train"
    X, y, loss, batch_size, epochs, target_loss = _run_arguments(
        fn, make_model, X, y, loss, batch_size, epochs, target_loss)
    batching.check_updates(fn, epochs * batching.steps_per_epoch(len(X), batch_size),
                           f"epochs={epochs} with {len(X)} samples and batch_size={batch_size}")
    optimizer = SGD(arguments.positive_float(f"{fn}: learning_rate", learning_rate))
    model, rng = make_model(), arguments.rng_from(rng, f"{fn}: rng")
    _check_model(f"{fn}: make_model()", model)
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
    fn = "sweep"
    X, y = arguments.paired_arrays(X, y, fn, check_finite=True)
    sizes = _batch_sizes(batch_sizes, len(X), fn)
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, numbers.Integral) or rng < 0:
        raise TypeError(f"{fn}: rng must be an int seed >= 0 (each run restarts from it), got {arguments.describe(rng)}")
    if callable(learning_rate):
        rate_of = learning_rate
    elif arguments.is_number(learning_rate):
        arguments.positive_float(f"{fn}: learning_rate", learning_rate)
        rate_of = lambda batch_size: learning_rate  # noqa: E731
    else:
        raise TypeError(f"{fn}: learning_rate must be a number or a function of the batch size, got {learning_rate!r}")
    rates = [arguments.positive_float(f"{fn}: learning_rate({b})", rate_of(b)) for b in sizes]
    return [
        train(make_model, X, y, loss=loss, batch_size=b, learning_rate=rate, epochs=epochs,
              target_loss=target_loss, rng=rng)
        for b, rate in zip(sizes, rates)
    ]


BLOWN_UP = 1000.0
"""``train_steps`` calls a run diverged once the loss on all of X exceeds this many times its starting value."""


@dataclass
class StepRun:
    """One SGD run recorded at every update (step): the batch loss, and the loss on all samples after it."""

    batch_size: int
    learning_rate: float
    model: Dense  # the trained model
    batch_losses: list[float] = field(default_factory=list)  # loss of each update's batch, before the update
    full_losses: list[float] = field(default_factory=list)  # loss on all of X after each update
    batch_lengths: list[int] = field(default_factory=list)  # samples in each update's batch
    diverged: int | None = None  # the update after which the loss on all of X blew up (see train_steps)

    def updates_to(self, target_loss: float) -> int | None:
        """The first update (1-based) after which the loss on all of X is <= ``target_loss``; None if never."""
        target_loss = arguments.positive_float("StepRun.updates_to: target_loss", target_loss)
        reached = np.flatnonzero(np.asarray(self.full_losses) <= target_loss)
        return int(reached[0]) + 1 if len(reached) else None

    def sample_gradients_to(self, target_loss: float) -> int | None:
        """Per-sample gradients computed until ``updates_to(target_loss)``: the sum of those batches' lengths."""
        updates = self.updates_to(target_loss)
        return None if updates is None else int(np.sum(self.batch_lengths[:updates]))


def train_steps(
    make_model: Callable,
    X,
    y,
    *,
    loss,
    batch_size: int,
    learning_rate: float,
    epochs: int,
    target_loss: float | None = None,
    max_updates: int | None = None,
    rng=0,
) -> StepRun:
    """Plain SGD on ``make_model()``, recording the batch loss and the loss on all of X at every update.

    Each epoch shuffles with ``rng`` (an int seed or a Generator) and keeps the
    last partial batch, as ``course_utils.fit`` does. Stops after ``epochs``
    epochs or ``max_updates`` updates (when given), at the first update that
    brings the loss on all of X to ``target_loss`` or below (when given), or
    when that loss turns inf/NaN or exceeds ``BLOWN_UP`` times its value before
    training (``StepRun.diverged`` then holds the update). X ``(n_samples, n_inputs)``, y ``(n_samples,)``.
    """
    fn = "train_steps"
    X, y, loss, batch_size, epochs, target_loss = _run_arguments(
        fn, make_model, X, y, loss, batch_size, epochs, target_loss)
    learning_rate = arguments.positive_float(f"{fn}: learning_rate", learning_rate)
    steps = batching.steps_per_epoch(len(X), batch_size)
    max_updates = arguments.optional_int(f"{fn}: max_updates", max_updates)
    updates = min(epochs * steps, max_updates or epochs * steps)
    batching.check_updates(fn, updates, f"epochs={epochs} with {len(X)} samples and batch_size={batch_size}"
                           + ("" if max_updates is None else f" (max_updates={max_updates})"),
                           remedy="lower epochs or max_updates, or raise batch_size")
    if updates * len(X) > 10**9:
        raise ValueError(f"{fn}: updates * n_samples must be at most 10**9 (the loss on all of X is computed "
                         f"after every update), got {updates} * {len(X)}")
    model, rng = make_model(), arguments.rng_from(rng, f"{fn}: rng")
    _check_model(f"{fn}: make_model()", model)
    X1 = np.hstack([model.checked_inputs(X, fn), np.ones((len(X), 1))])  # a column of ones carries the bias
    targets = model.checked_targets(loss, y, len(X), fn)
    step, optimizer = model.step_function(loss), SGD(learning_rate)
    run = StepRun(batch_size, learning_rate, model)
    blown_up = BLOWN_UP * step(X1, targets)[0]
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows on its way to inf
        for _ in range(epochs):
            for batch in batching.batch_indices(len(X), batch_size, shuffle=True, rng=rng):
                batch_loss, gradient = step(X1[batch], targets[batch])  # forward, backward
                optimizer.update(model.parameters, [gradient])  # update: plain SGD
                run.batch_losses.append(batch_loss)
                run.full_losses.append(step(X1, targets)[0])
                run.batch_lengths.append(len(batch))
                if not run.full_losses[-1] <= blown_up:  # also True for NaN
                    run.diverged = len(run.full_losses)
                    return run
                if target_loss is not None and run.full_losses[-1] <= target_loss:
                    return run
                if len(run.full_losses) == max_updates:
                    return run
    return run
