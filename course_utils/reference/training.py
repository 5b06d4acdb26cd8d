"""``fit``: a NumPy training loop with the semantics of ``keras.Model.fit``.

- ``batch_size=None`` means 32; the last partial batch is kept.
- Each epoch's ``loss`` is the running mean of the batch losses weighted by
  batch size, as the progress bar shows it: not the loss after the epoch.
- ``validation_split`` holds out the *last* fraction of X and y, before any
  shuffling; ``val_loss`` is measured on it after each epoch.
- ``shuffle=True`` draws a new order every epoch from ``rng``.

Every argument is checked once, before the first update; the loop itself
runs only the forward pass, the backward pass and the update, which is the
optimizer's own (``Optimizer.update``: SGD, momentum and Adam are written
once, in ``course_utils.reference.optimizers``).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field

import numpy as np

from course_utils.reference import arguments, one_sample_loop, batching, losses
from course_utils.reference.models import Dense
from course_utils.reference.optimizers import Optimizer
from course_utils.reference.progress import ProgressBar, check_verbose


@dataclass
class History:
    """What ``fit`` returns: ``history["loss"]`` per epoch, ``step_losses`` per update."""

    history: dict[str, list[float]] = field(default_factory=lambda: {"loss": []})
    epoch: list[int] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    params: dict[str, int] = field(default_factory=dict)


def train_validation_split(X, y, validation_split: float, *, fn: str = "train_validation_split"):
    """Split off the last ``validation_split`` of the samples, as Keras does (no shuffling)."""
    X, y = arguments.paired_arrays(X, y, fn, numeric=False)
    validation_split = arguments.fraction(f"{fn}: validation_split", validation_split)
    split_at = int(math.floor(len(X) * (1.0 - validation_split)))
    if validation_split and not 0 < split_at < len(X):
        raise ValueError(
            f"{fn}: validation_split={validation_split} leaves no samples for training or validation "
            f"with {len(X)} samples"
        )
    return (X[:split_at], y[:split_at]), (X[split_at:], y[split_at:])


_array_loop_only = False


@contextlib.contextmanager
def array_loop_only():
    """Inside this block every ``fit`` runs the array loop, never the one-sample fast path.

    The tests and benchmarks use it to compare the two loops on the same run.
    """
    global _array_loop_only
    before, _array_loop_only = _array_loop_only, True
    try:
        yield
    finally:
        _array_loop_only = before


def _check_model_and_optimizer(model, optimizer) -> None:
    if not isinstance(model, Dense):
        raise TypeError(f"fit: model must be a course_utils.reference.models.Dense, got {arguments.describe(model)}")
    arguments.not_keras_string("fit: optimizer", optimizer, "course_utils.SGD(0.01)")
    if not isinstance(optimizer, Optimizer):
        keras = " (a Keras optimizer: use course_utils.SGD or course_utils.Adam)" if "keras" in type(optimizer).__module__ else ""
        raise TypeError(
            f"fit: optimizer must be an optimizer object such as course_utils.SGD(0.01), got {arguments.describe(optimizer)}{keras}"
        )
    if not optimizer.matches(model.parameters):
        raise ValueError("fit: optimizer has already trained another model (its state has other shapes); pass a new one")


def fit(
    model,
    X,
    y,
    *,
    loss,
    optimizer,
    batch_size: int | None = None,
    epochs: int = 1,
    shuffle: bool | str = True,
    validation_split: float = 0.0,
    rng=None,
    verbose: int = 1,
    file=None,
) -> History:
    """Train ``model`` (a ``course_utils.reference.models.Dense``) in place and return its History.

    X has shape ``(n_samples, n_inputs)`` (or ``(n_samples,)`` for one input),
    y ``(n_samples,)`` or ``(n_samples, units)``; both must be finite.
    ``optimizer`` is a ``course_utils`` optimizer object (``SGD(0.01)``, not
    ``"sgd"``); ``rng`` (a seed or a ``numpy.random.Generator``) drives
    shuffling. At most ``batching.MAX_UPDATES`` updates. Raises
    ``FloatingPointError`` naming the step if the loss turns NaN or infinite.
    """
    # --- checks, once
    _check_model_and_optimizer(model, optimizer)
    loss = losses.get(loss, "fit: loss")
    epochs = arguments.positive_int("fit: epochs", epochs)
    batch_size = arguments.optional_int("fit: batch_size", batch_size) or batching.DEFAULT_BATCH_SIZE
    shuffle = batching.shuffle_mode("fit: shuffle", shuffle)
    rng = arguments.rng_from(rng, "fit: rng")
    verbose = check_verbose("fit: verbose", verbose)
    if file is not None and not callable(getattr(file, "write", None)):
        raise TypeError(f"fit: file must be None (sys.stdout) or a text file, got {arguments.describe(file)}")
    X, y = arguments.paired_arrays(X, y, "fit", check_finite=True)
    X1 = np.hstack([model.checked_inputs(X, "fit"), np.ones((len(X), 1))])  # a column of ones carries the bias
    y = model.checked_targets(loss, y, len(X), "fit")
    (X1, y), (X1_val, y_val) = train_validation_split(X1, y, validation_split, fn="fit")
    steps = -(-len(X1) // batch_size)
    batching.check_updates("fit", epochs * steps, f"epochs={epochs} with {len(X1)} samples and batch_size={batch_size}")
    bar = ProgressBar(epochs, steps, verbose, file=file)
    history = History(params={"epochs": epochs, "steps": steps, "batch_size": batch_size})

    # --- training
    step = model.step_function(loss)
    one_by_one = one_sample_loop.supported(model, loss, optimizer, batch_size) and not _array_loop_only
    if one_by_one:  # one sample, one weight per step: Python floats, the same operations (see one_sample_loop)
        xs, ts = X1[:, 0].tolist(), y[:, 0].tolist()
    in_order = None
    if shuffle is False and not one_by_one:  # the same consecutive slices (views, no copies) every epoch
        in_order = [(X1[i : i + batch_size], y[i : i + batch_size], len(X1[i : i + batch_size]))
                    for i in range(0, len(X1), batch_size)]
    for epoch in range(epochs):
        bar.start_epoch(epoch)
        if one_by_one:
            order = (range(len(X1)) if shuffle is False
                     else np.concatenate(batching.batch_indices(len(X1), 1, shuffle=shuffle, rng=rng)).tolist())
            epoch_loss = one_sample_loop.train_epoch(model, loss, order, xs, ts, optimizer, history, bar, _diverged)
        else:
            if in_order is None:
                indices = batching.batch_indices(len(X1), batch_size, shuffle=shuffle, rng=rng)
                batches = [(X1[batch], y[batch], len(batch)) for batch in indices]
            else:
                batches = in_order
            epoch_loss = _train_epoch(model, step, batches, optimizer, history, bar)
        history.history["loss"].append(epoch_loss)
        history.epoch.append(epoch)
        logs = {}
        if len(X1_val):
            logs["val_loss"] = step(X1_val, y_val)[0]
            history.history.setdefault("val_loss", []).append(logs["val_loss"])
        bar.end_epoch(history.history["loss"][-1], logs)
    return history


def _train_epoch(model, step, batches, optimizer, history, bar) -> float:
    """One pass over the batches; returns the batch-size-weighted mean of the batch losses."""
    total, seen = 0.0, 0
    step_losses, isfinite, show = history.step_losses, math.isfinite, bar.verbose == 1
    parameters, update = model.parameters, optimizer.update
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging loss is reported below, by step
        for i, (X_batch, y_batch, n) in enumerate(batches, 1):
            value, grad = step(X_batch, y_batch)  # forward + backward
            if not isfinite(value):
                _diverged(value, len(step_losses) + 1, len(history.epoch) + 1, i, bar.steps, optimizer)
            update(parameters, [grad])  # the optimizer's rule; checked once, before training
            step_losses.append(value)
            total += value * n
            seen += n
            if show:
                bar.step(i, total / seen)
    return total / seen


def _diverged(value: float, global_step: int, epoch: int, step: int, steps: int, optimizer) -> None:
    raise FloatingPointError(
        f"fit: the loss became {value} at step {global_step} (epoch {epoch}, batch {step} of {steps}): "
        f"training diverged; try a smaller learning_rate than {optimizer.learning_rate}"
    )
