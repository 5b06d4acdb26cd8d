"""The trusted side of grading, piece by piece: policy rules, plain data, the judge asking a kernel.

The judge runs a test cell's source here with a stand-in bridge: what a
kernel would answer, as plain data. Nothing the "kernel" sends can make the
judge pass a wrong answer, run long, or grow large.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from course_utils.grading.trusted.judge import judge_test
from course_utils.grading.kernel.plain import MAX_ITEMS, Unobservable, from_plain, to_plain
from course_utils.grading.kernel.respond import run_request
from course_utils.grading.observe import observe
from course_utils.grading.trusted.policy import check_source

ALLOWED = ["math", "numpy", "course_utils.reference.batching.minibatches"]
GIVEN_MODULES = {"np": "numpy", "math": "math"}  # what the given cells import


def rules(source: str, **kwargs) -> list[str]:
    return [v.rule for v in check_source(source, ALLOWED, modules=GIVEN_MODULES, **kwargs)]


# the policy: ordinary Python passes -----------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "import numpy as np\nimport math\ndef f(n, b=None):\n    return -(-n // (b or 32))\n",
    "from course_utils.reference.batching import minibatches\n",
    "class Recorder:\n    def __init__(self):\n        super().__init__()\n        self.losses = []\n"
    "    def on_train_begin(self, logs=None):\n        self.losses = []\n        self.losses += [1]\n",
    "def gen(X, y):\n    for start in range(0, len(X), 2):\n        yield X[start:start + 2], y[start:start + 2]\n",
    "values = {}\nvalues['a'] = [x for x in range(3)]\ntotal = sum(values['a'])\n",
    "for _, y_batch in [(1, 2)]:\n    print(y_batch)\n",
    # what careful students write (held-out correct alternatives lost points to the old policy)
    "import operator\nimport numbers\ndef f(n):\n    if not isinstance(n, numbers.Integral):\n"
    "        raise TypeError(f'n must be an int, got {type(n).__name__}')\n    return operator.add(n, 1)\n",
    "class Recorder:\n    def __init__(self):\n        self._seen = []\n    def on_batch(self, x):\n"
    "        self._seen.append(x)\n        return len(self._seen)\n",
    "def _ceil_div(a, b):\n    return -(-a // b)\n\ndef steps(n, b):\n    return _ceil_div(n, b)\n",
    "import itertools, functools, collections, statistics\n"
    "pairs = list(itertools.islice(itertools.count(), 3))\nfunctools.reduce(operator_add, pairs) if False else 0\n"
    "counts = collections.Counter(pairs)\nm = statistics.mean(pairs)\n",
    "class Batches:\n    def __init__(self, n):\n        self.n = n\n    def __iter__(self):\n        return self\n"
    "    def __next__(self):\n        raise StopIteration\n    def __len__(self):\n        return self.n\n",
    "rng = np.random.default_rng(0)\norder = rng.permutation(10)\nw = np.linalg.norm(np.ones(3))\n",
])
def test_ordinary_code_keeps_every_rule(source):
    assert rules(source) == []


# the policy: each way out breaks a named rule -------------------------------------------------------

@pytest.mark.parametrize(("source", "rule"), [
    ("from course_utils.reference.batching import total_steps", "import of 'total_steps' from 'course_utils.reference.batching'"),
    ("import course_utils.reference.batching", "import of 'course_utils.reference.batching' is not allowed"),
    ("import os", "import of 'os' is not allowed"),
    ("from numpy import *", "'from numpy import *' is not allowed"),
    ("from numpy import load", "importing 'load' from 'numpy' is not allowed"),
    ("x = open('f').read()", "the name 'open'"),
    ("f = eval", "the name 'eval'"),
    ("getattr(1, 'real')", "the name 'getattr'"),
    ("course_utils.reference.batching", "the name 'course_utils'"),
    ("get_ipython()", "the name 'get_ipython'"),
    ("x = (1).__class__", "the attribute '__class__' is not allowed"),
    ("x = _ih", "allowed only for your own helpers ('_ih')"),
    ("np.allclose = print", "attributes may be assigned only on self"),
    ("del np.allclose", "attributes may be assigned only on self"),
    ("for np.x in [1]:\n    pass", "attributes may be assigned only on self"),
    ("np.load('x.npy')", "numpy.load is not one of the names of numpy"),
    ("np.lib", "numpy.lib is not one of the names"),
    ("g = (x for x in [1])\ng.gi_frame", "the attribute 'gi_frame'"),
    ("'{0.__class__}'.format(1)", "strings that contain '__'"),
    ("class A(int):\n    def __getattr__(self, name):\n        return 1", "defining '__getattr__' is not allowed"),
    ("!ls", "IPython magics and shell commands"),
    ("%run x.py", "IPython magics and shell commands"),
    ("def f(:\n    pass", "this is not valid Python"),
    # the leaks a student who read the old denylist found, each by class
    ("def f(g):\n    match g:\n        case object(__globals__=found):\n            return found",
     "class patterns in match"),
    ("def f(g):\n    match g:\n        case type(gi_frame=found):\n            return found", "class patterns in match"),
    ("import operator\nread = operator.attrgetter('x')", "operator.attrgetter is not one of the names"),
    ("import operator\ncall = operator.methodcaller('x')", "operator.methodcaller is not one of the names"),
    ("x = np.core.multiarray", "numpy.core is not one of the names"),
    ("x = np.random.mtrand", "numpy.random.mtrand is not one of the names"),
    ("x = np.fromregex('a.txt', 'x', float)", "numpy.fromregex is not one of the names"),
    ("x = np.genfromtxt('a.txt')", "numpy.genfromtxt is not one of the names"),
    ("T = type('T', (), {})", "type() may be called only with one argument"),
    ("def f(self):\n    self.x = 1", "a parameter named 'self' is allowed only as the first one of a method"),
    ("class A:\n    def m(self):\n        self = np\n        self.x = 1", "'self' may not be given another value"),
    ("class A:\n    def m(self):\n        self.allclose = 1\nA.m(np)", "a module may be used only as np.name"),
    ("module = np.random", "a module may be used only as numpy.random.name"),
    ("import typing\ntyping.get_type_hints(print)", "typing.get_type_hints is not one of the names"),
    ("x = 1\nx.__init_subclass__", "the attribute '__init_subclass__' is not allowed"),
    ("class A(metaclass=type):\n    pass", "class keywords (metaclass=...) are not allowed"),
])
def test_each_way_out_breaks_a_named_rule(source, rule):
    found = rules(source)
    assert any(rule in r for r in found), found


def test_a_solution_cell_must_define_its_function():
    assert rules("steps_per_epoch = print", defines="steps_per_epoch") == [
        "this cell must define 'steps_per_epoch' itself, with def or class"]
    assert rules("def steps_per_epoch(n):\n    return n", defines="steps_per_epoch") == []


def test_violations_name_their_line():
    found = check_source("x = 1\ny = 2\nimport os\n", ALLOWED)
    assert [v.line for v in found] == [3] and str(found[0]).startswith("line 3: ")


def test_private_helpers_of_another_cell_are_allowed_when_the_notebook_binds_them():
    assert rules("y = _helper(3)") and rules("y = _helper(3)", private_names={"_helper"}) == []


# plain data ------------------------------------------------------------------------------------------


class AlwaysEqual(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


@pytest.mark.parametrize("value", [
    3, -2.5, float("nan"), float("inf"), "text", None, True, (1, 2), [1, [2, 3]], {"a": 1, 2: "b"},
    np.arange(6).reshape(2, 3), np.array([0.5, np.nan]), np.float32(1.5), np.int64(7), np.bool_(False),
])
def test_plain_values_survive_json_exactly(value):
    back = from_plain(json.loads(json.dumps(to_plain(value))))
    np.testing.assert_equal(back, value.item() if isinstance(value, np.generic) else value)
    assert type(back) is (type(value.item()) if isinstance(value, np.generic) else type(value))


def test_a_lying_int_travels_as_the_number_it_holds():
    assert to_plain(AlwaysEqual(0)) == 0 and type(to_plain(AlwaysEqual(0))) is int


def test_generators_are_read_and_objects_are_opaque():
    assert from_plain(to_plain(x * x for x in range(4))) == [0, 1, 4, 9]
    first, second = from_plain(to_plain(object())), from_plain(to_plain(object()))
    assert not first == second and not first != second  # equal to nothing, and different from nothing


@pytest.mark.parametrize("plain", [
    list(range(MAX_ITEMS + 5)),  # too many items
    {"$array": "AAAA", "dtype": "<f8", "shape": [10**9]},  # a shape its bytes do not fill
    {"$array": "", "dtype": "|O", "shape": [0]},  # objects are not plain data
    {"$tuple": 5},
    {"$unknown": 1},
    [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]],  # too deep
])
def test_what_a_kernel_sends_is_read_within_limits_or_refused(plain):
    with pytest.raises(ValueError):
        from_plain(plain)


def test_a_huge_string_stands_for_nothing_and_is_never_shown_whole():
    value = from_plain("x" * 40_000_000)
    assert isinstance(value, Unobservable) and not value == "x" * 40_000_000


# the judge: a test cell asking a stand-in kernel ------------------------------------------------------


class StandIn:
    """A bridge that answers each request with what ``answer(request)`` gives, and keeps the requests."""

    def __init__(self, answer):
        self.answer, self.requests = answer, []

    def ask(self, request):
        self.requests.append(request)
        return self.answer(request)

    def rng(self):
        return np.random.default_rng(12345)


TEST_CELL = """
from course_utils.grading import expect_equal, observe_each, hidden_rng
examples = [(7, 3, 3), (9, 3, 3)]
got = observe_each(steps, [(n, b) for n, b, _ in examples])
for (n, b, want), count in zip(examples, got):
    expect_equal(f"steps for {n}, {b}", want, count, "ceil")
rng = hidden_rng()
pairs = [(int(n), int(b)) for n, b in rng.integers(1, 99, size=(20, 2))]
got = observe_each(steps, pairs)
for (n, b), count in zip(pairs, got):
    expect_equal(f"steps for {n}, {b}", -(-n // b), count, "ceil")
"""


def calls_of(request):
    return [from_plain(call["args"]) for call in request["calls"]]


def test_the_judge_passes_right_answers_and_names_a_wrong_one():
    right = StandIn(lambda r: [-(-n // b) for n, b in calls_of(r)])
    assert judge_test(TEST_CELL, right, ["steps"]) is None
    wrong = StandIn(lambda r: [n // b for n, b in calls_of(r)])
    assert "expected 3 steps for 7, 3, got 2" in judge_test(TEST_CELL, wrong, ["steps"])


def test_requests_carry_inputs_only_never_an_expected_value():
    bridge = StandIn(lambda r: [-(-n // b) for n, b in calls_of(r)])
    judge_test(TEST_CELL, bridge, ["steps"])
    assert [c["args"] for c in bridge.requests[0]["calls"]] == [[7, 3], [9, 3]]
    assert all(set(c) == {"args", "kwargs"} for r in bridge.requests for c in r["calls"])


def test_a_lookup_table_of_the_visible_cases_fails_the_hidden_part():
    table = {(7, 3): 3, (9, 3): 3}
    cheat = StandIn(lambda r: [table.get((n, b), n // b) for n, b in calls_of(r)])
    assert judge_test(TEST_CELL, cheat, ["steps"]) is not None


@pytest.mark.parametrize("answer", [
    lambda r: [],  # fewer results than calls
    lambda r: ["3"] * len(r["calls"]),  # strings that look like the numbers
    lambda r: [{"$object": "Anything"}] * len(r["calls"]),  # an object that claims to equal everything
    lambda r: [to_plain(AlwaysEqual(0))] * len(r["calls"]),
    lambda r: [{"$raised": ["AssertionError"], "message": "ok"}] * len(r["calls"]),
])
def test_no_answer_shape_a_kernel_can_send_passes_a_test(answer):
    assert judge_test(TEST_CELL, StandIn(lambda r: [from_plain(p) if False else p for p in answer(r)]),
                      ["steps"]) is not None


def test_a_huge_answer_is_judged_quickly():
    started = time.monotonic()
    failure = judge_test(TEST_CELL, StandIn(lambda r: ["x" * 40_000_000] * len(r["calls"])), ["steps"])
    assert failure is not None and len(failure) < 5000
    assert time.monotonic() - started < 5


def test_the_judge_never_calls_student_code_and_student_names_are_only_names():
    failure = judge_test("steps(7, 3)\n", StandIn(lambda r: []), ["steps"])
    assert "lives in the student's kernel" in failure


# the kernel side: the requests' answers ---------------------------------------------------------------


def test_the_kernel_answers_each_call_and_records_what_it_raised():
    namespace = {"steps": lambda n, b=None: -(-n // (b or 32)), "boom": lambda: 1 / 0}
    assert run_request({"target": {"$name": "steps"}, "calls": [{"args": [7, 3]}, {"args": [100]}]}, namespace) == [3, 4]
    raised = run_request({"target": {"$name": "boom"}, "calls": [{"args": []}]}, namespace)[0]
    assert raised["$raised"][0] == "ZeroDivisionError"


def test_observe_in_the_students_own_kernel_calls_directly():
    assert observe(lambda n, b: -(-n // b), 7, 3) == 3
    with pytest.raises(AssertionError, match="your code raised ZeroDivisionError"):
        observe(lambda: 1 / 0)


def test_a_class_named_like_a_builtin_error_is_not_that_error():
    from course_utils.grading import expect_raises, outcome

    class ValueError(Exception):  # noqa: A001 (the point of the test)
        pass

    def bad():
        raise ValueError("batch_size")

    with pytest.raises(AssertionError, match="expected ValueError"):
        expect_raises("a bad batch_size", __builtins__["ValueError"] if isinstance(__builtins__, dict)
                      else __builtins__.ValueError, outcome(bad))


def test_the_grading_side_leaves_the_environment_alone():
    """nbgrader_config.py runs inside JupyterLab's server too: it must not change what kernels inherit."""
    import subprocess
    import sys

    code = ("import os; before = dict(os.environ); import course_utils  # sets TF_CPP_MIN_LOG_LEVEL, by design\n"
            "before = dict(os.environ)\n"
            "import course_utils.grading.trusted.preprocessors, course_utils.grading.trusted.autograde, course_utils.grading.trusted.export\n"
            "import course_utils.grading.trusted.feedback, course_utils.grading.trusted.gradebook_db\n"
            "print(sorted(set(os.environ.items()) ^ set(before.items())))")
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "COURSE_GRADEBOOK_IMMEDIATE")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
