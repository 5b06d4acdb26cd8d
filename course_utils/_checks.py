"""Argument checks shared by the package: each error names the argument and what is accepted."""

from __future__ import annotations

import numbers

import numpy as np


def positive_int(name: str, value) -> int:
    """Return ``value`` as an int, or raise if it is not a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number >= 1, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


def positive_float(name: str, value) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number > 0, got {value!r} ({type(value).__name__})")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def fraction(name: str, value, *, low: float = 0.0, high: float = 1.0) -> float:
    """Return ``value`` as a float in ``[low, high)``, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [{low}, {high}), got {value!r}")
    if not low <= value < high:
        raise ValueError(f"{name} must be in [{low}, {high}), got {value!r}")
    return float(value)


def rng_from(rng) -> np.random.Generator:
    """Turn ``None``, an int seed or a Generator into a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator, got {type(rng).__name__}")


def paired_arrays(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Return X and y as arrays with the same, non-zero number of samples (axis 0)."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError("X and y must be arrays of samples (axis 0 = samples), got a scalar")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of samples, got len(X)={len(X)} and len(y)={len(y)}")
    if len(X) == 0:
        raise ValueError("X and y are empty: at least one sample is needed")
    return X, y
