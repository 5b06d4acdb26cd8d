"""Argument checks shared by the package, run once at a public function's boundary.

Every error names the function and the argument, what was given and what is
accepted, in one style: ``"steps_per_epoch: batch_size must be a whole number
>= 1 or None, got 0"``. ``name`` is that ``"function: argument"`` prefix.
NumPy scalars are accepted where Python numbers are; a bool is never a number.
"""

from __future__ import annotations

import numbers

import numpy as np

def describe(value) -> str:
    """``value`` as an error message shows what was given: its repr (cut at 60 characters) and its type."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def is_number(value) -> bool:
    """A real number that is not a bool (NumPy scalars included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def positive_int(name: str, value, *, minimum: int = 1, none: bool = False) -> int:
    """Return ``value`` as an int, or raise if it is not a whole number >= ``minimum``."""
    accepted = f"a whole number >= {minimum}" + (" or None" if none else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        if is_number(value) and float(value).is_integer():  # 2.0: a whole number, but of the wrong type
            raise TypeError(f"{name} must be {accepted} (an int, not a float), got {describe(value)}")
        raise TypeError(f"{name} must be {accepted}, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be {accepted}, got {value!r}")
    return int(value)


def optional_int(name: str, value, *, minimum: int = 1) -> int | None:
    """None, or ``positive_int``."""
    return None if value is None else positive_int(name, value, minimum=minimum, none=True)


def positive_float(name: str, value) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0."""
    if not is_number(value):
        raise TypeError(f"{name} must be a finite number > 0, got {describe(value)}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def number_in(name: str, value, low: float, high: float, *, closed_high: bool = False) -> float:
    """Return ``value`` as a float in ``[low, high)`` (``[low, high]`` with ``closed_high``), or raise."""
    interval = f"[{low}, {high}{']' if closed_high else ')'}"
    if not is_number(value):
        raise TypeError(f"{name} must be a number in {interval}, got {describe(value)}")
    if not (low <= value <= high if closed_high else low <= value < high):  # False for NaN too
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


def fraction(name: str, value, *, low: float = 0.0, high: float = 1.0) -> float:
    """Return ``value`` as a float in ``[low, high)``, or raise."""
    return number_in(name, value, low, high)


def finite_float(name: str, value, *, minimum: float | None = None) -> float:
    """Return ``value`` as a finite float (>= ``minimum`` when given), or raise."""
    accepted = "a finite number" + ("" if minimum is None else f" >= {minimum}")
    if not is_number(value):
        raise TypeError(f"{name} must be {accepted}, got {describe(value)}")
    if not np.isfinite(value) or (minimum is not None and value < minimum):
        raise ValueError(f"{name} must be {accepted}, got {value!r}")
    return float(value)


def flag(name: str, value) -> bool:
    """Return ``value`` as a bool; only True and False (NumPy's too) are accepted, not 0, 1 or strings."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def choice(name: str, value, choices) -> str:
    """``value`` if it is one of the strings ``choices``, else a TypeError or ValueError naming ``name``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {tuple(choices)}, got {describe(value)}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def rng_from(rng, name: str = "rng") -> np.random.Generator:
    """Turn ``None``, an int seed >= 0 or a Generator into a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"{name} must be None, an int seed >= 0 or a numpy.random.Generator, got {rng!r}")
        return np.random.default_rng(int(rng))
    raise TypeError(f"{name} must be None, an int seed >= 0 or a numpy.random.Generator, got {describe(rng)}")


def not_keras_string(name: str, value, example: str) -> None:
    """Raise if ``value`` is a string where an object is expected (Keras accepts strings there)."""
    if isinstance(value, str):
        raise TypeError(
            f"{name} must be an {name.split(': ')[-1]} object such as {example}, got the string {value!r} "
            "(Keras accepts strings; this course's fit does not)"
        )


def numeric_array(name: str, value, *, dtype=None) -> np.ndarray:
    """``value`` as an array of numbers (bool, int or float; cast to ``dtype`` if given), or raise naming ``name``."""
    if value is None or isinstance(value, (str, bytes, dict)):
        raise TypeError(f"{name} must be an array of numbers, got {describe(value)}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged nested lists, for example
        raise ValueError(f"{name} must be an array of numbers with one shape (not ragged lists), got {describe(value)}: "
                         f"{str(error).split('.')[0]}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of numbers (bool, int or float), got an array of dtype {array.dtype}")
    return array if dtype is None else array.astype(dtype, copy=False)


def finite(name: str, array: np.ndarray) -> np.ndarray:
    """Raise ``"{name} contains NaN or infinity (row r)"`` if ``array`` holds a non-finite number."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        where = f"row {bad[0]}" if array.ndim else "the value"
        raise ValueError(f"{name} contains NaN or infinity ({where})")
    return array


def paired_arrays(
    X, y, fn: str = "", *, numeric: bool = True, check_finite: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Return X and y as arrays (of numbers, unless ``numeric=False``) with the same, non-zero number of samples."""
    prefix = f"{fn}: " if fn else ""
    if numeric:
        X, y = numeric_array(f"{prefix}X", X), numeric_array(f"{prefix}y", y)
    else:
        X, y = _any_array(f"{prefix}X", X), _any_array(f"{prefix}y", y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{prefix}X and y must be arrays of samples (axis 0 = samples), got a scalar")
    if len(X) != len(y):
        raise ValueError(
            f"{prefix}X and y must have the same number of samples, got len(X)={len(X)} and len(y)={len(y)}"
        )
    if len(X) == 0:
        raise ValueError(f"{prefix}X and y are empty: at least one sample is needed")
    if check_finite:
        finite(f"{prefix}X", X)
        finite(f"{prefix}y", y)
    return X, y


def _any_array(name: str, value) -> np.ndarray:
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array with one shape (not ragged lists), got {describe(value)}: "
                         f"{str(error).split('.')[0]}") from None

