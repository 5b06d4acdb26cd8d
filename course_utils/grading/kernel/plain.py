"""Plain data: what travels between a graded kernel and the grading process.

:func:`to_plain` turns a value into JSON-ready data (numbers, strings, lists,
tagged tuples, dicts and numeric arrays: never pickled objects);
:func:`from_plain` restores it, within limits on size and depth, so that
nothing a kernel sends can make the reader slow or large.
"""

from __future__ import annotations

import base64
import math

import numpy as np

MIME = "application/vnd.course-utils.observation+json"
"""The type of the display outputs that carry a request's results from the kernel."""

MAX_ITEMS = 1_000_000
"""Most numbers (and strings, lists, ...) one observation may hold."""

MAX_DEPTH = 12
"""Deepest nesting of lists, tuples and dicts one observation may hold."""

MAX_STRING = 10_000
"""Longest string that is read as a string; a longer one stands for nothing."""

_ARRAY_KINDS = "biufc"


class Unobservable:
    """Stands for a value that is not plain data (a model, a figure, ...): equal to nothing."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"

    def __eq__(self, other) -> bool:
        return False

    def __ne__(self, other) -> bool:  # equal to nothing, and not shown different from anything either
        return False

    __hash__ = None


class Raised:
    """What a call raised: the built-in exception classes it is an instance of, and its message."""

    def __init__(self, classes: list[str], message: str):
        self.classes = [str(c) for c in classes][:MAX_DEPTH]
        self.message = str(message)[:2000]

    @property
    def name(self) -> str:
        return self.classes[0] if self.classes else "an exception"

    def is_a(self, *errors: type) -> bool:
        return any(error.__name__ in self.classes for error in errors)

    def __repr__(self) -> str:
        return f"{self.name}({self.message!r})"


class _Budget:
    def __init__(self):
        self.items = 0

    def spend(self, count: int) -> None:
        self.items += count
        if self.items > MAX_ITEMS:
            raise ValueError(f"an observation may hold at most {MAX_ITEMS} numbers")


def _plain_float(value: float):
    return value if math.isfinite(value) else {"$float": repr(value)}


def to_plain(value, _depth: int = 0, _budget: _Budget | None = None):
    """``value`` as JSON-ready plain data, tagged so that :func:`from_plain` restores it exactly.

    Subclasses of built-in types are read through the base type, so an ``int``
    whose ``__eq__`` says True to everything arrives as the number it holds.
    """
    budget = _budget or _Budget()
    budget.spend(1)
    if _depth > MAX_DEPTH:
        return {"$object": "nested too deeply"}
    if value is None or type(value) is bool or isinstance(value, np.bool_):
        return None if value is None else bool(value)
    if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
        return to_plain(value.item(), _depth, budget)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int.__index__(value)
    if isinstance(value, float):
        return _plain_float(float.__float__(value))
    if isinstance(value, complex):
        return {"$complex": [_plain_float(value.real), _plain_float(value.imag)]}
    if isinstance(value, str):
        text = str.__str__(value)
        return text if len(text) <= MAX_STRING else {"$object": f"string of {len(text)} characters"}
    if isinstance(value, np.ndarray):
        return _plain_array(value, budget)
    if isinstance(value, Raised):
        return {"$raised": list(value.classes), "message": value.message}
    if isinstance(value, tuple):
        return {"$tuple": [to_plain(item, _depth + 1, budget) for item in tuple.__iter__(value)]}
    if isinstance(value, list):
        return [to_plain(item, _depth + 1, budget) for item in list.__iter__(value)]
    if isinstance(value, dict):
        pairs = dict.items(value)
        return {"$dict": [[to_plain(k, _depth + 1, budget), to_plain(v, _depth + 1, budget)] for k, v in pairs]}
    if hasattr(type(value), "__next__"):  # a generator or another iterator: read it
        return [to_plain(item, _depth + 1, budget) for item in value]
    return {"$object": type(value).__name__}


def _plain_array(array: np.ndarray, budget: _Budget) -> dict:
    array = np.asarray(array)
    if array.dtype.kind not in _ARRAY_KINDS:
        try:
            array = np.asarray(array.tolist(), dtype=float)
        except (TypeError, ValueError):
            return {"$object": f"array of {array.dtype}"}
    budget.spend(array.size)
    data = np.ascontiguousarray(array)
    return {"$array": base64.b64encode(data.tobytes()).decode("ascii"), "dtype": data.dtype.str,
            "shape": list(data.shape)}


def raised(error: BaseException) -> dict:
    """An exception as plain data: only built-in classes count (a student's class named ValueError does not)."""
    classes = [c.__name__ for c in type(error).__mro__ if c.__module__ == "builtins" and issubclass(c, BaseException)]
    try:
        message = str(error)[:2000]
    except Exception:  # noqa: BLE001 (a student's exception whose __str__ fails)
        message = "(its message could not be read)"
    return {"$raised": classes, "message": message}


def from_plain(plain, resolve=None, _depth: int = 0, _budget: _Budget | None = None):
    """The Python value that :func:`to_plain` encoded; arrays come back as NumPy arrays.

    Reads at most :data:`MAX_ITEMS` values, :data:`MAX_DEPTH` levels deep; a string
    longer than :data:`MAX_STRING` comes back as an :class:`Unobservable`.
    ``resolve(tag, plain)`` restores the tags other modules add (``$name``, ``$call``).
    """
    budget = _budget or _Budget()
    budget.spend(1)
    if _depth > MAX_DEPTH:
        raise ValueError(f"an observation may be nested at most {MAX_DEPTH} deep")

    def inner(item):
        return from_plain(item, resolve, _depth + 1, budget)

    if isinstance(plain, list):
        return [inner(item) for item in plain]
    if isinstance(plain, str):
        return plain if len(plain) <= MAX_STRING else Unobservable(f"string of {len(plain)} characters")
    if plain is None or isinstance(plain, (bool, int, float)):
        return plain
    if not isinstance(plain, dict):
        raise ValueError(f"observation: {type(plain).__name__} is not plain data")
    if "$array" in plain:
        return _array(plain, budget)
    if "$tuple" in plain:
        return tuple(inner(item) for item in _list(plain["$tuple"]))
    if "$dict" in plain:
        return {_hashable(inner(k)): inner(v) for k, v in _list(plain["$dict"])}
    if "$float" in plain:
        return float(str(plain["$float"])[:20])
    if "$complex" in plain:
        return complex(*(float(inner(part)) for part in _list(plain["$complex"])[:2]))
    if "$raised" in plain:
        return Raised(_list(plain["$raised"]), str(plain.get("message", ""))[:2000])
    if "$object" in plain:
        return Unobservable(str(plain["$object"])[:200])
    if resolve is not None:
        for tag in plain:
            if tag.startswith("$"):
                return resolve(tag, plain, inner)
    raise ValueError(f"observation: unknown plain value {sorted(plain)[:5]}")


def _list(value) -> list:
    if not isinstance(value, list):
        raise ValueError(f"observation: expected a list, got {type(value).__name__}")
    return value


def _array(plain: dict, budget: _Budget) -> np.ndarray:
    dtype = np.dtype(str(plain["dtype"]))
    if dtype.kind not in _ARRAY_KINDS or dtype.itemsize > 16:
        raise ValueError(f"observation: arrays of dtype {dtype} are not plain data")
    shape = [int(d) for d in _list(plain["shape"])]
    if len(shape) > MAX_DEPTH or any(d < 0 for d in shape):
        raise ValueError(f"observation: an array of shape {shape[:MAX_DEPTH]} is not plain data")
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    budget.spend(size)
    data = base64.b64decode(str(plain["$array"]), validate=True)
    if len(data) != size * dtype.itemsize:
        raise ValueError(f"observation: {len(data)} bytes do not make an array of shape {shape}")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _hashable(key):
    if isinstance(key, list):
        return tuple(_hashable(k) for k in key)
    if isinstance(key, (dict, np.ndarray, Unobservable)):
        return repr(key)[:200]
    return key
