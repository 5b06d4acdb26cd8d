"""Learning-rate schedules in NumPy, for lesson 7: ``step -> learning_rate``.

Each schedule is a function of the optimizer ``step``: the number of updates
already made, as ``keras.optimizers.Optimizer.iterations`` counts them (0 for
the first update). ``step`` is a whole number >= 0 or an array of them; the
result is a float, or an array of the shape of ``step``. The formulas are the
ones of ``keras.optimizers.schedules`` (same argument names), so the tests can
hold them against Keras 3.

``descend`` runs seed 004's two-parameter problem (``course_utils.reference.gd``) with a
schedule, for SGD or Adam, and ``excess_loss`` and ``distance_to_optimum`` say
how far each point of its path is from the least-squares optimum.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from course_utils.reference import arguments, batching, gd
from course_utils.reference.optimizers import SGD, Adam, Optimizer, unused_copy

ADAM_DEFAULTS = (0.9, 0.999, 1e-7)
"""``beta_1, beta_2, epsilon`` of ``descend(optimizer="adam")``: Keras' and ``course_utils.Adam``'s defaults."""


# --- checks ----------------------------------------------------------------------------------------------------------


def _step(step, fn: str):
    """``step`` as an int, or an int array, of whole numbers >= 0; or an error naming it."""
    accepted = "a whole number >= 0 or an array of them (the updates already made)"
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"{fn}: step must be {accepted}, got {arguments.describe(step)}")
    if isinstance(step, numbers.Integral):
        if step < 0:
            raise ValueError(f"{fn}: step must be {accepted}, got {step!r}")
        return int(step)
    if arguments.is_number(step):
        raise TypeError(f"{fn}: step must be {accepted}, got {arguments.describe(step)}")
    array = arguments.numeric_array(f"{fn}: step", step)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{fn}: step must be {accepted}, got an array of dtype {array.dtype}")
    if array.size and array.min() < 0:
        raise ValueError(f"{fn}: step must be {accepted}, got an array holding {array.min()}")
    return array


def _result(value, step):
    return float(value) if isinstance(step, int) else np.asarray(value, dtype=float)


# --- schedules -------------------------------------------------------------------------------------------------------


def exponential_decay(step, *, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                      staircase: bool = False):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``, as Keras' ``ExponentialDecay``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``: the
    rate drops by ``decay_rate`` once every ``decay_steps`` updates.
    """
    fn = "exponential_decay"
    step = _step(step, fn)
    rate = arguments.positive_float(f"{fn}: initial_learning_rate", initial_learning_rate)
    decay_steps = arguments.positive_float(f"{fn}: decay_steps", decay_steps)
    decay_rate = arguments.positive_float(f"{fn}: decay_rate", decay_rate)
    p = np.asarray(step, dtype=float) / decay_steps
    if arguments.flag(f"{fn}: staircase", staircase):
        p = np.floor(p)
    return _result(rate * decay_rate**p, step)


def inverse_time_decay(step, *, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                       staircase: bool = False):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``, as Keras' ``InverseTimeDecay``.

    The rate falls as ``1/step`` in the long run: its sum over all steps is
    infinite (it can travel any distance) while its squares add up to a finite
    number (the noise it adds dies out), the conditions under which SGD
    reaches the optimum (Robbins and Monro, 1951).
    """
    fn = "inverse_time_decay"
    step = _step(step, fn)
    rate = arguments.positive_float(f"{fn}: initial_learning_rate", initial_learning_rate)
    decay_steps = arguments.positive_float(f"{fn}: decay_steps", decay_steps)
    decay_rate = arguments.finite_float(f"{fn}: decay_rate", decay_rate, minimum=0)
    p = np.asarray(step, dtype=float) / decay_steps
    if arguments.flag(f"{fn}: staircase", staircase):
        p = np.floor(p)
    return _result(rate / (1 + decay_rate * p), step)


def piecewise_constant(step, *, boundaries: Sequence[int], values: Sequence[float]):
    """``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``, as Keras' ``PiecewiseConstantDecay``.

    ``values[0]`` up to and including ``boundaries[0]``; ``values[-1]`` after
    ``boundaries[-1]``. ``boundaries`` are strictly increasing whole numbers,
    ``values`` has one more entry than ``boundaries``.
    """
    fn = "piecewise_constant"
    step = _step(step, fn)
    for name, given in (("boundaries", boundaries), ("values", values)):
        if isinstance(given, (str, bytes)) or not isinstance(given, (Sequence, np.ndarray)) or not len(given):
            raise TypeError(f"{fn}: {name} must be a non-empty list of numbers, got {arguments.describe(given)}")
    bounds = [arguments.positive_int(f"{fn}: boundaries", b, minimum=0) for b in boundaries]
    if any(b >= c for b, c in zip(bounds, bounds[1:])):
        raise ValueError(f"{fn}: boundaries must be strictly increasing, got {list(boundaries)}")
    if len(values) != len(bounds) + 1:
        raise ValueError(
            f"{fn}: values must have one more entry than boundaries ({len(bounds) + 1}), got {len(values)}"
        )
    rates = np.array([arguments.positive_float(f"{fn}: values", v) for v in values])
    index = np.searchsorted(bounds, np.asarray(step), side="left")  # step <= boundaries[i] -> i
    return _result(rates[index], step)


def cosine_decay(step, *, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 warmup_target: float | None = None, warmup_steps: int = 0):
    """Keras' ``CosineDecay``: an optional linear warmup, then a half cosine down to ``alpha`` times the peak.

    Without ``warmup_target`` the rate falls from ``initial_learning_rate`` to
    ``alpha * initial_learning_rate`` over ``decay_steps`` updates. With it, the
    rate first rises linearly from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps`` updates, then falls from
    ``warmup_target`` to ``alpha * warmup_target``. After the decay it stays at
    its last value. ``alpha=1.0`` makes it a warmup followed by a constant rate.
    """
    fn = "cosine_decay"
    step = _step(step, fn)
    start = arguments.finite_float(f"{fn}: initial_learning_rate", initial_learning_rate, minimum=0)
    decay_steps = arguments.positive_float(f"{fn}: decay_steps", decay_steps)
    alpha = arguments.number_in(f"{fn}: alpha", alpha, 0, 1, closed_high=True)
    warmup_steps = arguments.positive_int(f"{fn}: warmup_steps", warmup_steps, minimum=0)
    t = np.asarray(step, dtype=float)
    if warmup_target is None:
        peak, t_decay, warming = start, np.minimum(t, decay_steps), np.zeros(t.shape, dtype=bool)
    else:
        peak = arguments.positive_float(f"{fn}: warmup_target", warmup_target)
        t = np.minimum(t, decay_steps + warmup_steps)
        warming = t < warmup_steps
        t_decay = t - warmup_steps
    cosine = (1 - alpha) * 0.5 * (1 + np.cos(np.pi * t_decay / decay_steps)) + alpha
    warm = start + (peak - start) * t / max(warmup_steps, 1)
    return _result(np.where(warming, warm, peak * cosine), step)


def constant(step, *, learning_rate: float):
    """The same ``learning_rate`` at every step (a plain number in Keras)."""
    step = _step(step, "constant")
    rate = arguments.positive_float("constant: learning_rate", learning_rate)
    return _result(np.full(np.shape(step), rate), step)


def sqrt_scaling(base_learning_rate: float, base_batch_size: int) -> Callable[[int], float]:
    """The square-root scaling rule for Adam,
    ``batch_size -> base_learning_rate * sqrt(batch_size / base_batch_size)``.

    The counterpart of ``batch_size_study.linear_scaling`` (Goyal et al. 2017)
    for adaptive optimizers (Malladi et al. 2022).
    """
    base_learning_rate = arguments.positive_float("sqrt_scaling: base_learning_rate", base_learning_rate)
    base_batch_size = arguments.positive_int("sqrt_scaling: base_batch_size", base_batch_size)

    def learning_rate(batch_size: int) -> float:
        batch_size = arguments.positive_int("sqrt_scaling(...): batch_size", batch_size)
        return base_learning_rate * math.sqrt(batch_size / base_batch_size)

    return learning_rate


# --- training with a schedule ----------------------------------------------------------------------------------------


def _rate_of(learning_rate, fn: str) -> Callable[[int], float]:
    if callable(learning_rate):
        return learning_rate
    if arguments.is_number(learning_rate):
        rate = arguments.positive_float(f"{fn}: learning_rate", learning_rate)
        return lambda step: rate
    raise TypeError(
        f"{fn}: learning_rate must be a number > 0 or a schedule (a function of the step), "
        f"got {arguments.describe(learning_rate)}"
    )


def descend(X, y, *, batch_size: int, learning_rate, steps: int, optimizer: str | Optimizer = "sgd",
            theta=(0.0, 0.0), rng=None) -> np.ndarray:
    """Train seed 004's ``h(x) = theta0 + theta1 * x`` and return the path, shape ``(steps + 1, 2)``.

    X has shape ``(n,)`` or ``(n, 1)``, y ``(n,)``. Each update takes the next
    ``batch_size`` samples of a shuffled epoch (a new order every epoch; the
    partial last batch is skipped, so every update sees ``batch_size`` samples
    and ``steps`` updates see ``steps * batch_size`` samples). ``learning_rate``
    is a number or a schedule ``step -> rate`` that is called with the updates
    already made, as Keras does. ``optimizer`` is ``"sgd"`` (``course_utils.SGD``:
    ``theta -= rate * gradient``), ``"adam"`` (``course_utils.Adam`` with Keras'
    defaults) or an unused optimizer object such as ``SGD(0.1, momentum=0.9)``,
    whose learning rate the schedule sets before every update (a copy is
    trained). If the parameters overflow, the rest of the path is ``inf``: the
    run diverged.
    """
    fn = "descend"
    x, y = gd.checked_data(X, y, fn)
    batch_size = arguments.positive_int(f"{fn}: batch_size", batch_size)
    if batch_size > len(x):
        raise ValueError(f"{fn}: batch_size must be at most n_samples={len(x)}, got {batch_size}")
    steps = arguments.positive_int(f"{fn}: steps", steps)
    batching.check_updates(fn, steps, f"steps={steps}", remedy="the path keeps one row per update; lower steps")
    rate_of = _rate_of(learning_rate, fn)
    optimizer = _optimizer(fn, optimizer)
    theta, rng = gd.checked_theta(theta, fn), arguments.rng_from(rng, f"{fn}: rng")
    rates = _rates(rate_of, steps, fn)
    n_batches = len(x) // batch_size  # per epoch; the partial last batch is skipped
    order = np.concatenate([rng.permutation(len(x))[: n_batches * batch_size]
                            for _ in range(-(-steps // n_batches))])
    order = order[: steps * batch_size].reshape(steps, batch_size)
    xs, ys = x[order], y[order]  # row t: the batch of update t
    path = np.full((steps + 1, 2), np.inf)
    path[0] = theta
    parameters = [theta]
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is recorded as inf
        for step in range(steps):
            error = theta[0] + theta[1] * xs[step] - ys[step]  # forward
            gradient = np.array((error.sum() / batch_size, error @ xs[step] / batch_size))  # backward
            optimizer.learning_rate = rates[step]  # the schedule at the updates made so far, as Keras sets it
            optimizer.update(parameters, [gradient])  # theta, in place
            if not (math.isfinite(theta[0]) and math.isfinite(theta[1])):
                break
            path[step + 1] = theta
    return path


def _optimizer(fn: str, optimizer) -> Optimizer:
    """A new ``SGD`` for ``"sgd"``, ``Adam`` (Keras' defaults) for ``"adam"``, else a copy of an unused optimizer."""
    if isinstance(optimizer, str):
        if optimizer not in ("sgd", "adam"):
            raise ValueError(f"{fn}: optimizer must be 'sgd' or 'adam', got {optimizer!r} "
                             "(or an optimizer object such as course_utils.reference.optimizers.SGD(0.1, momentum=0.9))")
        return SGD(1.0) if optimizer == "sgd" else Adam(1.0, *ADAM_DEFAULTS)  # the schedule sets the rate
    return unused_copy(f"{fn}: optimizer", optimizer)


def _rates(rate_of, steps: int, fn: str) -> np.ndarray:
    """The rate of every step ``0 .. steps - 1``: one call with all steps, else one call per step."""
    try:
        rates = np.asarray(rate_of(np.arange(steps)), dtype=float)
    except (TypeError, ValueError):
        rates = None
    if rates is None or rates.shape != (steps,):
        rates = np.array([rate_of(step) for step in range(steps)], dtype=float)
    bad = np.flatnonzero(~(np.isfinite(rates) & (rates >= 0)))
    if len(bad):
        raise ValueError(f"{fn}: learning_rate must be a finite number >= 0 at every step, "
                         f"got {float(rates[bad[0]])!r} at step {bad[0]}")
    return rates


def descend_seeds(X, y, *, seeds, **settings) -> np.ndarray:
    """``descend(X, y, rng=seed, **settings)`` for every seed: paths of shape ``(len(seeds), steps + 1, 2)``."""
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, np.ndarray, range)) or not len(seeds):
        raise TypeError(f"descend_seeds: seeds must be a non-empty list of int seeds >= 0, got {arguments.describe(seeds)}")
    seeds = [arguments.positive_int("descend_seeds: seeds", seed, minimum=0) for seed in seeds]
    return np.stack([descend(X, y, rng=seed, **settings) for seed in seeds])


def distance_to_optimum(path, X, y) -> np.ndarray:
    """``|theta - theta*|`` for every ``[theta0, theta1]`` of ``path`` (shape ``(..., 2)``).

    ``theta*`` is ``gd.least_squares(X, y)``; the result has shape ``path.shape[:-1]``.
    """
    path = _path(path, "distance_to_optimum")
    with np.errstate(over="ignore", invalid="ignore"):
        return np.linalg.norm(path - gd.least_squares(X, y), axis=-1)


def excess_loss(path, X, y) -> np.ndarray:
    """``J(theta) - J*``, seed 004's cost above its floor, for every ``[theta0, theta1]`` of ``path``.

    ``path`` has shape ``(..., 2)``, the result ``path.shape[:-1]``. Exact for
    least squares: ``(theta - theta*)^T H (theta - theta*) / 2`` with
    ``H = A^T A / n``, ``A = [1, x]`` (``curvature(X)``). A diverged row gives ``inf``.
    """
    path = _path(path, "excess_loss")
    with np.errstate(over="ignore", invalid="ignore"):
        delta = path - gd.least_squares(X, y)
        value = 0.5 * np.einsum("...i,ij,...j->...", delta, curvature(X), delta)
    return np.where(np.isfinite(path).all(axis=-1), value, np.inf)


def curvature(X) -> np.ndarray:
    """The Hessian ``H = A^T A / n`` of seed 004's cost, ``A = [1, x]``; shape ``(2, 2)``. X ``(n,)`` or ``(n, 1)``.

    Gradient descent on this cost is stable only while ``learning_rate < 2 / lambda_max(H)``.
    """
    x = arguments.finite("curvature: X", arguments.numeric_array("curvature: X", X, dtype=float))
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1 or len(x) == 0:
        raise ValueError(f"curvature: X must have shape (n,) or (n, 1) with n >= 1, got {x.shape}")
    A = np.column_stack([np.ones_like(x), x])
    return A.T @ A / len(x)


def _path(path, fn: str) -> np.ndarray:
    path = arguments.numeric_array(f"{fn}: path", path, dtype=float)
    if path.ndim < 1 or path.shape[-1] != 2:
        raise ValueError(f"{fn}: path must have shape (..., 2), one [theta0, theta1] per row, got {path.shape}")
    return path
