"""SGD, momentum and Adam with Keras 3's update formulas and defaults: each update rule is written here, once.

Every training loop of the course makes its updates through this interface:

- ``apply(parameters, gradients)`` checks its arguments (a list of float
  arrays, one gradient of the same shape per array), then makes one update;
- ``update(parameters, gradients)`` makes one update without the checks, for
  a loop that checked its arrays once before training (``fit``,
  ``gd.gradient_descent``, ``schedules.descend``, ``batch_size_study.train_steps``).

Both update the arrays in place and count the step in ``iterations``, like
``keras.optimizers.Optimizer.iterations``. ``slots`` holds the state the
rule keeps per parameter array (momentum's velocity; Adam's ``m`` and ``v``).
A loop compares variants by swapping the optimizer object it is given.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from course_utils.reference import arguments


class Optimizer:
    """Shared bookkeeping: the learning rate, the update count and the state (``slots``)."""

    n_slots = 0
    """How many arrays of state the rule keeps per parameter array."""

    def __init__(self, learning_rate: float):
        self.learning_rate = arguments.positive_float(f"{type(self).__name__}: learning_rate", learning_rate)
        self.iterations = 0
        self.slots: list[list[np.ndarray]] | None = None
        """``slots[k][i]``: state array ``k`` of parameter array ``i`` (its shape); None before the first update."""

    @property
    def _slots(self) -> list[list[np.ndarray]] | None:
        """The former name of ``slots``, kept for the hidden tests of ex09, which read and set it."""
        return self.slots

    @_slots.setter
    def _slots(self, value) -> None:
        self.slots = value

    def apply(self, parameters: list[np.ndarray], gradients: list[np.ndarray]) -> None:
        """One update step of every parameter array, in place.

        ``parameters``: a list of float NumPy arrays (views such as ``model.W`` work);
        ``gradients``: a list of as many arrays (or numbers), each of its parameter's shape.
        """
        self.update(*self.checked(parameters, gradients))

    def matches(self, parameters: list[np.ndarray]) -> bool:
        """True if this optimizer has no state yet, or state of the shapes of ``parameters`` (the same model)."""
        return not self.slots or [s.shape for s in self.slots[0]] == [np.shape(p) for p in parameters]

    def checked(self, parameters, gradients, fn: str | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``(parameters, gradients)`` as lists of arrays, or a TypeError/ValueError naming the bad one."""
        fn = fn or f"{type(self).__name__}.apply"
        for name, value in (("parameters", parameters), ("gradients", gradients)):
            if isinstance(value, (str, bytes, np.ndarray)) or not isinstance(value, (list, tuple)):
                raise TypeError(f"{fn}: {name} must be a list of NumPy arrays, got {arguments.describe(value)}")
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
                    f"got {arguments.describe(param)}"
                )
            grad = arguments.finite(f"{fn}: gradients[{i}]", arguments.numeric_array(f"{fn}: gradients[{i}]", grad, dtype=float))
            if grad.shape != param.shape:
                raise ValueError(f"{fn}: gradients[{i}] must have the shape of parameters[{i}], {param.shape}, got {grad.shape}")
            checked.append(grad)
        if not self.matches(parameters):
            raise ValueError(
                f"{fn}: parameters must have the shapes of the first call, {[s.shape for s in self.slots[0]]}, "
                f"got {[p.shape for p in parameters]} (use a new optimizer for another model)"
            )
        return list(parameters), checked

    def update(self, parameters: list[np.ndarray], gradients: list[np.ndarray]) -> None:
        """One update of every array of ``parameters``, in place, WITHOUT ``apply``'s checks.

        For a training loop that checked once, before its first update, that
        ``parameters`` are writeable float arrays and each gradient a finite
        float array of its parameter's shape. Counts the update in ``iterations``.
        """
        slots, rule = self.slots, self._rule
        if slots is None:
            slots = self.slots = [[np.zeros_like(p) for p in parameters] for _ in range(self.n_slots)]
        if slots:
            for i, (param, grad) in enumerate(zip(parameters, gradients)):
                rule(param, grad, [slot[i] for slot in slots])
        else:  # a rule without state (plain SGD): the same call, without gathering slots
            for param, grad in zip(parameters, gradients):
                rule(param, grad, slots)
        self.iterations += 1

    def _rule(self, param, grad, slots) -> None:
        """The update of one array ``param`` (in place) from its gradient and its state ``slots``."""
        raise NotImplementedError


class SGD(Optimizer):
    """``w -= learning_rate * g``; with momentum, ``m = momentum*m - learning_rate*g; w += m``."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = arguments.number_in("SGD: momentum", momentum, 0, 1, closed_high=True)
        self.nesterov = arguments.flag("SGD: nesterov", nesterov)
        self.n_slots = 1 if self.momentum else 0

    def _rule(self, param, grad, slots) -> None:
        if not slots:  # plain SGD keeps no state
            param -= self.learning_rate * grad
            return
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

    n_slots = 2

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1 = arguments.fraction("Adam: beta_1", beta_1)
        self.beta_2 = arguments.fraction("Adam: beta_2", beta_2)
        self.epsilon = arguments.positive_float("Adam: epsilon", epsilon)

    def update(self, parameters, gradients) -> None:
        t = self.iterations + 1  # the bias correction of this update, shared by every array
        self._alpha = self.learning_rate * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        super().update(parameters, gradients)

    def _rule(self, param, grad, slots) -> None:
        m, v = slots
        m += (grad - m) * (1 - self.beta_1)
        v += (grad * grad - v) * (1 - self.beta_2)
        param -= self._alpha * m / (np.sqrt(v) + self.epsilon)


def unused_copy(name: str, optimizer) -> Optimizer:
    """A copy of ``optimizer``, an optimizer object that has made no update yet, or an error naming ``name``.

    A loop that returns a path trains the copy, so the object it was given is
    left unchanged and one object can serve several runs (seeds, batch sizes).
    """
    arguments.not_keras_string(name, optimizer, "course_utils.reference.optimizers.SGD(0.1)")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name} must be an optimizer object such as course_utils.reference.optimizers.SGD(0.1), "
                        f"got {arguments.describe(optimizer)}")
    if optimizer.iterations or optimizer.slots:
        raise ValueError(f"{name} has already made {optimizer.iterations} updates; pass a new one")
    return copy.deepcopy(optimizer)


def momentum(learning_rate: float = 0.01, momentum: float = 0.9) -> SGD:
    """SGD with momentum, as ``keras.optimizers.SGD(learning_rate, momentum=momentum)``."""
    return SGD(learning_rate, momentum=momentum)
