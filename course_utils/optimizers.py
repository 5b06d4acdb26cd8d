"""SGD, momentum and Adam with Keras 3's update formulas and defaults.

``apply(parameters, gradients)`` updates the arrays in place and counts the
step in ``iterations``, like ``keras.optimizers.Optimizer.iterations``. It
checks its arguments (a list of float arrays, one gradient of the same shape
per array); ``fit`` checks once, before training, and then runs the update
without the checks.
"""

from __future__ import annotations

import numpy as np

from course_utils import _checks


class Optimizer:
    """Shared bookkeeping: the learning rate and the update count."""

    def __init__(self, learning_rate: float):
        self.learning_rate = _checks.positive_float(f"{type(self).__name__}: learning_rate", learning_rate)
        self.iterations = 0
        self._slots: list[list[np.ndarray]] | None = None

    def apply(self, parameters: list[np.ndarray], gradients: list[np.ndarray]) -> None:
        """One update step of every parameter array, in place.

        ``parameters``: a list of float NumPy arrays (views such as ``model.W`` work);
        ``gradients``: a list of as many arrays (or numbers), each of its parameter's shape.
        """
        self._apply(*self.checked(parameters, gradients))

    def checked(self, parameters, gradients, fn: str | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``(parameters, gradients)`` as lists of arrays, or a TypeError/ValueError naming the bad one."""
        fn = fn or f"{type(self).__name__}.apply"
        for name, value in (("parameters", parameters), ("gradients", gradients)):
            if isinstance(value, (str, bytes, np.ndarray)) or not isinstance(value, (list, tuple)):
                raise TypeError(f"{fn}: {name} must be a list of NumPy arrays, got {_checks._got(value)}")
        if len(parameters) == 0 or len(gradients) != len(parameters):
            raise ValueError(
                f"{fn}: parameters and gradients must be non-empty lists of the same length, "
                f"got {len(parameters)} parameters and {len(gradients)} gradients"
            )
        checked = []
        for i, (param, grad) in enumerate(zip(parameters, gradients)):
            if not isinstance(param, np.ndarray) or param.dtype.kind != "f" or not param.flags.writeable:
                raise TypeError(
                    f"{fn}: parameters[{i}] must be a writeable NumPy float array (it is updated in place), "
                    f"got {_checks._got(param)}"
                )
            grad = _checks.finite(f"{fn}: gradients[{i}]", _checks.numeric_array(f"{fn}: gradients[{i}]", grad, dtype=float))
            if grad.shape != param.shape:
                raise ValueError(f"{fn}: gradients[{i}] must have the shape of parameters[{i}], {param.shape}, got {grad.shape}")
            checked.append(grad)
        if self._slots and [s.shape for s in self._slots[0]] != [p.shape for p in parameters]:
            raise ValueError(
                f"{fn}: parameters must have the shapes of the first call, {[s.shape for s in self._slots[0]]}, "
                f"got {[p.shape for p in parameters]} (use a new optimizer for another model)"
            )
        return list(parameters), checked

    def _apply(self, parameters, gradients) -> None:
        """The update, unchecked (``fit``'s inner loop)."""
        if self._slots is None:
            self._slots = [[np.zeros_like(p) for p in parameters] for _ in range(self._n_slots)]
        for i, (param, grad) in enumerate(zip(parameters, gradients)):
            self._update(param, grad, [slot[i] for slot in self._slots])
        self.iterations += 1

    _n_slots = 0

    def _update(self, param, grad, slots) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """``w -= learning_rate * g``; with momentum, ``m = momentum*m - learning_rate*g; w += m``."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = _checks.number_in("SGD: momentum", momentum, 0, 1, closed_high=True)
        self.nesterov = _checks.flag("SGD: nesterov", nesterov)
        self._n_slots = 1 if self.momentum else 0

    def _apply(self, parameters, gradients) -> None:
        if self.momentum:
            super()._apply(parameters, gradients)
            return
        for param, grad in zip(parameters, gradients):  # plain SGD keeps no state
            param -= self.learning_rate * grad
        self.iterations += 1

    def _update(self, param, grad, slots) -> None:
        (velocity,) = slots
        velocity *= self.momentum
        velocity -= self.learning_rate * grad
        if self.nesterov:
            param += self.momentum * velocity - self.learning_rate * grad
        else:
            param += velocity


class Adam(Optimizer):
    """Keras 3's Adam: ``w -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + epsilon)``.

    The constants are used exactly, in float64. Keras casts ``lr``, ``b1`` and
    ``b2`` to the weights' dtype through float32, so even with float64 weights
    its early steps differ by about 7e-6 relative (lesson 9, Step 3).
    """

    _n_slots = 2

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1 = _checks.fraction("Adam: beta_1", beta_1)
        self.beta_2 = _checks.fraction("Adam: beta_2", beta_2)
        self.epsilon = _checks.positive_float("Adam: epsilon", epsilon)

    def _apply(self, parameters, gradients) -> None:
        t = self.iterations + 1
        self._alpha = self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        super()._apply(parameters, gradients)

    def _update(self, param, grad, slots) -> None:
        m, v = slots
        m += (grad - m) * (1 - self.beta_1)
        v += (grad * grad - v) * (1 - self.beta_2)
        param -= self._alpha * m / (np.sqrt(v) + self.epsilon)


def momentum(learning_rate: float = 0.01, momentum: float = 0.9) -> SGD:
    """SGD with momentum, as ``keras.optimizers.SGD(learning_rate, momentum=momentum)``."""
    return SGD(learning_rate, momentum=momentum)
