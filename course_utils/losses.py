"""Losses as Keras 3 computes them, each with its gradient.

Every loss is one function ``(y_true, y_pred) -> (value, gradient)``: the batch
mean (Keras' ``"sum_over_batch_size"``) and d value / d y_pred, the shape of
y_pred. y_pred has shape ``(batch, units)``; y_true ``(batch,)`` or
``(batch, units)``, or ``(batch,)`` integer labels for the sparse loss.

On probabilities the cross-entropies clip to ``[EPSILON, 1 - EPSILON]`` as
Keras does (and the clip passes no gradient outside). Inside ``fit``, when the
output layer is a sigmoid or softmax, Keras computes the loss from the logits
instead, with no clipping; so does ``course_utils.models.Dense``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

EPSILON = 1e-7
"""``keras.backend.epsilon()``: how far from 0 and 1 probabilities are clipped."""


def _as_pred_shape(y_true, y_pred):
    if type(y_true) is np.ndarray and y_true.shape == y_pred.shape:
        return y_true  # fit's path: targets shaped once, before training
    return np.asarray(y_true, dtype=float).reshape(y_pred.shape)


def _mse(y_true, y_pred):
    error = y_pred - _as_pred_shape(y_true, y_pred)
    return float(np.add.reduce(error * error, axis=None)) / error.size, error * (2.0 / error.size)


def _mae(y_true, y_pred):
    error = y_pred - _as_pred_shape(y_true, y_pred)
    return float(np.add.reduce(np.abs(error), axis=None)) / error.size, np.sign(error) * (1.0 / error.size)


def _bce(y_true, y_pred):
    t, p = _as_pred_shape(y_true, y_pred), np.clip(y_pred, EPSILON, 1 - EPSILON)
    value = -float(np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))
    inside = (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)
    return value, inside * (p - t) / (p * (1 - p)) / p.size


def _bce_logits(y_true, z):
    t = _as_pred_shape(y_true, z)
    softplus = np.logaddexp(0.0, z)  # log(1 + e^z)
    value = float(np.add.reduce(softplus - z * t, axis=None)) / z.size
    return value, (np.exp(z - softplus) - t) * (1.0 / z.size)  # d/dz = (sigmoid(z) - t) / size


def _labels(y_true, y_pred):
    labels = np.asarray(y_true).reshape(len(y_pred))
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(labels == np.round(labels)):
            raise ValueError("y_true for sparse_categorical_crossentropy must be integer class labels")
        labels = labels.astype(np.int64)
    if labels.min() < 0 or labels.max() >= y_pred.shape[1]:
        raise ValueError(f"y_true labels must be in [0, {y_pred.shape[1] - 1}], got {labels.min()}..{labels.max()}")
    return labels


def _scce_logits(y_true, z):
    labels, rows = _labels(y_true, z), np.arange(len(z))
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    grad = np.exp(log_p)
    grad[rows, labels] -= 1.0  # d/dz = softmax(z) - one_hot(y)
    return -float(np.mean(log_p[rows, labels])), grad / len(z)


def _scce(y_true, y_pred):
    # Keras clips, takes the log, and hands that to softmax cross-entropy as logits.
    clipped = np.clip(y_pred, EPSILON, 1 - EPSILON)
    value, grad_log = _scce_logits(y_true, np.log(clipped))
    inside = (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)
    return value, inside * grad_log / clipped


Fn = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]


@dataclass(frozen=True)
class Loss:
    """A loss on probabilities and, where Keras uses one, its form on the logits behind ``logits_of``."""

    name: str
    value_and_gradient: Fn
    logits_of: str | None = None
    logits_value_and_gradient: Fn | None = None

    def __call__(self, y_true, y_pred) -> float:
        return self.value_and_gradient(y_true, np.asarray(y_pred, dtype=float))[0]

    def gradient(self, y_true, y_pred) -> np.ndarray:
        return self.value_and_gradient(y_true, np.asarray(y_pred, dtype=float))[1]


MSE = Loss("mean_squared_error", _mse)
MAE = Loss("mean_absolute_error", _mae)
BINARY_CROSSENTROPY = Loss("binary_crossentropy", _bce, "sigmoid", _bce_logits)
SPARSE_CATEGORICAL_CROSSENTROPY = Loss("sparse_categorical_crossentropy", _scce, "softmax", _scce_logits)

_BY_NAME = {
    "mse": MSE,
    "mean_squared_error": MSE,
    "mae": MAE,
    "mean_absolute_error": MAE,
    "binary_crossentropy": BINARY_CROSSENTROPY,
    "sparse_categorical_crossentropy": SPARSE_CATEGORICAL_CROSSENTROPY,
}


def get(loss: str | Loss) -> Loss:
    """Return the Loss for a Keras loss name (``"mse"``, ``"mae"``, ...) or a Loss."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss in _BY_NAME:
        return _BY_NAME[loss]
    raise ValueError(f"loss must be one of {sorted(_BY_NAME)} or a Loss, got {loss!r}")


def targets(loss: Loss, y, units: int) -> np.ndarray:
    """y as ``loss`` wants it for a layer of ``units`` outputs: labels ``(n,)`` or floats ``(n, units)``."""
    y = np.asarray(y)
    if loss is SPARSE_CATEGORICAL_CROSSENTROPY:
        return _labels(y, np.empty((len(y), units)))
    if y.size != len(y) * units:
        raise ValueError(f"y must have shape (n_samples,) or (n_samples, {units}) for {loss.name}, got {y.shape}")
    return y.astype(float).reshape(len(y), units)
