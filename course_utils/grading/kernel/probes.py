"""Probes: what the kernel reports of one call to the student's code, as plain data.

A request names a probe; :func:`respond.respond` calls it with the student's
function (or object), the call's arguments and whether to call it at all. Each
probe returns a value :func:`plain.to_plain` can carry. None of them checks
anything: the grading process does that.
"""

from __future__ import annotations

import numpy as np

from course_utils.grading.kernel import facts


def _result(target, args, kwargs, call: bool):
    return target(*args, **kwargs) if call else target


def value(target, args, kwargs, call=True, given=()):
    """What the call returned."""
    return _result(target, args, kwargs, call)


def with_args(target, args, kwargs, call=True, given=()):
    """What the call returned, and its arguments as they are afterwards (did it change them in place?)."""
    returned = _result(target, args, kwargs, call)
    return {"returned": returned, "args": list(args), "kwargs": dict(kwargs)}


def with_given(target, args, kwargs, call=True, given=()):
    """What the call returned, and what each helper handed to it saw (see ``given``)."""
    returned = _result(target, args, kwargs, call)
    return {"returned": returned, "given": [helper.plain() for helper in given]}


def batches(target, args, kwargs, call=True, given=()):
    """What the call returned, read as a list of ``(X_batch, y_batch)`` pairs of arrays (or what it is)."""
    result = _result(target, args, kwargs, call)
    try:
        iterator = iter(result)
    except TypeError:
        return {"type": type(result).__name__, "pairs": None}
    items = list(iterator)  # an error raised while the student's generator runs is the call's error
    pairs = []
    for item in items:
        try:
            X_batch, y_batch = item
            pairs.append((np.asarray(X_batch), np.asarray(y_batch)))
        except (TypeError, ValueError):
            return {"type": type(result).__name__, "pairs": None, "bad_item": len(pairs) + 1}
    return {"type": type(result).__name__, "pairs": pairs}


def model(target, args, kwargs, call=True, given=()):
    """The Keras model the call returned, as facts (layers, shapes, weights, optimizer, loss, iterations)."""
    return facts.model_facts(_result(target, args, kwargs, call))


def history(target, args, kwargs, call=True, given=()):
    """The Keras ``History`` the call returned, as facts."""
    return facts.history_facts(_result(target, args, kwargs, call))


def model_and_history(target, args, kwargs, call=True, given=()):
    """A ``(model, history)`` pair the call returned, as facts."""
    model_, history_ = _result(target, args, kwargs, call)
    return {"model": facts.model_facts(model_), "history": facts.history_facts(history_)}


def with_models(target, args, kwargs, call=True, given=()):
    """What the call returned, and the state of its arguments before and after it.

    Models (Keras' or ``course_utils.reference.models.Dense``) and optimizers are reported by
    :func:`facts.state_facts` (weights, iterations, ...), a returned ``History`` as facts,
    arrays as copies: did the call train the models it was given, and how?
    """
    before = facts.state_facts({"args": list(args), "kwargs": dict(kwargs)})
    returned = _result(target, args, kwargs, call)
    after = facts.state_facts({"args": list(args), "kwargs": dict(kwargs)})
    return {"returned": facts.state_facts(returned), "before": before, "after": after}


def keras_model(target, args, kwargs, call=True, given=()):
    """A Keras model (what ``target(*args)`` returned; with ``call=False`` the target itself) in Keras' own hands.

    The keyword arguments are not passed to the call: they say what Keras does with
    the model (``compile``, ``fits``, ``callback``, ``watch``, ``evaluate``, ``predict``;
    see :func:`facts.keras_session`), and the probe reports what came of it.
    """
    model_ = target(*args) if call else target
    return facts.keras_session(model_, **kwargs)


def plot(target, args, kwargs, call=True, given=()):
    """What the plotting call drew (lines, labels, legend), and whether it drew on a new figure."""
    return facts.plot_facts(lambda: _result(target, args, kwargs, call))


def type_name(target, args, kwargs, call=True, given=()):
    """The name of the type of what the call returned, and of its base classes."""
    result = _result(target, args, kwargs, call)
    kind = result if isinstance(result, type) else type(result)
    return {"type": kind.__name__, "bases": [c.__name__ for c in kind.__mro__]}


PROBES = {name: globals()[name] for name in (
    "value", "with_args", "with_given", "batches", "model", "history", "model_and_history", "with_models",
    "keras_model", "plot", "type_name")}
"""The probes a request may name."""
