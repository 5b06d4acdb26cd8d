"""The datasets of the source notes, all offline: made by code, or shipped in ``course_utils/reference/data``."""

from __future__ import annotations

from importlib import resources

import numpy as np

from course_utils.reference import arguments


def seed000_points() -> tuple[np.ndarray, np.ndarray]:
    """Seed 000's 13 points: x from -50 to 50, label 1 for x > 0. Shapes ``(13,)``, ``(13,)``."""
    X = np.array([-50, -40, -30, -20, -10, -5, 0, 5, 10, 20, 30, 40, 50], dtype=float)
    y = (X > 0).astype(float)
    return X, y


def seed002_counts() -> tuple[np.ndarray, np.ndarray]:
    """Seed 002's six samples, ``x = y = 1..6``. Shapes ``(6,)``, ``(6,)``."""
    x = np.arange(1, 7, dtype=float)
    return x, x.copy()


def tabular_binary(n_train: int = 8000, n_test: int = 2000, n_features: int = 10, *, rng=0):
    """A churn-like tabular binary task, as seed 003 trains on (8000 training rows).

    Features are standardised normals; the label comes from a noisy, partly
    non-linear rule, so a small network beats a linear one. Returns
    ``(X_train, y_train), (X_test, y_test)`` with shapes ``(n, n_features)``, ``(n,)``.
    """
    n_train = arguments.positive_int("tabular_binary: n_train", n_train)
    n_test = arguments.positive_int("tabular_binary: n_test", n_test)
    n_features = arguments.positive_int("tabular_binary: n_features", n_features, minimum=3)
    if (n_train + n_test) * n_features > 10**8:
        raise ValueError(
            f"tabular_binary: (n_train + n_test) * n_features must be at most 10**8 numbers (800 MB), "
            f"got {(n_train + n_test) * n_features}"
        )
    rng = arguments.rng_from(rng, "tabular_binary: rng")
    X = rng.standard_normal((n_train + n_test, n_features))
    weights = rng.normal(0, 1, n_features)
    score = X @ weights / np.sqrt(n_features) + 1.5 * X[:, 0] * X[:, 1] - X[:, 2] ** 2 + 0.8
    y = (score + rng.normal(0, 1, len(X)) > 0).astype(np.int64)
    return (X[:n_train], y[:n_train]), (X[n_train:], y[n_train:])


def digits(*, test_fraction: float = 0.2, rng=0):
    """Handwritten digits, 8x8 pixels scaled to [0, 1], labels 0-9 (UCI via scikit-learn, shipped).

    Returns ``(X_train, y_train), (X_test, y_test)``: images of shape
    ``(n, 8, 8)`` and integer labels ``(n,)``; 1797 images split at random
    with ``test_fraction`` held out (the training set keeps at least one image).
    """
    test_fraction = arguments.fraction("digits: test_fraction", test_fraction)
    rng = arguments.rng_from(rng, "digits: rng")
    with resources.files("course_utils.reference").joinpath("data/digits.npz").open("rb") as f:
        data = np.load(f)
        images, labels = data["images"] / 16.0, data["labels"].astype(np.int64)
    order = rng.permutation(len(images))
    n_test = int(round(len(images) * test_fraction))
    if n_test >= len(images):
        raise ValueError(
            f"digits: test_fraction={test_fraction} leaves no training images of {len(images)}; "
            f"use a test_fraction below {(len(images) - 0.5) / len(images):.5f}"
        )
    test, train = order[:n_test], order[n_test:]
    return (images[train], labels[train]), (images[test], labels[test])


def linear_regression(n_samples: int = 100, *, noise: float = 1.0, rng=0):
    """``y = 4 + 3x + noise`` with x uniform in [0, 2]: the two-parameter problem of lesson 3.

    Returns X of shape ``(n_samples, 1)`` and y ``(n_samples,)``; ``noise`` is
    the standard deviation, a finite number >= 0.
    """
    n_samples = arguments.positive_int("linear_regression: n_samples", n_samples)
    if n_samples > 10**8:
        raise ValueError(f"linear_regression: n_samples must be at most 10**8, got {n_samples}")
    noise = arguments.finite_float("linear_regression: noise", noise, minimum=0)
    rng = arguments.rng_from(rng, "linear_regression: rng")
    X = rng.uniform(0, 2, size=(n_samples, 1))
    y = 4 + 3 * X[:, 0] + noise * rng.standard_normal(n_samples)
    return X, y
