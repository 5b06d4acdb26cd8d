"""``fit``: a NumPy training loop with the semantics of ``keras.Model.fit``.

- ``batch_size=None`` means 32; the last partial batch is kept.
- Each epoch's ``loss`` is the running mean of the batch losses weighted by
  batch size, as the progress bar shows it: not the loss after the epoch.
- ``validation_split`` holds out the *last* fraction of X and y, before any
  shuffling; ``val_loss`` is measured on it after each epoch.
- ``shuffle=True`` draws a new order every epoch from ``rng``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from course_utils import _checks, batching, losses
from course_utils.progress import ProgressBar


@dataclass
class History:
    """What ``fit`` returns: ``history["loss"]`` per epoch, ``step_losses`` per update."""

    history: dict[str, list[float]] = field(default_factory=lambda: {"loss": []})
    epoch: list[int] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    params: dict[str, int] = field(default_factory=dict)


def train_validation_split(X, y, validation_split: float):
    """Split off the last ``validation_split`` of the samples, as Keras does (no shuffling)."""
    X, y = _checks.paired_arrays(X, y)
    validation_split = _checks.fraction("validation_split", validation_split)
    split_at = int(math.floor(len(X) * (1.0 - validation_split)))
    if validation_split and not 0 < split_at < len(X):
        raise ValueError(
            f"validation_split={validation_split} leaves no samples for training or validation with {len(X)} samples"
        )
    return (X[:split_at], y[:split_at]), (X[split_at:], y[split_at:])


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
    """Train ``model`` (a ``course_utils.models.Dense``) in place and return its History.

    X has shape ``(n_samples, n_inputs)`` (or ``(n_samples,)`` for one input),
    y ``(n_samples,)`` or ``(n_samples, units)``. ``rng`` (a seed or a
    ``numpy.random.Generator``) drives shuffling. Raises ``FloatingPointError``
    naming the step if the loss turns NaN or infinite.
    """
    loss = losses.get(loss)
    epochs = _checks.positive_int("epochs", epochs)
    X, y = _checks.paired_arrays(X, y)
    X1 = np.hstack([model._inputs(X), np.ones((len(X), 1))])  # a column of ones carries the bias
    (X1, y), (X1_val, y_val) = train_validation_split(X1, losses.targets(loss, y, model.b.size), validation_split)
    steps = batching.steps_per_epoch(len(X1), batch_size)
    rng = _checks.rng_from(rng)
    bar = ProgressBar(epochs, steps, verbose, file=file)
    history = History(params={"epochs": epochs, "steps": steps, "batch_size": batch_size or batching.DEFAULT_BATCH_SIZE})
    for epoch in range(epochs):
        bar.start_epoch(epoch)
        batches = batching.minibatches(X1, y, batch_size, shuffle=shuffle, rng=rng)
        history.history["loss"].append(_train_epoch(model, batches, loss, optimizer, history, bar))
        history.epoch.append(epoch)
        logs = {}
        if len(X1_val):
            logs["val_loss"] = model.loss(X1_val[:, :-1], y_val, loss)
            history.history.setdefault("val_loss", []).append(logs["val_loss"])
        bar.end_epoch(history.history["loss"][-1], logs)
    return history


def _train_epoch(model, batches, loss, optimizer, history, bar) -> float:
    """One pass over the batches; returns the batch-size-weighted mean of the batch losses."""
    total, seen = 0.0, 0
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging loss is reported below, by step
        for step, (X_batch, y_batch) in enumerate(batches, 1):
            value, grad = model._loss_and_gradient(X_batch, y_batch, loss)  # forward + backward
            if not math.isfinite(value):
                _diverged(value, len(history.step_losses) + 1, len(history.epoch) + 1, step, bar.steps, optimizer)
            optimizer.apply(model.parameters, [grad])  # update
            history.step_losses.append(value)
            total, seen = total + value * len(X_batch), seen + len(X_batch)
            if bar.verbose == 1:
                bar.step(step, total / seen)
    return total / seen


def _diverged(value: float, global_step: int, epoch: int, step: int, steps: int, optimizer) -> None:
    raise FloatingPointError(
        f"the loss became {value} at step {global_step} (epoch {epoch}, batch {step} of {steps}): "
        f"training diverged; try a smaller learning_rate than {optimizer.learning_rate}"
    )
