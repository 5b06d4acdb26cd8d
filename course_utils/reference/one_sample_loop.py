"""``fit``'s inner loop for the smallest case: batches of one sample, one input, one unit, plain SGD.

With 1x1 arrays NumPy spends about half a microsecond per call on overhead, and
a step makes a dozen calls. Here the same IEEE operations run on Python floats,
in the same order, so the numbers are the same bit for bit (``np.exp`` is kept,
since ``math.exp`` rounds differently; ``tests/reference/test_properties.py`` checks the
two loops agree exactly). ``training.fit`` uses this loop only when
``supported(...)`` is True; everything else takes the array loop.

The update is ``optimizers.SGD``'s rule, ``w -= learning_rate * g``, applied
to two floats: this is the one loop that does not call ``Optimizer.update``,
because a call and two 2x1 arrays per update would cost several times the
half microsecond a step takes here (``benchmarks/run.py fit``: course_utils'
fit must stay >= 1000x faster than Keras on seed 000's run).
"""

from __future__ import annotations

import math

import numpy as np

from course_utils.reference import losses
from course_utils.reference.optimizers import SGD

_LOG2 = math.log(2.0)  # npy_logaddexp's NPY_LOGE2


def supported(model, loss, optimizer, batch_size: int) -> bool:
    """True for batch size 1, one input, one unit, plain SGD and linear+MSE/MAE or sigmoid+binary cross-entropy."""
    return (
        batch_size == 1
        and model.Wb.shape == (2, 1)
        and type(optimizer) is SGD
        and not optimizer.momentum
        and (model.activation, loss) in _KERNELS
    )


def _softplus(z: float) -> float:
    """``np.logaddexp(0.0, z)``, as NumPy's npy_logaddexp computes it."""
    if z == 0.0:
        return _LOG2
    if z < 0.0:
        return math.log1p(math.exp(z))
    if z > 0.0:
        return z + math.log1p(math.exp(-z))
    return z  # NaN


def _bce_logits(t: float, z: float) -> tuple[float, float]:
    softplus = _softplus(z)
    return softplus - z * t, (float(np.exp(z - softplus)) - t) * 1.0


def _mse(t: float, y: float) -> tuple[float, float]:
    error = y - t
    return error * error, error * 2.0


def _mae(t: float, y: float) -> tuple[float, float]:
    error = y - t
    return abs(error), float((error > 0) - (error < 0)) * 1.0 if error == error else error


_KERNELS = {
    ("sigmoid", losses.BINARY_CROSSENTROPY): _bce_logits,
    ("linear", losses.MSE): _mse,
    ("linear", losses.MAE): _mae,
}


def train_epoch(model, loss, order: list, xs: list, ts: list, optimizer, history, bar, diverged) -> float:
    """One epoch over the samples in ``order``; the same records and updates as ``training._train_epoch``."""
    kernel = _KERNELS[(model.activation, loss)]
    learning_rate = optimizer.learning_rate
    w, b = float(model.Wb[0, 0]), float(model.Wb[1, 0])
    step_losses, show = history.step_losses, bar.verbose == 1
    total, applied = 0.0, 0
    try:
        for step, i in enumerate(order, 1):
            x, t = xs[i], ts[i]
            value, grad_z = kernel(t, x * w + 1.0 * b)  # forward: X1 @ Wb, then the loss
            if not math.isfinite(value):
                diverged(value, len(step_losses) + 1, len(history.epoch) + 1, step, bar.steps, optimizer)
            w, b = w - learning_rate * (x * grad_z), b - learning_rate * (1.0 * grad_z)  # backward: X1.T @ grad_z; update
            applied = step
            step_losses.append(value)
            total += value * 1
            if show:
                bar.step(step, total / step)
    finally:
        model.Wb[0, 0], model.Wb[1, 0] = w, b
        optimizer.iterations += applied
    return total / applied
