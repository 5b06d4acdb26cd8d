"""What a test cell sees of the student's code: plain data, the same in the kernel and in the judge.

A graded test cell has two halves. ``observe(lambda: ...)`` runs the student's
code and turns what it gives into plain data (numbers, strings, lists, tuples,
dicts and numeric arrays: never pickled objects). The rest of the cell checks
that data with the ``expect_*`` helpers.

In the student's kernel, ``observe`` also publishes each observation as a
display output of type :data:`MIME`. When a submission is graded, the judge
(``course_utils.grading.judge``, outside the kernel) runs the test cell's
trusted source again in the grading process with ``observe`` in *replay* mode:
it hands back the published observations in order instead of calling anything.
So the verdict is computed by trusted code from plain data; a student's code
can change what it returns, never how it is checked.
"""

from __future__ import annotations

import base64
import contextlib
import math
import numbers

import numpy as np

from course_utils.grading.checks import feedback, show

MIME = "application/vnd.course-utils.observation+json"
"""The type of the display outputs that carry observations from the kernel to the judge."""

MAX_ITEMS = 1_000_000
"""Most numbers one observation may hold (a generator is read at most this far)."""

MAX_DEPTH = 12
_ARRAY_KINDS = "biufc"


class Unobservable:
    """Stands for a value that is not plain data (a model, a figure, ...): equal to nothing."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"

    def __eq__(self, other) -> bool:
        return False

    __hash__ = None


class Raised:
    """What a call raised: the built-in exception classes it is an instance of, and its message."""

    def __init__(self, classes: list[str], message: str):
        self.classes = list(classes)
        self.message = message

    @property
    def name(self) -> str:
        return self.classes[0] if self.classes else "an exception"

    def is_a(self, *errors: type) -> bool:
        return any(error.__name__ in self.classes for error in errors)

    def __repr__(self) -> str:
        return f"{self.name}({self.message!r})"


_ENCODERS: dict = {}
_DECODERS: dict = {}


def register_plain(cls: type, name: str, encode, decode) -> None:
    """Let objects of the trusted class ``cls`` (exactly that class) travel as ``encode(obj)``, restored by ``decode``."""
    _ENCODERS[cls] = (name, encode)
    _DECODERS[name] = decode


# plain data ----------------------------------------------------------------------------------------


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
        return str.__str__(value)
    if isinstance(value, np.ndarray):
        return _plain_array(value, budget)
    if type(value) in _ENCODERS:
        return {"$trusted": _ENCODERS[type(value)][0], "value": to_plain(_ENCODERS[type(value)][1](value), _depth + 1, budget)}
    if isinstance(value, tuple):
        return {"$tuple": [to_plain(item, _depth + 1, budget) for item in tuple.__iter__(value)]}
    if isinstance(value, list):
        return [to_plain(item, _depth + 1, budget) for item in list.__iter__(value)]
    if isinstance(value, dict):
        pairs = dict.items(value)
        return {"$dict": [[to_plain(k, _depth + 1, budget), to_plain(v, _depth + 1, budget)] for k, v in pairs]}
    if hasattr(type(value), "__next__"):  # a generator or another iterator: read it
        items = []
        for item in value:
            items.append(to_plain(item, _depth + 1, budget))
        return items
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


def from_plain(plain):
    """The Python value that :func:`to_plain` encoded; arrays come back as NumPy arrays."""
    if isinstance(plain, list):
        return [from_plain(item) for item in plain]
    if not isinstance(plain, dict):
        return plain
    if "$array" in plain:
        dtype = np.dtype(plain["dtype"])
        if dtype.kind not in _ARRAY_KINDS:
            raise ValueError(f"observation: arrays of dtype {dtype} are not plain data")
        data = base64.b64decode(plain["$array"])
        return np.frombuffer(data, dtype=dtype).reshape(plain["shape"]).copy()
    if "$tuple" in plain:
        return tuple(from_plain(item) for item in plain["$tuple"])
    if "$dict" in plain:
        return {_hashable(from_plain(k)): from_plain(v) for k, v in plain["$dict"]}
    if "$float" in plain:
        return float(plain["$float"])
    if "$complex" in plain:
        return complex(*(from_plain(part) for part in plain["$complex"]))
    if "$raised" in plain:
        return Raised(plain["$raised"], str(plain.get("message", "")))
    if "$trusted" in plain:
        return _DECODERS[plain["$trusted"]](from_plain(plain["value"]))
    if "$object" in plain:
        return Unobservable(str(plain["$object"]))
    raise ValueError(f"observation: unknown plain value {sorted(plain)}")


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def _raised(error: BaseException) -> dict:
    """An exception as plain data: only built-in classes count (a student's class named ValueError does not)."""
    classes = [c.__name__ for c in type(error).__mro__ if c.__module__ == "builtins" and issubclass(c, BaseException)]
    return {"$raised": classes, "message": str(error)[:2000]}


# observing and replaying ---------------------------------------------------------------------------

_replay: list | None = None
"""The observations the judge hands back, in order, while it replays a cell; None in the kernel."""


@contextlib.contextmanager
def replaying(observations: list):
    """Within this block, ``observe`` hands back ``observations`` (plain data) in order and calls nothing.

    The list is consumed in place: what is left at the end was not asked for.
    """
    global _replay
    previous, _replay = _replay, observations if isinstance(observations, list) else list(observations)
    try:
        yield _replay
    finally:
        _replay = previous


def _publish(plain) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import publish_display_data
    except ImportError:  # plain Python (the package's own tests): nothing to publish to
        return
    if get_ipython() is not None:
        publish_display_data({MIME: {"value": plain}}, metadata={MIME: {"observation": True}})


def _observe_plain(call):
    if _replay is not None:
        if not _replay:
            raise AssertionError(feedback(
                "this test has no more observations of your code",
                "the cell stopped before this point when your notebook ran: "
                "an error, a time limit or a crash (see the first error above)"))
        return _replay.pop(0)
    try:
        plain = to_plain(call())
    except Exception as error:  # noqa: BLE001 (the student's code may raise anything)
        plain = _raised(error)
    _publish(plain)
    return plain


def outcome(call):
    """Run ``call()`` and return what it gave as plain data, or a :class:`Raised` if it raised."""
    return from_plain(_observe_plain(call))


def observe(call):
    """Run ``call()`` and return what it gave as plain data; if it raised, fail saying what it raised."""
    value = outcome(call)
    if isinstance(value, Raised):
        raise AssertionError(feedback(f"your code raised {value.name}: {value.message}"))
    return value


def record_call(function, *args, **kwargs) -> dict:
    """Call ``function(*args, **kwargs)``; return what it returned and its arguments as they are afterwards.

    For use inside ``observe``: ``seen = observe(lambda: record_call(sgd, X, y, theta0, ...))``
    gives ``seen["returned"]``, ``seen["args"]`` (a list) and ``seen["kwargs"]`` (a dict), so a
    test can check that the function did not change its inputs in place.
    """
    returned = function(*args, **kwargs)
    return {"returned": returned, "args": list(args), "kwargs": dict(kwargs)}


def is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def describe(value) -> str:
    """A value for a feedback message, including a :class:`Raised`."""
    return repr(value) if isinstance(value, (Raised, Unobservable)) else show(value)
