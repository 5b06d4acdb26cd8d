"""Gradient descent from scratch on seed 004's two-parameter problem ``h(x) = theta0 + theta1 * x``.

The cost is seed 004's ``J = 1/(2m) * sum((h(x) - y)**2)`` over a batch of m
samples; its gradient divides by ``m = len(batch)``, so a partial last batch
gives a mean like any other. ``theta`` is always ``[theta0, theta1]``
(intercept, slope). One function, ``gradient_descent``, runs every variant:
full batch (``batch_size=n_samples``), stochastic (``batch_size=1``) and
mini-batch, drawing samples with or without replacement.
"""

from __future__ import annotations

import math

import numpy as np

from course_utils.reference import arguments, batching
from course_utils.reference.optimizers import SGD, unused_copy


def checked_data(X, y, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """x as floats ``(m,)`` from X ``(m,)`` or ``(m, 1)``, y as ``(m,)``, all finite; or an error naming ``fn``."""
    X, y = arguments.paired_arrays(X, y, fn, check_finite=True)
    if X.ndim == 2 and X.shape[1] == 1:
        X = X[:, 0]
    if X.ndim != 1 or y.ndim != 1:
        raise ValueError(f"{fn}: X must have shape (m,) or (m, 1) and y shape (m,), got X {X.shape} and y {y.shape}")
    return X.astype(float), y.astype(float)


def checked_theta(theta, fn: str) -> np.ndarray:
    """A float copy of ``theta``, ``[theta0, theta1]`` of shape ``(2,)``, finite; or an error naming ``fn``."""
    theta = arguments.finite(f"{fn}: theta", arguments.numeric_array(f"{fn}: theta", theta, dtype=float)).copy()
    if theta.shape != (2,):
        raise ValueError(f"{fn}: theta must be [theta0, theta1] (shape (2,)), got shape {theta.shape}")
    return theta


def cost(theta, X, y) -> float:
    """Seed 004's ``J(theta) = 1/(2m) * sum((theta0 + theta1*x - y)**2)``; X ``(m,)`` or ``(m, 1)``, y ``(m,)``."""
    theta, (x, y) = checked_theta(theta, "cost"), checked_data(X, y, "cost")
    error = theta[0] + theta[1] * x - y
    return float(error @ error) / (2 * len(x))


def gradient(theta, X, y) -> np.ndarray:
    """``[dJ/dtheta0, dJ/dtheta1] = [mean(error), mean(error * x)]``, shape ``(2,)``; divides by ``len(y)``."""
    theta, (x, y) = checked_theta(theta, "gradient"), checked_data(X, y, "gradient")
    return _gradient(theta, x, y)


def _gradient(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    error = theta[0] + theta[1] * x - y
    return np.array([error.mean(), (error * x).mean()])


def least_squares(X, y) -> np.ndarray:
    """The exact minimiser of ``cost``: ``[theta0, theta1]``, shape ``(2,)``."""
    x, y = checked_data(X, y, "least_squares")
    A = np.column_stack([np.ones_like(x), x])
    return np.linalg.lstsq(A, y, rcond=None)[0]


def _batches(n_samples: int, batch_size: int, replacement: bool, rng) -> list[np.ndarray]:
    """One epoch's index arrays: a shuffled partition, or ``ceil(n/b)`` draws with replacement."""
    if not replacement:
        return batching.batch_indices(n_samples, batch_size, shuffle=True, rng=rng)
    steps = batching.steps_per_epoch(n_samples, batch_size)
    return list(rng.integers(0, n_samples, size=(steps, batch_size)))  # row k: batch k


def gradient_descent(
    X,
    y,
    batch_size: int,
    *,
    epochs: int = 1,
    learning_rate: float | None = None,
    replacement: bool = False,
    theta=(0.0, 0.0),
    rng=None,
    optimizer=None,
) -> np.ndarray:
    """Run gradient descent and return the path of parameters, shape ``(n_updates + 1, 2)``.

    Row 0 is the starting ``theta``; row k the parameters after update k.
    Each epoch makes ``ceil(n_samples / batch_size)`` updates. Without
    replacement every sample is used once per epoch in a new random order
    (the last batch may be smaller); with ``replacement=True`` each batch is
    ``batch_size`` samples drawn at random, repeats allowed. Each update is
    ``theta -= learning_rate * gradient(theta, X_batch, y_batch)`` (plain SGD,
    ``learning_rate`` 0.1 unless given), or the update of ``optimizer``: an
    unused ``course_utils.reference.optimizers`` object (``SGD(0.1, momentum=0.9)``,
    ``Adam(0.1)``) given instead of ``learning_rate``; a copy of it is trained.
    """
    fn = "gradient_descent"
    x, y = checked_data(X, y, fn)
    batch_size = arguments.positive_int(f"{fn}: batch_size", batch_size)
    epochs = arguments.positive_int(f"{fn}: epochs", epochs)
    optimizer = _optimizer(fn, learning_rate, optimizer)
    replacement = arguments.flag(f"{fn}: replacement", replacement)
    theta, rng = checked_theta(theta, fn), arguments.rng_from(rng, f"{fn}: rng")
    updates = epochs * batching.steps_per_epoch(len(x), batch_size)
    batching.check_updates(fn, updates, f"epochs={epochs} with {len(x)} samples and batch_size={batch_size}",
                           remedy="the path keeps one row per update; lower epochs or raise batch_size")
    # Plain SGD, the hot case (lesson 3 makes about a million updates), applies SGD's rule
    # `theta -= learning_rate * gradient` to two floats: the same operations as SGD.update on
    # the array theta (tests/reference/test_gd.py checks they agree bit for bit), at half the time per update.
    plain_sgd, learning_rate = type(optimizer) is SGD and not optimizer.momentum, optimizer.learning_rate
    path, (t0, t1) = [theta.copy()], theta
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        for _ in range(epochs):
            for batch in _batches(len(x), batch_size, bool(replacement), rng):
                x_batch, y_batch = x[batch], y[batch]
                error = t0 + t1 * x_batch - y_batch  # forward
                m = len(batch)  # backward: divide by the samples actually in the batch
                g0, g1 = error.sum() / m, (error @ x_batch) / m
                if plain_sgd:  # update
                    t0, t1 = t0 - learning_rate * g0, t1 - learning_rate * g1
                else:
                    optimizer.update([theta], [np.array((g0, g1))])  # theta, in place
                    t0, t1 = theta
                if not (math.isfinite(t0) and math.isfinite(t1)):
                    raise FloatingPointError(
                        f"{fn}: theta became {[float(t0), float(t1)]} at update {len(path)}: "
                        f"try a smaller learning_rate than {learning_rate}"
                    )
                path.append((t0, t1))
    return np.array(path)


def _optimizer(fn: str, learning_rate, optimizer):
    """``SGD(learning_rate)`` (0.1 if None), or a fresh copy of ``optimizer``; both given is an error."""
    if optimizer is None:
        return SGD(arguments.positive_float(f"{fn}: learning_rate", 0.1 if learning_rate is None else learning_rate))
    if learning_rate is not None:
        raise TypeError(f"{fn}: give learning_rate or optimizer (which has its own learning_rate), not both; "
                        f"got learning_rate={learning_rate!r} and optimizer={arguments.describe(optimizer)}")
    return unused_copy(f"{fn}: optimizer", optimizer)


def gradient_noise(theta, X, y, batch_size: int, *, n_draws: int = 200, rng=None) -> float:
    """How far a mini-batch gradient strays from the full gradient at ``theta``.

    Draws ``n_draws`` batches of ``batch_size`` distinct samples and returns the
    root-mean-square of ``|gradient(batch) - gradient(all)|`` (a float). It
    shrinks as ``predicted_gradient_noise`` says: about ``1/sqrt(batch_size)``,
    times ``sqrt((n - b) / (n - 1))`` because a batch holds distinct samples.
    """
    fn = "gradient_noise"
    theta, (x, y) = checked_theta(theta, fn), checked_data(X, y, fn)
    batch_size = arguments.positive_int(f"{fn}: batch_size", batch_size)
    n_draws = arguments.positive_int(f"{fn}: n_draws", n_draws)
    if n_draws > 10**6:
        raise ValueError(f"{fn}: n_draws must be at most 10**6, got {n_draws}")
    if batch_size > len(x):
        raise ValueError(f"{fn}: batch_size must be at most n_samples={len(x)}, got {batch_size}")
    rng = arguments.rng_from(rng, f"{fn}: rng")
    full = _gradient(theta, x, y)
    squares = []
    for _ in range(n_draws):
        batch = rng.choice(len(x), size=batch_size, replace=False)
        squares.append(np.sum((_gradient(theta, x[batch], y[batch]) - full) ** 2))
    return float(np.sqrt(np.mean(squares)))


def predicted_gradient_noise(theta, X, y, batch_size: int, *, without_replacement: bool = True) -> float:
    """The root-mean-square batch-gradient error that sampling theory predicts at ``theta``.

    With ``s**2 = mean_i |g_i - g|**2`` over the per-sample gradients ``g_i``,
    it is ``s / sqrt(b)`` for ``b`` samples drawn with replacement, times
    ``sqrt((n - b) / (n - 1))`` for ``b`` distinct samples (``without_replacement=True``).
    """
    fn = "predicted_gradient_noise"
    theta, (x, y) = checked_theta(theta, fn), checked_data(X, y, fn)
    batch_size = arguments.positive_int(f"{fn}: batch_size", batch_size)
    without_replacement = arguments.flag(f"{fn}: without_replacement", without_replacement)
    n = len(x)
    if without_replacement and batch_size > n:
        raise ValueError(f"{fn}: batch_size must be at most n_samples={n} without replacement, got {batch_size}")
    error = theta[0] + theta[1] * x - y
    per_sample = np.column_stack([error, error * x])  # shape (n, 2): one gradient per sample
    spread = np.sqrt(np.mean(np.sum((per_sample - per_sample.mean(axis=0)) ** 2, axis=1)))
    factor = np.sqrt((n - batch_size) / (n - 1)) if without_replacement and n > 1 else 1.0
    return float(spread / np.sqrt(batch_size) * factor)
