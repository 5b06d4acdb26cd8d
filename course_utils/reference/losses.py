"""Losses as Keras 3 computes them, each with its gradient.

Every loss is one function ``(y_true, y_pred) -> (value, gradient)``: the batch
mean (Keras' ``"sum_over_batch_size"``) and d value / d y_pred, the shape of
y_pred. y_pred has shape ``(batch, units)``; y_true ``(batch,)`` or
``(batch, units)``, or ``(batch,)`` integer labels for the sparse loss.

On probabilities the cross-entropies clip to ``[EPSILON, 1 - EPSILON]`` as
Keras does (and the clip passes no gradient outside). Inside ``fit``, when the
output layer is a sigmoid or softmax, Keras computes the loss from the logits
instead, with no clipping; so does ``course_utils.reference.models.Dense``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from course_utils.reference import arguments

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


def _labels(y_true, y_pred, name: str = "sparse_categorical_crossentropy: y_true"):
    labels = np.asarray(y_true)
    if labels.size != len(y_pred):
        raise ValueError(f"{name} must hold one integer class label per sample ({len(y_pred)}), got shape {labels.shape}")
    labels = labels.reshape(len(y_pred))
    if not np.issubdtype(labels.dtype, np.integer):
        if labels.dtype.kind not in "bf" or not np.all(labels == np.round(labels)):
            raise ValueError(f"{name} must be integer class labels for sparse_categorical_crossentropy, got {labels.dtype}")
        labels = labels.astype(np.int64)
    if labels.min() < 0 or labels.max() >= y_pred.shape[1]:
        raise ValueError(f"{name} must be class labels in [0, {y_pred.shape[1] - 1}], got {labels.min()}..{labels.max()}")
    return labels.astype(np.int64, copy=False)


def _scce_logits(y_true, z):
    if type(y_true) is np.ndarray and y_true.dtype == np.int64 and y_true.shape == (len(z),):
        labels = y_true  # fit's and Loss.checked's path: labels checked once, at the boundary
    else:
        labels = _labels(y_true, z)
    rows = np.arange(len(z))
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
    """A loss on probabilities and, where Keras uses one, its form on the logits behind ``logits_of``.

    Call it, or its ``gradient``, for checked arguments; ``value_and_gradient``
    and ``logits_value_and_gradient`` are the unchecked kernels ``fit`` runs
    after checking its data once.
    """

    name: str
    value_and_gradient: Fn
    logits_of: str | None = None
    logits_value_and_gradient: Fn | None = None

    def __call__(self, y_true, y_pred) -> float:
        """The batch mean of the loss (a float)."""
        y_true, y_pred = self.checked(y_true, y_pred)
        return self.value_and_gradient(y_true, y_pred)[0]

    def gradient(self, y_true, y_pred) -> np.ndarray:
        """d loss / d y_pred, the shape of y_pred."""
        y_true, y_pred = self.checked(y_true, y_pred)
        return self.value_and_gradient(y_true, y_pred)[1]

    @property
    def takes_probabilities(self) -> bool:
        """True for the cross-entropies: y_pred must lie in [0, 1]."""
        return self.logits_of is not None

    def checked(self, y_true, y_pred, fn: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """y_true shaped for ``value_and_gradient`` and y_pred as floats, or a named error."""
        fn = fn or self.name
        y_pred = arguments.finite(f"{fn}: y_pred", arguments.numeric_array(f"{fn}: y_pred", y_pred, dtype=float))
        accepted = "(batch, units)" if self is SPARSE_CATEGORICAL_CROSSENTROPY else "(batch,) or (batch, units)"
        if y_pred.ndim not in (1, 2) or y_pred.size == 0 or (y_pred.ndim == 1 and accepted == "(batch, units)"):
            raise ValueError(f"{fn}: y_pred must be a non-empty array of shape {accepted}, got shape {y_pred.shape}")
        if self.takes_probabilities and (y_pred.min() < 0 or y_pred.max() > 1):
            raise ValueError(
                f"{fn}: y_pred must be probabilities in [0, 1] for {self.name}, got values from "
                f"{y_pred.min():g} to {y_pred.max():g} (a linear output needs activation='sigmoid' or 'softmax')"
            )
        units = y_pred.shape[1] if y_pred.ndim == 2 else 1
        return targets(self, y_true, units, fn=fn, n_samples=len(y_pred), arg="y_true").reshape(
            (len(y_pred),) if self is SPARSE_CATEGORICAL_CROSSENTROPY else y_pred.shape
        ), y_pred


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


def get(loss: str | Loss, name: str = "get: loss") -> Loss:
    """Return the Loss for a Keras loss name (``"mse"``, ``"mae"``, ...) or a Loss."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss in _BY_NAME:
        return _BY_NAME[loss]
    if isinstance(loss, str):
        raise ValueError(f"{name} must be one of {sorted(_BY_NAME)} or a course_utils.reference.losses.Loss, got {loss!r}")
    raise TypeError(
        f"{name} must be one of {sorted(_BY_NAME)} or a course_utils.reference.losses.Loss, got {arguments.describe(loss)}"
        + (" (a Keras loss object: pass its name as a string instead)" if "keras" in type(loss).__module__ else "")
    )


def targets(
    loss: Loss, y, units: int, *, fn: str = "targets", n_samples: int | None = None, arg: str = "y"
) -> np.ndarray:
    """y as ``loss`` wants it for a layer of ``units`` outputs: labels ``(n,)`` or floats ``(n, units)``.

    Raises a ValueError naming ``fn`` for NaN or infinity, labels outside the
    loss's range (0/1 probabilities for binary cross-entropy, ``0..units-1``
    for the sparse loss) and a shape that does not fit.
    """
    loss = get(loss, f"{fn}: loss")
    units = arguments.positive_int(f"{fn}: units", units)
    name = f"{fn}: {arg}"
    y = arguments.finite(name, arguments.numeric_array(name, y))
    n = len(y) if y.ndim else 1
    if n_samples is not None and (y.ndim == 0 or n != n_samples):
        raise ValueError(f"{name} must hold {n_samples} samples (one per row of y_pred), got shape {y.shape}")
    if loss is SPARSE_CATEGORICAL_CROSSENTROPY:
        return _labels(y, np.empty((n, units)), name)
    if y.ndim == 0 or y.size != n * units:
        raise ValueError(f"{name} must have shape (n_samples,) or (n_samples, {units}) for {loss.name}, got {y.shape}")
    if loss is BINARY_CROSSENTROPY and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"{name} must be labels in [0, 1] for {loss.name}, got values from {y.min():g} to {y.max():g}")
    return y.astype(float).reshape(n, units)
