"""A dense layer with analytic gradients: the model of every NumPy example in the course.

``Dense(n_inputs, units, activation)`` computes ``activation(X @ W + b)`` for
X of shape ``(batch, n_inputs)``; W has shape ``(n_inputs, units)`` and b
``(units,)``, the order and shapes of Keras' ``get_weights()``.
"""

from __future__ import annotations

import numpy as np

from course_utils import _checks
from course_utils import losses as _losses


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid_backward(out, grad_out):
    return grad_out * out * (1.0 - out)


def _softmax_backward(out, grad_out):
    return out * (grad_out - np.sum(grad_out * out, axis=1, keepdims=True))


ACTIVATIONS = {
    "linear": (lambda z: z, lambda out, grad_out: grad_out),
    "sigmoid": (_sigmoid, _sigmoid_backward),
    "softmax": (_softmax, _softmax_backward),
}


class Dense:
    """One dense layer: ``activation(X @ W + b)``, Glorot-uniform W and zero b as Keras initialises them."""

    def __init__(self, n_inputs: int, units: int = 1, activation: str = "linear", *, rng=None):
        n_inputs = _checks.positive_int("n_inputs", n_inputs)
        units = _checks.positive_int("units", units)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        limit = np.sqrt(6.0 / (n_inputs + units))
        # W and b are stacked in one array, Wb = [W; b], so that one update moves both.
        self.Wb = np.zeros((n_inputs + 1, units))
        self.Wb[:-1] = _checks.rng_from(rng).uniform(-limit, limit, size=(n_inputs, units))
        self.activation = activation

    @property
    def W(self) -> np.ndarray:
        """The kernel, shape ``(n_inputs, units)`` (a view into ``Wb``)."""
        return self.Wb[:-1]

    @W.setter
    def W(self, value) -> None:
        self.Wb[:-1] = value  # so that `model.W -= learning_rate * dW` updates Wb too

    @property
    def b(self) -> np.ndarray:
        """The bias, shape ``(units,)`` (a view into ``Wb``)."""
        return self.Wb[-1]

    @b.setter
    def b(self, value) -> None:
        self.Wb[-1] = value

    def get_weights(self) -> list[np.ndarray]:
        """``[W, b]`` as copies, in Keras' order."""
        return [self.W.copy(), self.b.copy()]

    def set_weights(self, weights) -> None:
        """Set ``[W, b]`` (for example from ``keras_model.get_weights()``)."""
        W, b = (np.array(w, dtype=float) for w in weights)
        if W.shape != self.W.shape or b.shape != self.b.shape:
            raise ValueError(f"weights must have shapes {self.W.shape} and {self.b.shape}, got {W.shape} and {b.shape}")
        self.Wb[:-1], self.Wb[-1] = W, b

    @property
    def parameters(self) -> list[np.ndarray]:
        """The arrays an optimizer updates in place: ``[Wb]``."""
        return [self.Wb]

    def logits(self, X) -> np.ndarray:
        """``X @ W + b``, shape ``(batch, units)``."""
        return self._inputs(X) @ self.W + self.b

    def predict(self, X) -> np.ndarray:
        """The layer's output, shape ``(batch, units)``."""
        return ACTIVATIONS[self.activation][0](self.logits(X))

    def loss(self, X, y, loss) -> float:
        """The mean loss on ``(X, y)``, computed as Keras' ``evaluate`` does."""
        return self.loss_and_gradients(X, y, loss)[0]

    def loss_and_gradients(self, X, y, loss) -> tuple[float, list[np.ndarray]]:
        """The batch loss and its gradients ``[dW, db]``, computed as Keras' ``fit`` does."""
        X, loss = self._inputs(X), _losses.get(loss)
        value, grad = self._loss_and_gradient(np.hstack([X, np.ones((len(X), 1))]), y, loss)
        return value, [grad[:-1], grad[-1]]

    def _loss_and_gradient(self, X1, y, loss):
        """Loss and gradient for the stacked ``[W; b]``, X1 being X with a column of ones."""
        z = X1 @ self.Wb  # forward: X @ W + b
        if loss.logits_of == self.activation:  # Keras reads the logits behind a sigmoid/softmax
            value, grad_z = loss.logits_value_and_gradient(y, z)
        else:
            forward, backward = ACTIVATIONS[self.activation]
            out = forward(z)
            value, grad_out = loss.value_and_gradient(y, out)
            grad_z = backward(out, grad_out)
        return value, X1.T @ grad_z  # backward: [X.T @ grad_z; sum of grad_z]

    def _inputs(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim == 1 and self.W.shape[0] == 1:
            X = X.reshape(-1, 1)
        if X.ndim != 2 or X.shape[1] != self.W.shape[0]:
            raise ValueError(f"X must have shape (batch, {self.W.shape[0]}), got {X.shape}")
        return X
