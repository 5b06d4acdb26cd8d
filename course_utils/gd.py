"""Gradient descent from scratch on seed 004's two-parameter problem ``h(x) = theta0 + theta1 * x``.

The cost is seed 004's ``J = 1/(2m) * sum((h(x) - y)**2)`` over a batch of m
samples; its gradient divides by ``m = len(batch)``, so a partial last batch
gives a mean like any other. ``theta`` is always ``[theta0, theta1]``
(intercept, slope). One function, ``gradient_descent``, runs every variant:
full batch (``batch_size=n_samples``), stochastic (``batch_size=1``) and
mini-batch, drawing samples with or without replacement.
"""

from __future__ import annotations

import numpy as np

from course_utils import _checks, batching


def _inputs(X, y) -> tuple[np.ndarray, np.ndarray]:
    """x as shape ``(m,)`` from X of shape ``(m,)`` or ``(m, 1)``; y as ``(m,)``."""
    X, y = _checks.paired_arrays(X, y)
    if X.ndim == 2 and X.shape[1] == 1:
        X = X[:, 0]
    if X.ndim != 1 or y.ndim != 1:
        raise ValueError(f"X must have shape (m,) or (m, 1) and y shape (m,), got X {X.shape} and y {y.shape}")
    return X.astype(float), y.astype(float)


def _theta(theta) -> np.ndarray:
    theta = np.array(theta, dtype=float)
    if theta.shape != (2,):
        raise ValueError(f"theta must be [theta0, theta1] (shape (2,)), got shape {theta.shape}")
    return theta


def cost(theta, X, y) -> float:
    """Seed 004's ``J(theta) = 1/(2m) * sum((theta0 + theta1*x - y)**2)``; X ``(m,)`` or ``(m, 1)``, y ``(m,)``."""
    theta, (x, y) = _theta(theta), _inputs(X, y)
    error = theta[0] + theta[1] * x - y
    return float(error @ error) / (2 * len(x))


def gradient(theta, X, y) -> np.ndarray:
    """``[dJ/dtheta0, dJ/dtheta1] = [mean(error), mean(error * x)]``, shape ``(2,)``; divides by ``len(y)``."""
    theta, (x, y) = _theta(theta), _inputs(X, y)
    error = theta[0] + theta[1] * x - y
    return np.array([error.mean(), (error * x).mean()])


def least_squares(X, y) -> np.ndarray:
    """The exact minimiser of ``cost``: ``[theta0, theta1]``, shape ``(2,)``."""
    x, y = _inputs(X, y)
    A = np.column_stack([np.ones_like(x), x])
    return np.linalg.lstsq(A, y, rcond=None)[0]


def _batches(n_samples: int, batch_size: int, replacement: bool, rng) -> list[np.ndarray]:
    """One epoch's index arrays: a shuffled partition, or ``ceil(n/b)`` draws with replacement."""
    if not replacement:
        return batching.batch_indices(n_samples, batch_size, shuffle=True, rng=rng)
    steps = batching.steps_per_epoch(n_samples, batch_size)
    return [rng.integers(0, n_samples, size=batch_size) for _ in range(steps)]


def gradient_descent(
    X,
    y,
    batch_size: int,
    *,
    epochs: int = 1,
    learning_rate: float = 0.1,
    replacement: bool = False,
    theta=(0.0, 0.0),
    rng=None,
) -> np.ndarray:
    """Run gradient descent and return the path of parameters, shape ``(n_updates + 1, 2)``.

    Row 0 is the starting ``theta``; row k the parameters after update k.
    Each epoch makes ``ceil(n_samples / batch_size)`` updates. Without
    replacement every sample is used once per epoch in a new random order
    (the last batch may be smaller); with ``replacement=True`` each batch is
    ``batch_size`` samples drawn at random, repeats allowed. Each update is
    ``theta -= learning_rate * gradient(theta, X_batch, y_batch)``.
    """
    x, y = _inputs(X, y)
    batch_size = _checks.positive_int("batch_size", batch_size)
    epochs = _checks.positive_int("epochs", epochs)
    learning_rate = _checks.positive_float("learning_rate", learning_rate)
    if not isinstance(replacement, (bool, np.bool_)):
        raise TypeError(f"replacement must be True or False, got {replacement!r}")
    theta, rng = _theta(theta), _checks.rng_from(rng)
    path = [theta.copy()]
    for _ in range(epochs):
        for batch in _batches(len(x), batch_size, bool(replacement), rng):
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
                error = theta[0] + theta[1] * x[batch] - y[batch]  # forward
                grad = np.array([error.mean(), (error * x[batch]).mean()])  # backward: divide by len(batch)
                theta = theta - learning_rate * grad  # update
            if not np.all(np.isfinite(theta)):
                raise FloatingPointError(
                    f"theta became {theta} at update {len(path)}: try a smaller learning_rate than {learning_rate}"
                )
            path.append(theta)
    return np.array(path)


def gradient_noise(theta, X, y, batch_size: int, *, n_draws: int = 200, rng=None) -> float:
    """How far a mini-batch gradient strays from the full gradient at ``theta``.

    Draws ``n_draws`` batches of ``batch_size`` distinct samples and returns the
    root-mean-square of ``|gradient(batch) - gradient(all)|`` (a float); it
    shrinks roughly as ``1/sqrt(batch_size)``.
    """
    theta, (x, y) = _theta(theta), _inputs(X, y)
    batch_size = _checks.positive_int("batch_size", batch_size)
    n_draws = _checks.positive_int("n_draws", n_draws)
    if batch_size > len(x):
        raise ValueError(f"batch_size must be at most n_samples={len(x)}, got {batch_size}")
    rng = _checks.rng_from(rng)
    full = gradient(theta, x, y)
    squares = []
    for _ in range(n_draws):
        batch = rng.choice(len(x), size=batch_size, replace=False)
        squares.append(np.sum((gradient(theta, x[batch], y[batch]) - full) ** 2))
    return float(np.sqrt(np.mean(squares)))
