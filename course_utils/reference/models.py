"""A dense layer with analytic gradients: the model of every NumPy example in the course.

``Dense(n_inputs, units, activation)`` computes ``activation(X @ W + b)`` for
X of shape ``(batch, n_inputs)``; W has shape ``(n_inputs, units)`` and b
``(units,)``, the order and shapes of Keras' ``get_weights()``.
"""

from __future__ import annotations

import numpy as np

from course_utils.reference import arguments
from course_utils.reference import losses as _losses


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


def check_activation(name: str, activation) -> str:
    """Return ``activation`` if it is one of ACTIVATIONS' names, or raise naming ``name``."""
    if not isinstance(activation, str):
        raise TypeError(f"{name} must be one of {sorted(ACTIVATIONS)}, got {arguments.describe(activation)}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"{name} must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return activation


class Dense:
    """One dense layer: ``activation(X @ W + b)``, Glorot-uniform W and zero b as Keras initialises them."""

    def __init__(self, n_inputs: int, units: int = 1, activation: str = "linear", *, rng=None):
        n_inputs = arguments.positive_int("Dense: n_inputs", n_inputs)
        units = arguments.positive_int("Dense: units", units)
        if n_inputs * units > 10**8:
            raise ValueError(f"Dense: n_inputs * units must be at most 10**8 weights (800 MB), got {n_inputs * units}")
        check_activation("Dense: activation", activation)
        rng = arguments.rng_from(rng, "Dense: rng")
        limit = np.sqrt(6.0 / (n_inputs + units))
        # W and b are stacked in one array, Wb = [W; b], so that one update moves both.
        self.Wb = np.zeros((n_inputs + 1, units))
        self.Wb[:-1] = rng.uniform(-limit, limit, size=(n_inputs, units))
        self.activation = activation

    @property
    def W(self) -> np.ndarray:
        """The kernel, shape ``(n_inputs, units)`` (a view into ``Wb``)."""
        return self.Wb[:-1]

    @W.setter
    def W(self, value) -> None:
        self.Wb[:-1] = self._weight("W", value, self.Wb[:-1].shape)  # so that `model.W -= learning_rate * dW` updates Wb too

    @property
    def b(self) -> np.ndarray:
        """The bias, shape ``(units,)`` (a view into ``Wb``)."""
        return self.Wb[-1]

    @b.setter
    def b(self, value) -> None:
        self.Wb[-1] = self._weight("b", value, self.Wb[-1].shape)

    @staticmethod
    def _weight(name: str, value, shape) -> np.ndarray:
        value = arguments.finite(f"Dense.{name}", arguments.numeric_array(f"Dense.{name}", value, dtype=float))
        if value.shape != shape and value.shape != ():
            raise ValueError(f"Dense.{name} must have shape {shape}, got {value.shape}")
        return value

    def get_weights(self) -> list[np.ndarray]:
        """``[W, b]`` as copies, in Keras' order."""
        return [self.W.copy(), self.b.copy()]

    def set_weights(self, weights) -> None:
        """Set ``[W, b]`` (for example from ``keras_model.get_weights()``)."""
        if isinstance(weights, (str, bytes, dict, np.ndarray)) or not hasattr(weights, "__len__") or len(weights) != 2:
            raise TypeError(f"Dense.set_weights: weights must be a list [W, b], got {arguments.describe(weights)}")
        W, b = (
            arguments.finite(f"Dense.set_weights: {n}", arguments.numeric_array(f"Dense.set_weights: {n}", w, dtype=float))
            for n, w in zip("Wb", weights)
        )
        if W.shape != self.W.shape or b.shape != self.b.shape:
            raise ValueError(f"Dense.set_weights: weights must have shapes {self.W.shape} and {self.b.shape}, got {W.shape} and {b.shape}")
        self.Wb[:-1], self.Wb[-1] = W, b

    @property
    def parameters(self) -> list[np.ndarray]:
        """The arrays an optimizer updates in place: ``[Wb]``."""
        return [self.Wb]

    def logits(self, X) -> np.ndarray:
        """``X @ W + b``, shape ``(batch, units)``."""
        return self.checked_inputs(X, "Dense.logits") @ self.W + self.b

    def predict(self, X) -> np.ndarray:
        """The layer's output, shape ``(batch, units)``."""
        return ACTIVATIONS[self.activation][0](self.checked_inputs(X, "Dense.predict") @ self.W + self.b)

    def loss(self, X, y, loss) -> float:
        """The mean loss on ``(X, y)``, computed as Keras' ``evaluate`` does."""
        return self.loss_and_gradients(X, y, loss, fn="Dense.loss")[0]

    def loss_and_gradients(self, X, y, loss, *, fn: str = "Dense.loss_and_gradients") -> tuple[float, list[np.ndarray]]:
        """The batch loss and its gradients ``[dW, db]``, computed as Keras' ``fit`` does.

        X has shape ``(batch, n_inputs)``, y ``(batch,)`` or ``(batch, units)``
        (integer labels ``(batch,)`` for the sparse loss); both are checked.
        """
        X, loss = self.checked_inputs(X, fn), _losses.get(loss, f"{fn}: loss")
        y = self.checked_targets(loss, y, len(X), fn)
        value, grad = self.step_function(loss)(np.hstack([X, np.ones((len(X), 1))]), y)
        return value, [grad[:-1], grad[-1]]

    def checked_targets(self, loss, y, n_samples: int, fn: str) -> np.ndarray:
        """y checked and shaped for ``loss`` (a ``losses.Loss``: ``losses.get(name)``), or an error naming ``fn``.

        ``(n_samples, units)`` floats, or integer labels for the sparse loss;
        refuses a cross-entropy on a linear output (it would be clipped).
        """
        if loss.takes_probabilities and self.activation == "linear" and loss.logits_of is not None:
            raise ValueError(
                f"{fn}: loss {loss.name} takes probabilities, but this Dense has activation='linear', whose outputs "
                f"leave [0, 1] (they would be clipped, with no gradient); use activation={loss.logits_of!r}"
            )
        return _losses.targets(loss, y, self.Wb.shape[1], fn=fn, n_samples=n_samples)

    def step_function(self, loss):
        """``step(X1, y) -> (loss, gradient of Wb)``, the forward and backward pass of a training loop.

        ``loss`` is a ``losses.Loss``; ``X1`` a batch of ``checked_inputs`` with a
        column of ones appended (it carries the bias: ``X1 @ Wb == X @ W + b``),
        ``y`` a batch of ``checked_targets``; neither is checked again. Keras
        reads the logits behind a sigmoid/softmax when the loss allows it, and
        so does ``step``. The gradient is that of ``Wb``, ready for
        ``optimizer.update(model.parameters, [gradient])``; ``loss_and_gradients``
        is this step on a checked batch.
        """
        Wb = self.Wb
        if loss.logits_of == self.activation:
            kernel = loss.logits_value_and_gradient

            def step(X1, y):
                value, grad_z = kernel(y, X1 @ Wb)  # forward: X @ W + b, then the loss on the logits
                return value, X1.T @ grad_z  # backward

            return step
        (forward, backward), kernel = ACTIVATIONS[self.activation], loss.value_and_gradient

        def step(X1, y):
            out = forward(X1 @ Wb)  # forward
            value, grad_out = kernel(y, out)
            return value, X1.T @ backward(out, grad_out)  # backward

        return step

    def checked_inputs(self, X, fn: str = "Dense") -> np.ndarray:
        """X as floats of shape ``(batch, n_inputs)``, finite and non-empty, or a named error."""
        X = arguments.numeric_array(f"{fn}: X", X, dtype=float)
        if X.ndim == 1 and self.W.shape[0] == 1:
            X = X.reshape(-1, 1)
        if X.ndim != 2 or X.shape[1] != self.W.shape[0] or len(X) == 0:
            raise ValueError(f"{fn}: X must have shape (batch, {self.W.shape[0]}) with batch >= 1, got {X.shape}")
        return arguments.finite(f"{fn}: X", X)
