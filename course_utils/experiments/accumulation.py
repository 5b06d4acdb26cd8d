"""Gradient accumulation on seed 004's problem ``h(x) = theta0 + theta1 * x``, and logical devices, for lesson 8.

Accumulation splits one big batch into micro-batches, takes each micro-batch's
mean gradient (``course_utils.reference.gd.gradient``), adds them up with a weight each,
and makes ONE update. It equals the big-batch step when each micro-batch's
weight is its share of the samples, ``len(micro_batch) / len(batch)``. Equal
weights ``1/k`` (what Keras' ``gradient_accumulation_steps=k`` uses) give the
same step only when all ``k`` micro-batches hold the same number of samples.

Data parallelism accumulates across devices instead of across time:
``split_cpu`` makes logical CPU devices for ``tf.distribute.MirroredStrategy``;
``replica_step`` is its update: the replicas' mean gradients averaged with equal weights.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from course_utils.reference import arguments, batching, gd
from course_utils.reference.optimizers import SGD

WEIGHTINGS = ("size", "equal")
"""``"size"``: weight ``n_i / n`` (always the big batch); ``"equal"``: weight ``1/k`` (Keras)."""


def _weighting(fn: str, weighting) -> str:
    return arguments.choice(f"{fn}: weighting", weighting, WEIGHTINGS)


def _sgd_step(theta: np.ndarray, gradient: np.ndarray, learning_rate: float) -> np.ndarray:
    """``theta`` (a checked copy) after one plain SGD update, ``theta - learning_rate * gradient``."""
    SGD(learning_rate).update([theta], [gradient])
    return theta


def _batch(fn: str, X, y) -> tuple[np.ndarray, np.ndarray]:
    X, y = arguments.paired_arrays(X, y, fn, check_finite=True)
    if not (X.ndim == 1 or (X.ndim == 2 and X.shape[1] == 1)) or y.ndim != 1:
        raise ValueError(f"{fn}: X must have shape (m,) or (m, 1) and y shape (m,), got X {X.shape} and y {y.shape}")
    return X, y


def micro_batch_sizes(n_samples: int, micro_batch_size: int) -> list[int]:
    """The sizes of the micro-batches one batch of ``n_samples`` splits into, in order.

    All are ``micro_batch_size`` except perhaps the last, which holds the rest:
    ``micro_batch_sizes(100, 32) == [32, 32, 32, 4]``.
    """
    fn = "micro_batch_sizes"
    n_samples = arguments.positive_int(f"{fn}: n_samples", n_samples)
    micro_batch_size = arguments.positive_int(f"{fn}: micro_batch_size", micro_batch_size)
    return [len(b) for b in batching.batch_indices(n_samples, micro_batch_size, shuffle=False)]


def micro_batch_weights(sizes, *, weighting: str = "size") -> np.ndarray:
    """One weight per micro-batch, shape ``(k,)``, summing to 1.

    ``sizes`` lists the micro-batch sizes (whole numbers >= 1). ``"size"`` gives
    ``sizes[i] / sum(sizes)``, which makes the weighted sum of the micro-batch
    mean gradients equal the big batch's mean gradient; ``"equal"`` gives ``1/k``.
    """
    fn = "micro_batch_weights"
    weighting = _weighting(fn, weighting)
    if isinstance(sizes, (str, bytes, dict)) or not hasattr(sizes, "__len__") or len(sizes) == 0:
        raise TypeError(f"{fn}: sizes must be a non-empty list of whole numbers >= 1, got {arguments.describe(sizes)}")
    sizes = np.array([arguments.positive_int(f"{fn}: sizes[{i}]", s) for i, s in enumerate(sizes)], dtype=float)
    if weighting == "equal":
        return np.full(len(sizes), 1.0 / len(sizes))
    return sizes / sizes.sum()


def accumulated_gradient(theta, X, y, micro_batch_size: int, *, weighting: str = "size") -> np.ndarray:
    """The gradient one accumulated update uses, shape ``(2,)``.

    X ``(m,)`` or ``(m, 1)`` and y ``(m,)`` are the whole (big) batch; it is cut
    in order into micro-batches of ``micro_batch_size`` (the last may be smaller),
    and the micro-batches' mean gradients are summed with ``micro_batch_weights``.
    """
    fn = "accumulated_gradient"
    theta, (X, y) = gd.checked_theta(theta, fn), _batch(fn, X, y)
    micro_batch_size = arguments.positive_int(f"{fn}: micro_batch_size", micro_batch_size)
    weighting = _weighting(fn, weighting)
    parts = batching.batch_indices(len(X), micro_batch_size, shuffle=False)
    weights = micro_batch_weights([len(p) for p in parts], weighting=weighting)
    total = np.zeros(2)
    for weight, part in zip(weights, parts):
        total += weight * gd.gradient(theta, X[part], y[part])  # one micro-batch: forward + backward
    return total


def accumulation_step(
    theta, X, y, micro_batch_size: int, *, learning_rate: float, weighting: str = "size"
) -> np.ndarray:
    """``theta - learning_rate * accumulated_gradient(...)``: one update from all micro-batches, shape ``(2,)``."""
    fn = "accumulation_step"
    learning_rate = arguments.positive_float(f"{fn}: learning_rate", learning_rate)
    theta = gd.checked_theta(theta, fn)
    return _sgd_step(theta, accumulated_gradient(theta, X, y, micro_batch_size, weighting=weighting), learning_rate)


def replica_step(theta, X, y, shares, *, learning_rate: float) -> np.ndarray:
    """One ``MirroredStrategy`` update as Keras makes it, shape ``(2,)``.

    X ``(m,)`` or ``(m, 1)`` and y ``(m,)`` are one global batch; ``shares`` lists
    how many of its samples each replica takes, in order (whole numbers >= 0,
    summing to ``m``). Each replica takes the mean gradient of its share (zero
    for an empty share) and the replicas' gradients are averaged with equal
    weights ``1/len(shares)``: the global batch's mean only when the shares are equal.
    """
    fn = "replica_step"
    learning_rate = arguments.positive_float(f"{fn}: learning_rate", learning_rate)
    theta, (X, y) = gd.checked_theta(theta, fn), _batch(fn, X, y)
    if isinstance(shares, (str, bytes, dict)) or not hasattr(shares, "__len__") or len(shares) == 0:
        raise TypeError(f"{fn}: shares must be a non-empty list of whole numbers >= 0, got {arguments.describe(shares)}")
    counts = [arguments.positive_int(f"{fn}: shares[{i}]", s, minimum=0) for i, s in enumerate(shares)]
    if sum(counts) != len(X):
        raise ValueError(f"{fn}: shares must sum to the batch's {len(X)} samples, got {counts} (sum {sum(counts)})")
    total, start = np.zeros(2), 0
    for count in counts:
        if count:  # an empty replica's mean loss is 0, so its gradient is 0
            total += gd.gradient(theta, X[start : start + count], y[start : start + count])
        start += count
    return _sgd_step(theta, total / len(counts), learning_rate)


def big_batch_step(theta, X, y, *, learning_rate: float) -> np.ndarray:
    """One plain SGD update on the whole batch at once: ``theta - learning_rate * gd.gradient(theta, X, y)``."""
    fn = "big_batch_step"
    learning_rate = arguments.positive_float(f"{fn}: learning_rate", learning_rate)
    theta, (X, y) = gd.checked_theta(theta, fn), _batch(fn, X, y)
    return _sgd_step(theta, gd.gradient(theta, X, y), learning_rate)


def split_cpu(n_devices: int = 2) -> list[str]:
    """Split the CPU into ``n_devices`` logical TensorFlow devices; return their names.

    Must run before TensorFlow starts (before ``course_utils.experiments.keras_tools``, Keras
    models or any TensorFlow operation); TensorFlow's C++ start-up lines are
    hidden while it loads. Calling it again with the same ``n_devices`` is harmless.
    """
    n_devices = arguments.positive_int("split_cpu: n_devices", n_devices)
    if n_devices > 64:
        raise ValueError(f"split_cpu: n_devices must be at most 64, got {n_devices}")
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # TensorFlow's C++ start-up log ignores TF_CPP_MIN_LOG_LEVEL
    try:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(n_devices)]
        try:
            tf.config.set_logical_device_configuration(cpu, wanted)
        except RuntimeError:  # TensorFlow has started: fine only if it already has these devices
            if len(tf.config.list_logical_devices("CPU")) != n_devices:
                raise RuntimeError(
                    f"split_cpu: TensorFlow has already started with {len(tf.config.list_logical_devices('CPU'))} "
                    f"CPU device(s), so n_devices={n_devices} cannot be set; restart the kernel and call "
                    "split_cpu in the first cell, before importing course_utils.experiments.keras_tools or Keras"
                ) from None
        names = [device.name for device in tf.config.list_logical_devices("CPU")]
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return names
