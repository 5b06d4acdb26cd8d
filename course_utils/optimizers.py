"""SGD, momentum and Adam with Keras 3's update formulas and defaults.

``apply(parameters, gradients)`` updates the arrays in place and counts the
step in ``iterations``, like ``keras.optimizers.Optimizer.iterations``.
"""

from __future__ import annotations

import numbers

import numpy as np

from course_utils import _checks


class Optimizer:
    """Shared bookkeeping: the learning rate and the update count."""

    def __init__(self, learning_rate: float):
        self.learning_rate = _checks.positive_float("learning_rate", learning_rate)
        self.iterations = 0
        self._slots: list[list[np.ndarray]] | None = None

    def apply(self, parameters: list[np.ndarray], gradients: list[np.ndarray]) -> None:
        """One update step of every parameter array, in place."""
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
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(f"momentum must be a number in [0, 1], got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self._n_slots = 1 if self.momentum else 0

    def apply(self, parameters, gradients) -> None:
        if self.momentum:
            super().apply(parameters, gradients)
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
    """Keras 3's Adam: ``w -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + epsilon)``."""

    _n_slots = 2

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1 = _checks.fraction("beta_1", beta_1)
        self.beta_2 = _checks.fraction("beta_2", beta_2)
        self.epsilon = _checks.positive_float("epsilon", epsilon)

    def apply(self, parameters, gradients) -> None:
        t = self.iterations + 1
        self._alpha = self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        super().apply(parameters, gradients)

    def _update(self, param, grad, slots) -> None:
        m, v = slots
        m += (grad - m) * (1 - self.beta_1)
        v += (grad * grad - v) * (1 - self.beta_2)
        param -= self._alpha * m / (np.sqrt(v) + self.epsilon)


def momentum(learning_rate: float = 0.01, momentum: float = 0.9) -> SGD:
    """SGD with momentum, as ``keras.optimizers.SGD(learning_rate, momentum=momentum)``."""
    return SGD(learning_rate, momentum=momentum)
