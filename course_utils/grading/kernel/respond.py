"""The kernel's answer to the grading process: run a request on the student's code, publish what came back.

The grading process executes, in the kernel, one generated line per request::

    __import__("course_utils.grading.kernel.respond").grading.kernel.respond.respond(TOKEN, REQUEST)

``REQUEST`` (JSON) names what to call (a name in the notebook, ``{"$name": ...}``),
the probe, and the arguments of each call as plain data; arguments may name
the notebook's own functions (``$name``), ask for the result of another call
(``$call``) or for a helper of :mod:`given` (``$given``). Each call's result, or
the exception it raised, becomes plain data; all of them are published at the
end as one display output of type :data:`plain.MIME`, with ``TOKEN``. A
``BaseException`` that is not an ``Exception`` (KeyboardInterrupt, SystemExit)
ends the request: nothing is published, and the grading process fails the test.
"""

from __future__ import annotations

import json

from course_utils.grading.kernel.given import GIVEN
from course_utils.grading.kernel.plain import MIME, from_plain, raised, to_plain
from course_utils.grading.kernel.probes import PROBES


class _Resolver:
    """Restores ``$name``, ``$call`` and ``$given`` arguments in ``namespace``; keeps the helpers it made."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.given: list = []

    def __call__(self, tag: str, plain: dict, inner):
        if tag == "$name":
            name = str(plain["$name"])
            if name not in self.namespace:
                raise NameError(f"name {name!r} is not defined in your notebook (did its cell run?)")
            return self.namespace[name]
        if tag == "$call":
            spec = plain["$call"]
            return inner(spec["target"])(*inner(spec.get("args", [])), **inner(spec.get("kwargs", {"$dict": []})))
        if tag == "$given":
            helper = GIVEN[str(plain["$given"])](**inner(plain.get("kwargs", {"$dict": []})))
            self.given.append(helper)
            return helper
        raise ValueError(f"request: unknown tag {tag!r}")


def run_request(request: dict, namespace: dict) -> list:
    """Each call of ``request`` run in ``namespace``: a list of plain results (or of raised exceptions)."""
    probe = PROBES[request.get("probe", "value")]
    results = []
    for call in request["calls"]:
        resolver = _Resolver(namespace)
        try:
            target = from_plain(request["target"], resolver)
            args = from_plain(call.get("args", []), resolver)
            kwargs = from_plain(call.get("kwargs", {"$dict": []}), resolver)
            result = to_plain(probe(target, args, kwargs, call=request.get("call", True), given=resolver.given))
        except Exception as error:  # noqa: BLE001 (the student's code may raise anything)
            result = raised(error)
        results.append(result)
    return results


def respond(token: str, request: str) -> None:
    """Run ``request`` (JSON) on the notebook's namespace and publish the results with ``token``."""
    from IPython import get_ipython
    from IPython.display import publish_display_data

    results = run_request(json.loads(request), get_ipython().user_ns)
    publish_display_data({MIME: {"token": token, "results": results}})
