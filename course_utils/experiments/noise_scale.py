"""The gradient noise scale and the critical batch size in miniature, for lesson 8.

The problem is a linear model without bias, ``h(x) = x @ theta``, on seed 004's
cost ``J = 1/(2m) * sum((h(x) - y)**2)``. X has shape ``(n_samples, n_features)``,
y ``(n_samples,)``, theta ``(n_features,)``. Each batch draws ``batch_size``
samples at random (with replacement), so every batch gradient is an
independent, unbiased estimate of the full gradient.

McCandlish et al. (2018) call ``B_simple = tr(Sigma) / |G|**2`` the simple noise
scale: ``G`` is the full gradient and ``Sigma`` the covariance of one sample's
gradient. Below it a batch gradient is mostly noise, and doubling the batch
halves the steps to a target; above it, extra samples buy little.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_utils.reference import arguments, batching
from course_utils.reference.optimizers import SGD


def _problem(X, y, fn: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = arguments.paired_arrays(X, y, fn, check_finite=True)
    if X.ndim != 2 or y.ndim != 1:
        raise ValueError(f"{fn}: X must have shape (n_samples, n_features) and y (n_samples,), got {X.shape} and {y.shape}")
    return X.astype(float), y.astype(float)


def _weights(theta, n_features: int, fn: str) -> np.ndarray:
    theta = arguments.finite(f"{fn}: theta", arguments.numeric_array(f"{fn}: theta", theta, dtype=float))
    if theta.shape != (n_features,):
        raise ValueError(f"{fn}: theta must have shape ({n_features},), one weight per feature, got {theta.shape}")
    return theta


def cost(theta, X, y) -> float:
    """``J(theta) = 1/(2m) * sum((X @ theta - y)**2)`` on all m samples."""
    X, y = _problem(X, y, "cost")
    error = X @ _weights(theta, X.shape[1], "cost") - y
    return float(error @ error) / (2 * len(y))


def per_sample_gradients(theta, X, y) -> np.ndarray:
    """Each sample's gradient of ``J``, shape ``(n_samples, n_features)``; their mean is the full gradient."""
    X, y = _problem(X, y, "per_sample_gradients")
    theta = _weights(theta, X.shape[1], "per_sample_gradients")
    return X * (X @ theta - y)[:, None]


def simple_noise_scale(theta, X, y) -> float:
    """``B_simple = tr(Sigma) / |G|**2`` at ``theta`` (McCandlish et al. 2018), from the per-sample gradients."""
    gradients = per_sample_gradients(theta, X, y)
    full = gradients.mean(axis=0)
    if not np.any(full):
        raise ValueError("simple_noise_scale: the full gradient is zero at theta (a minimum): B_simple is undefined there")
    trace_sigma = np.sum((gradients - full) ** 2) / len(gradients)  # tr(Sigma): mean squared distance to G
    return float(trace_sigma / (full @ full))


def steps_to_target(X, y, batch_size: int, learning_rates, target_loss: float, *, rng=0, max_steps: int = 2000):
    """Updates until ``cost`` first falls to ``target_loss``, one run per learning rate, from theta = 0.

    Returns a float array of shape ``(len(learning_rates),)``; ``inf`` where a run
    did not get there within ``max_steps`` updates (or diverged). All runs draw
    their batches from the same ``rng`` (a seed or a Generator).
    """
    fn = "steps_to_target"
    X, y = _problem(X, y, fn)
    batch_size = arguments.positive_int(f"{fn}: batch_size", batch_size)
    rates = arguments.numeric_array(f"{fn}: learning_rates", learning_rates, dtype=float)
    if rates.ndim != 1 or len(rates) == 0 or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError(f"{fn}: learning_rates must be a non-empty list of finite numbers > 0, got {learning_rates!r}")
    target_loss = arguments.positive_float(f"{fn}: target_loss", target_loss)
    max_steps = arguments.positive_int(f"{fn}: max_steps", max_steps)
    batching.check_updates(fn, max_steps * len(rates), f"max_steps={max_steps} for {len(rates)} learning rates",
                           remedy="lower max_steps or pass fewer learning rates")
    rng = arguments.rng_from(rng, f"{fn}: rng")
    H, b, c = X.T @ X / len(X), X.T @ y / len(X), y @ y / len(X)  # J = (t H t - 2 b t + c) / 2, cheap for many t
    theta = np.zeros((len(rates), X.shape[1]))  # row r: the weights of the run at learning_rates[r]
    sgd = SGD(1.0)
    sgd.learning_rate = rates[:, None]  # SGD's rule is elementwise: each row moves at its own rate
    steps = np.full(len(rates), np.inf)
    running = np.ones(len(rates), dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run turns to inf/NaN and is stopped
        for step in range(1, max_steps + 1):
            batch = rng.integers(0, len(X), size=(len(rates), batch_size))  # one batch per run
            error = np.einsum("rbi,ri->rb", X[batch], theta) - y[batch]  # forward
            gradient = np.einsum("rbi,rb->ri", X[batch], error) / batch_size  # backward: mean over the batch
            sgd.update([theta], [gradient])  # update: theta -= rates[:, None] * gradient
            loss = (np.einsum("ri,ij,rj->r", theta, H, theta) - 2 * theta @ b + c) / 2
            reached = running & (loss <= target_loss)
            steps[reached] = step
            running &= ~reached & np.isfinite(loss)
            if not running.any():
                break
    return steps


@dataclass
class BatchSizeStudy:
    """Steps to the target for each batch size and seed, at the learning rate best for that batch size."""

    batch_sizes: np.ndarray  # (n_sizes,)
    learning_rates: np.ndarray  # (n_sizes,): the tuned rate of each batch size
    steps: np.ndarray  # (n_seeds, n_sizes): updates to the target, one row per seed

    @property
    def mean_steps(self) -> np.ndarray:
        """Mean over seeds of the steps to the target, shape ``(n_sizes,)``."""
        return self.steps.mean(axis=0)

    @property
    def samples(self) -> np.ndarray:
        """Mean samples processed to the target, ``batch_size * mean_steps``, shape ``(n_sizes,)``."""
        return self.batch_sizes * self.mean_steps

    def bend(self) -> int:
        """The first batch size whose samples to the target are at least twice the fewest (McCandlish's B_crit)."""
        over = np.flatnonzero(self.samples >= 2 * self.samples.min())
        if not len(over):
            raise ValueError("BatchSizeStudy.bend: no batch size needs twice the fewest samples; try larger batch sizes")
        return int(self.batch_sizes[over[0]])


def batch_size_study(X, y, batch_sizes, learning_rates, target_loss: float, *, seeds=range(5), max_steps: int = 2000):
    """Run ``steps_to_target`` for every batch size and seed; tune the learning rate per batch size.

    For each batch size the learning rate with the fewest mean steps over the
    seeds is kept (as Shallue et al. 2018 tune it). Returns a ``BatchSizeStudy``.
    """
    fn = "batch_size_study"
    sizes = [arguments.positive_int(f"{fn}: batch_sizes", b) for b in np.atleast_1d(batch_sizes)]
    seeds = [arguments.positive_int(f"{fn}: seeds", s, minimum=0) for s in seeds]
    if not sizes or len(seeds) < 2:
        raise ValueError(f"{fn}: need at least one batch size and two seeds, got {len(sizes)} and {len(seeds)}")
    rates = np.asarray(learning_rates, dtype=float)
    tuned, steps = [], []
    for batch_size in sizes:
        runs = np.array([steps_to_target(X, y, batch_size, rates, target_loss, rng=seed, max_steps=max_steps)
                         for seed in seeds])  # (n_seeds, n_rates)
        with np.errstate(invalid="ignore"):
            best = int(np.argmin(runs.mean(axis=0)))
        if not np.isfinite(runs[:, best]).all():
            raise ValueError(f"{fn}: batch_size={batch_size} never reached target_loss={target_loss} within "
                             f"max_steps={max_steps} at any learning rate; raise max_steps or the target")
        tuned.append(rates[best])
        steps.append(runs[:, best])
    return BatchSizeStudy(np.array(sizes), np.array(tuned), np.array(steps).T)
