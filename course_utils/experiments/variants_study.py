"""Experiments for lesson 3: the work each gradient-descent variant needs to reach, and stay near, a target.

Everything runs ``course_utils.reference.gd.gradient_descent`` on ``h(x) = theta0 + theta1 * x``.
"Reaching" a target ``J - J* <= target`` is judged on the full-data cost at the end
of each epoch, and it counts only from the first epoch after which the cost *stays*
below the target to the end of the run: a variant that dips below and bounces back
has not reached it. Work is counted three machine-independent ways: epochs,
updates (steps) and sample-gradients (one per sample in each batch).
"""

from __future__ import annotations

import time

import numpy as np

from course_utils.reference import arguments, batching, gd
from course_utils.reference.datasets import linear_regression

__all__ = [
    "excess_cost", "first_below", "stays_below_from", "work_to_target",
    "compare_variants", "mean_spread", "near_duplicates", "repeat_or_fresh", "median_seconds_per_epoch",
]


def excess_cost(path, X, y) -> np.ndarray:
    """``J(theta_k) - J*`` on all of X, y for every row of ``path`` (shape ``(k, 2)``); returns shape ``(k,)``."""
    fn = "excess_cost"
    path = arguments.numeric_array(f"{fn}: path", path, dtype=float)
    if path.ndim != 2 or path.shape[1] != 2:
        raise ValueError(f"{fn}: path must have shape (n_updates + 1, 2), got {path.shape}")
    x, y = gd.checked_data(X, y, fn)
    error = path[:, [0]] + path[:, [1]] * x - y  # one row per theta
    best = gd.cost(gd.least_squares(x, y), x, y)
    return np.maximum(np.einsum("ij,ij->i", error, error) / (2 * len(x)) - best, 0.0)


def _values(values, fn: str) -> np.ndarray:
    values = arguments.numeric_array(f"{fn}: values", values, dtype=float)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"{fn}: values must be a non-empty 1-D array, got shape {values.shape}")
    return values


def first_below(values, target: float) -> int | None:
    """Index of the first value ``<= target``, or None if there is none."""
    values = _values(values, "first_below")
    below = np.flatnonzero(values <= arguments.positive_float("first_below: target", target))
    return int(below[0]) if len(below) else None


def stays_below_from(values, target: float) -> int | None:
    """First index from which every later value is ``<= target``; None if the last value is above it."""
    values = _values(values, "stays_below_from")
    above = np.flatnonzero(values > arguments.positive_float("stays_below_from: target", target))
    if len(above) == 0:
        return 0
    return int(above[-1]) + 1 if above[-1] + 1 < len(values) else None


def work_to_target(X, y, batch_size: int, *, target: float, epochs: int, learning_rate: float = 0.1,
                   replacement: bool = False, rng=None) -> dict:
    """How much work one run needs to touch, and to settle below, ``J - J* <= target``.

    Returns a dict of floats. ``touch_*``: epochs, updates and sample-gradients
    until the first update whose full-data cost is below the target (it may
    bounce back). ``settle_*``: the same counts up to the first epoch end from
    which the cost stays below the target at every later epoch end; NaN when
    that epoch is in the second half of the run (not settled). ``last_max``:
    the largest ``J - J*`` over the last 20 epoch ends (or all, if fewer).
    """
    fn = "work_to_target"
    target = arguments.positive_float(f"{fn}: target", target)
    epochs = arguments.positive_int(f"{fn}: epochs", epochs)
    batch_size = arguments.positive_int(f"{fn}: batch_size", batch_size)
    path = gd.gradient_descent(X, y, batch_size, epochs=epochs, learning_rate=learning_rate,
                               replacement=replacement, rng=rng)
    excess = excess_cost(path, X, y)
    per_epoch = batching.steps_per_epoch(len(y), batch_size)
    sizes = np.full(per_epoch, batch_size)
    if not replacement:
        sizes[-1] = len(y) - batch_size * (per_epoch - 1)  # the last batch may be partial
    samples = np.concatenate([[0], np.cumsum(np.tile(sizes, epochs))])  # after k updates
    touch, settle = first_below(excess, target), stays_below_from(excess[::per_epoch], target)
    settled = settle is not None and settle <= epochs // 2
    work = {}
    for name, update in (("touch", touch), ("settle", settle * per_epoch if settled else None)):
        work[f"{name}_epochs"] = float("nan") if update is None else update / per_epoch
        work[f"{name}_updates"] = float("nan") if update is None else float(update)
        work[f"{name}_sample_gradients"] = float("nan") if update is None else float(samples[update])
    return work | {"last_max": float(excess[::per_epoch][-20:].max())}


def compare_variants(variants: dict, *, seeds, target: float, epochs: int, learning_rate: float = 0.1,
                     n_samples: int = 100) -> dict:
    """``work_to_target`` for every ``{name: (batch_size, replacement)}`` on every seed.

    Seed ``s`` draws the data ``linear_regression(n_samples, rng=s)`` and the
    batches with ``rng=s``. Returns ``{name: {measure: array of shape (len(seeds),)}}``.
    """
    if not isinstance(variants, dict) or not variants:
        raise TypeError(f"compare_variants: variants must be a non-empty dict {{name: (batch_size, replacement)}}, "
                        f"got {arguments.describe(variants)}")
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"compare_variants: seeds must be a list or range of int seeds >= 0, got {arguments.describe(seeds)}")
    seeds = [arguments.positive_int("compare_variants: seeds", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("compare_variants: seeds must hold at least one seed, got none")
    for name, variant in variants.items():
        if not isinstance(variant, tuple) or len(variant) != 2:
            raise TypeError(f"compare_variants: variants[{name!r}] must be (batch_size, replacement), "
                            f"got {arguments.describe(variant)}")
    table = {name: {} for name in variants}
    for seed in seeds:
        X, y = linear_regression(n_samples, rng=seed)
        for name, (batch_size, replacement) in variants.items():
            work = work_to_target(X, y, batch_size, target=target, epochs=epochs,
                                  learning_rate=learning_rate, replacement=replacement, rng=seed)
            for measure, value in work.items():
                table[name].setdefault(measure, []).append(value)
    return {name: {m: np.array(v) for m, v in measures.items()} for name, measures in table.items()}


def mean_spread(values, digits: int = 1) -> str:
    """``"mean ± standard deviation"`` of the finite values, and how many were not reached (NaN)."""
    values = _values(values, "mean_spread")
    reached = values[np.isfinite(values)]
    if len(reached) == 0:
        return f"never ({len(values)}/{len(values)})"
    text = f"{reached.mean():.{digits}f} ± {reached.std():.{digits}f}"
    missed = len(values) - len(reached)
    return text + (f" ({missed}/{len(values)} never)" if missed else "")


def near_duplicates(n_distinct: int, copies: int, *, jitter: float = 0.02, rng=None):
    """A data set of ``n_distinct * copies`` samples: each of ``n_distinct`` points repeated, jittered.

    The distinct points come from ``linear_regression(n_distinct)``; every copy
    gets normal noise of standard deviation ``jitter`` on x and y. Returns X
    ``(n_distinct * copies, 1)`` and y ``(n_distinct * copies,)``.
    """
    fn = "near_duplicates"
    n_distinct = arguments.positive_int(f"{fn}: n_distinct", n_distinct, minimum=2)
    copies = arguments.positive_int(f"{fn}: copies", copies)
    if n_distinct * copies > 10**7:
        raise ValueError(f"{fn}: n_distinct * copies must be at most 10**7, got {n_distinct * copies}")
    jitter = arguments.finite_float(f"{fn}: jitter", jitter, minimum=0)
    rng = arguments.rng_from(rng, f"{fn}: rng")
    X, y = linear_regression(n_distinct, rng=rng)
    X, y = np.repeat(X, copies, axis=0), np.repeat(y, copies)
    return X + jitter * rng.standard_normal(X.shape), y + jitter * rng.standard_normal(len(y))


def repeat_or_fresh(n_samples: int, batch_size: int, epochs: int, *, learning_rate: float = 0.1,
                    seed: int = 0, n_test: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """Held-out ``J - J(true line)`` after each epoch: the same ``n_samples`` again, or new ones each epoch.

    *Repeat* trains ``epochs`` epochs on one training set; *fresh* makes the
    same updates on ``n_samples * epochs`` new samples, each seen once. Both
    start at (0, 0) and use the same batch size. Returns two arrays of shape
    ``(epochs + 1,)``: row e is after e epochs (``n_samples * e`` samples seen).
    """
    fn = "repeat_or_fresh"
    n_samples = arguments.positive_int(f"{fn}: n_samples", n_samples)
    batch_size = arguments.positive_int(f"{fn}: batch_size", batch_size)
    epochs = arguments.positive_int(f"{fn}: epochs", epochs)
    seed = arguments.positive_int(f"{fn}: seed", seed, minimum=0)
    if batch_size > n_samples:
        raise ValueError(f"{fn}: batch_size must be at most n_samples={n_samples}, got {batch_size}")
    X, y = linear_regression(n_samples, rng=seed)
    X_new, y_new = linear_regression(n_samples * epochs, rng=np.random.default_rng([seed, 1]))
    X_test, y_test = linear_regression(arguments.positive_int(f"{fn}: n_test", n_test), rng=np.random.default_rng([seed, 2]))
    repeat = gd.gradient_descent(X, y, batch_size, epochs=epochs, learning_rate=learning_rate, rng=seed)
    fresh = gd.gradient_descent(X_new, y_new, batch_size, epochs=1, learning_rate=learning_rate, rng=seed)
    per_epoch = batching.steps_per_epoch(n_samples, batch_size)
    floor = gd.cost([4.0, 3.0], X_test, y_test)  # the line the data was drawn around

    def held_out(path):
        error = path[::per_epoch, [0]] + path[::per_epoch, [1]] * X_test[:, 0] - y_test
        return np.einsum("ij,ij->i", error, error) / (2 * len(y_test)) - floor

    return held_out(repeat), held_out(fresh)


def median_seconds_per_epoch(X, y, batch_size: int, *, replacement: bool = False, learning_rate: float = 0.1,
                             epochs: int = 5, repeats: int = 5) -> float:
    """Median over ``repeats`` runs of the wall time of one epoch (seconds); it varies by machine and load."""
    repeats = arguments.positive_int("median_seconds_per_epoch: repeats", repeats)
    if repeats > 1000:
        raise ValueError(f"median_seconds_per_epoch: repeats must be at most 1000, got {repeats}")
    times = []
    for repeat in range(repeats):
        start = time.perf_counter()
        gd.gradient_descent(X, y, batch_size, epochs=epochs, learning_rate=learning_rate,
                            replacement=replacement, rng=repeat)
        times.append((time.perf_counter() - start) / epochs)
    return float(np.median(times))
