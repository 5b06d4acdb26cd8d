"""What a test sees of the student's code: plain data, asked for by trusted code.

A graded test cell is trusted code: it chooses inputs, asks the student's code
for results, and checks them with the ``expect_*`` helpers. Asking goes
through this module:

* ``observe(steps_per_epoch, 7, 3)``: one call, its result as plain data (a
  call that raises fails the test, saying what it raised);
* ``outcome(...)``: the same, a :class:`Raised` when the call raised;
* ``observe_each(steps_per_epoch, [(7, 3), (10, 4)])`` and ``outcome_each``:
  many calls in one request;
* ``probe=``: what to report of the result (``"model"``, ``"plot"``, ...; see
  ``kernel.probes``); ``Call(f, ...)`` as an argument: the result of another
  call of the student's code; ``Given(...)``: a helper of ``kernel.given``;
* ``hidden_rng()``: a random generator for a hidden test's inputs.

In the student's own kernel (Run All, Validate) these call the functions
directly. When a submission is graded, the test cell never reaches the
student's kernel: the judge runs it in the grading process, where each name
the notebook defines is a :class:`KernelName`, and every request is sent to
the kernel, which runs it and sends back plain data only (``kernel.respond``).
The expected values, the references and the hidden inputs' seed stay here.
"""

from __future__ import annotations

import contextlib
import json
import numbers

import numpy as np

from course_utils.grading.checks import feedback, show
from course_utils.grading.kernel import probes
from course_utils.grading.kernel.given import GIVEN
from course_utils.grading.kernel.plain import (  # noqa: F401 (the trusted side's names for them)
    MIME,
    Raised,
    Unobservable,
    from_plain,
    to_plain,
)


class KernelName:
    """A name defined in the student's notebook, as the judge sees it: something to ask the kernel about."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.name} lives in the student's kernel: ask for it with observe({self.name}, ...)")


class Call:
    """An argument that is the result of calling ``target(*args, **kwargs)`` in the kernel (a model, say)."""

    def __init__(self, target, *args, **kwargs):
        self.target, self.args, self.kwargs = target, args, kwargs

    def __repr__(self) -> str:
        shown = [*(show(a) for a in self.args), *(f"{k}={show(v)}" for k, v in self.kwargs.items())]
        return f"{_name(self.target)}({', '.join(shown)})"


class Given:
    """An argument that is a helper of ``kernel.given`` (``Given("GradientRecorder", gradient=..., n_features=1)``)."""

    def __init__(self, name: str, **kwargs):
        if name not in GIVEN:
            raise ValueError(f"Given: name must be one of {sorted(GIVEN)}, got {name!r}")
        self.name, self.kwargs = name, kwargs


class Args:
    """The arguments of one call in ``observe_each``, when they include keywords: ``Args(7, batch_size=3)``."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    @classmethod
    def of(cls, item) -> "Args":
        if isinstance(item, Args):
            return item
        return cls(*item) if isinstance(item, tuple) else cls(item)


# asking the kernel (grading) or calling directly (the student's own kernel) -------------------------

_bridge = None
"""While the judge runs a test: the way to the kernel (``ask(request) -> list of plain results``)."""


@contextlib.contextmanager
def bridging(bridge):
    """Within this block, requests go to ``bridge.ask`` (the graded kernel) instead of being called here."""
    global _bridge
    previous, _bridge = _bridge, bridge
    try:
        yield bridge
    finally:
        _bridge = previous


def _encode(value):
    """An argument as plain data for the kernel: names, calls and helpers tagged."""
    if isinstance(value, KernelName):
        return {"$name": value.name}
    if isinstance(value, Call):
        return {"$call": {"target": _encode(value.target), "args": [_encode(a) for a in value.args],
                          "kwargs": {"$dict": [[k, _encode(v)] for k, v in value.kwargs.items()]}}}
    if isinstance(value, Given):
        return {"$given": value.name, "kwargs": {"$dict": [[k, to_plain(v)] for k, v in value.kwargs.items()]}}
    if isinstance(value, (list, tuple)) and any(isinstance(v, (KernelName, Call, Given)) for v in value):
        items = [_encode(v) for v in value]
        return items if isinstance(value, list) else {"$tuple": items}
    return to_plain(value)


def _local(target, calls: list[Args], probe: str, call: bool) -> list:
    """The calls run here, in the student's own kernel, with the same plain-data round trip as when graded."""
    results = []
    for item in calls:
        given: list = []
        try:  # copies, as when graded: a function that changes its inputs cannot change the test's
            args = [_local_value(_copied(a), given) for a in item.args]
            kwargs = {k: _local_value(_copied(v), given) for k, v in item.kwargs.items()}
            function = _local_value(target, given)  # a Call as the target: its result is what is probed
            plain = to_plain(probes.PROBES[probe](function, args, kwargs, call=call, given=given))
        except Exception as error:  # noqa: BLE001 (the student's code may raise anything)
            from course_utils.grading.kernel.plain import raised

            plain = raised(error)
        results.append(json.loads(json.dumps(plain)))
    return results


def _copied(value):
    """Plain data copied (arrays, lists, tuples, dicts), anything else as it is: what a graded kernel receives."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    return value


def _local_value(value, given: list):
    if isinstance(value, Call):
        return value.target(*(_local_value(a, given) for a in value.args),
                            **{k: _local_value(v, given) for k, v in value.kwargs.items()})
    if isinstance(value, Given):
        helper = GIVEN[value.name](**value.kwargs)
        given.append(helper)
        return helper
    return value


def _ask(target, calls: list[Args], probe: str, call: bool) -> list:
    if probe not in probes.PROBES:
        raise ValueError(f"probe must be one of {sorted(probes.PROBES)}, got {probe!r}")
    if _bridge is None:
        plains = _local(target, calls, probe, call)
    else:
        if not isinstance(target, (KernelName, Call)):
            raise TypeError(f"a graded test may ask only about the notebook's names, not {type(target).__name__}")
        request = {"target": _encode(target), "probe": probe, "call": call,
                   "calls": [{"args": [_encode(a) for a in c.args],
                              "kwargs": {"$dict": [[k, _encode(v)] for k, v in c.kwargs.items()]}} for c in calls]}
        plains = _bridge.ask(request)
    if not isinstance(plains, list) or len(plains) != len(calls):
        raise AssertionError(feedback("the kernel's answer does not hold one result per call"))
    return [from_plain(plain) for plain in plains]


def outcome(target, *args, probe: str = "value", call: bool = True, **kwargs):
    """``target(*args, **kwargs)`` as plain data (what ``probe`` reports of it), or a :class:`Raised`."""
    return _ask(target, [Args(*args, **kwargs)], probe, call)[0]


def observe(target, *args, probe: str = "value", call: bool = True, **kwargs):
    """Like :func:`outcome`; if the call raised, the test fails saying what it raised."""
    __tracebackhide__ = True  # IPython shows the test's line, not this helper's
    value = outcome(target, *args, probe=probe, call=call, **kwargs)
    if isinstance(value, Raised):
        raise AssertionError(_raised_message(_name(target), value))
    return value


def _raised_message(call: str, value: Raised) -> str:
    if value.is_a(NotImplementedError):
        return feedback(f"not answered yet: {call} still raises NotImplementedError",
                        "write your code where it says # YOUR CODE HERE and delete the raise line")
    message = f": {value.message}" if value.message else ""
    return feedback(f"your code raised {value.name}{message} (in {call})")


def outcome_each(target, calls, probe: str = "value") -> list:
    """``target`` called on each item of ``calls`` (a tuple of arguments, one argument, or :class:`Args`)."""
    return _ask(target, [Args.of(item) for item in calls], probe, True)


def observe_each(target, calls, probe: str = "value") -> list:
    """Like :func:`outcome_each`; the first call that raised fails the test, naming its arguments."""
    __tracebackhide__ = True
    calls = [Args.of(item) for item in calls]
    values = _ask(target, calls, probe, True)
    for item, value in zip(calls, values):
        if isinstance(value, Raised):
            shown = ", ".join([*(show(a) for a in item.args), *(f"{k}={show(v)}" for k, v in item.kwargs.items())])
            raise AssertionError(_raised_message(f"{_name(target)}({shown})", value))
    return values


def _name(target) -> str:
    return target.name if isinstance(target, KernelName) else getattr(target, "__name__", type(target).__name__)


def hidden_rng() -> np.random.Generator:
    """A generator for a hidden test's inputs: seeded by the grading process (never by the kernel) when graded."""
    return _bridge.rng() if _bridge is not None else np.random.default_rng()


def is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def describe(value) -> str:
    """A value for a feedback message, including a :class:`Raised`."""
    return repr(value) if isinstance(value, (Raised, Unobservable)) else show(value)
