"""Helpers a request may hand to the student's code, and that report what they saw.

Kernel side. A :class:`GradientRecorder` stands in for a gradient function:
the student's loop calls it, and it records the parameters and the batch of
every call. The gradient it computes is one of :data:`GRADIENTS`: functions
given to the student, never the answer to a graded question (the exercises
ask for the mean squared error's gradient; the recorder uses the mean
absolute error's). A :class:`Generator` is a seeded ``numpy.random.Generator``
for an ``rng`` argument.
"""

from __future__ import annotations

import numpy as np


def linear_mae_gradient(theta, X_batch, y_batch) -> np.ndarray:
    """Gradient of the batch mean absolute error of ``b + X @ w`` for ``theta = [b, w_1, ..., w_k]``."""
    theta = np.asarray(theta, dtype=float)
    X_batch = np.asarray(X_batch, dtype=float).reshape(len(np.atleast_1d(y_batch)), -1)
    error = theta[0] + X_batch @ theta[1:] - np.asarray(y_batch, dtype=float).reshape(-1)
    sign = np.sign(error)
    return np.concatenate([[np.mean(sign)], X_batch.T @ sign / len(sign)])


GRADIENTS = {"linear_mae_gradient": linear_mae_gradient}
"""Gradient functions a recorder may use: given to the student, not asked of them."""

MAX_RECORDED_CALLS = 100_000
"""A recorder called more often raises: a loop that never ends cannot fill the kernel's memory."""


class GradientRecorder:
    """Wraps ``GRADIENTS[gradient]`` and records every call: the parameters and the batch it received.

    A batch of one sample may be passed as ``X[i]`` or ``X[i:i+1]``: both are
    reshaped to ``(batch, n_features)``. At most ``max_calls`` calls are kept.
    """

    def __init__(self, gradient: str, n_features: int, max_calls: int = MAX_RECORDED_CALLS):
        self.gradient = GRADIENTS[gradient]
        self.name = gradient
        self.n_features = int(n_features)
        self.max_calls = int(max_calls)
        self.thetas: list[np.ndarray] = []
        self.X_batches: list[np.ndarray] = []
        self.y_batches: list[np.ndarray] = []

    def __call__(self, theta, X_batch, y_batch):
        X_batch = np.asarray(X_batch, dtype=float).reshape(-1, self.n_features)
        y_batch = np.asarray(y_batch, dtype=float).reshape(-1)
        if len(self.thetas) >= self.max_calls:
            raise RuntimeError(f"the gradient was called more than {self.max_calls} times")
        self.thetas.append(np.array(theta, dtype=float, copy=True))
        self.X_batches.append(X_batch.copy())
        self.y_batches.append(y_batch.copy())
        return self.gradient(np.array(theta, dtype=float, copy=True), X_batch, y_batch)

    def plain(self) -> dict:
        """What the recorder saw."""
        return {"gradient": self.name, "thetas": self.thetas, "X_batches": self.X_batches,
                "y_batches": self.y_batches, "n_features": self.n_features}


class Generator(np.random.Generator):
    """``numpy.random.default_rng(seed)``, for a loop's ``rng`` argument: a request cannot carry a Generator.

    A real ``numpy.random.Generator`` (the same draws as ``default_rng(seed)``)
    that reports its seed.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        super().__init__(np.random.PCG64(self.seed))

    def plain(self) -> dict:
        """The seed it was made from."""
        return {"generator_seed": self.seed}


GIVEN = {"GradientRecorder": GradientRecorder, "Generator": Generator}
"""The helpers a request may hand to the student's code, by name."""
