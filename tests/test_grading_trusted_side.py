"""The trusted side of grading, piece by piece: policy rules, plain observations, the judge's replay."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_utils.grading.judge import judge_cell
from course_utils.grading.observe import from_plain, observe, replaying, to_plain
from course_utils.grading.policy import check_source

ALLOWED = ["math", "numpy", "course_utils.batching.minibatches"]


def rules(source: str, **kwargs) -> list[str]:
    return [v.rule for v in check_source(source, ALLOWED, **kwargs)]


@pytest.mark.parametrize("source", [
    "import numpy as np\nimport math\ndef f(n, b=None):\n    return -(-n // (b or 32))\n",
    "from course_utils.batching import minibatches\n",
    "class Recorder:\n    def __init__(self):\n        super().__init__()\n        self.losses = []\n"
    "    def on_train_begin(self, logs=None):\n        self.losses = []\n        self.losses += [1]\n",
    "def gen(X, y):\n    for start in range(0, len(X), 2):\n        yield X[start:start + 2], y[start:start + 2]\n",
    "values = {}\nvalues['a'] = [x for x in range(3)]\ntotal = sum(values['a'])\n",
    "for _, y_batch in [(1, 2)]:\n    print(y_batch)\n",
])
def test_ordinary_code_keeps_every_rule(source):
    assert rules(source) == []


@pytest.mark.parametrize(("source", "rule"), [
    ("from course_utils.batching import total_steps", "import of 'total_steps' from 'course_utils.batching'"),
    ("import course_utils.batching", "import of 'course_utils.batching' is not allowed"),
    ("import os", "import of 'os' is not allowed"),
    ("from numpy import *", "'from numpy import *' is not allowed"),
    ("from numpy import load", "importing 'load' is not allowed"),
    ("x = open('f').read()", "the name 'open'"),
    ("f = eval", "the name 'eval'"),
    ("getattr(1, 'real')", "the name 'getattr'"),
    ("course_utils.batching", "the name 'course_utils'"),
    ("get_ipython()", "the name 'get_ipython'"),
    ("x = (1).__class__", "attributes that start with '_'"),
    ("x = _ih", "names that start with '_'"),
    ("import numpy as np\nnp.allclose = print", "attributes may be assigned only on self"),
    ("import numpy as np\ndel np.allclose", "attributes may be assigned only on self"),
    ("import numpy as np\nfor np.x in [1]:\n    pass", "attributes may be assigned only on self"),
    ("import numpy as np\nnp.load('x.npy')", "the attribute 'load'"),
    ("import numpy as np\nnp.lib", "the attribute 'lib'"),
    ("g = (x for x in [1])\ng.gi_frame", "the attribute 'gi_frame'"),
    ("'{0.__class__}'.format(1)", "strings that contain '__'"),
    ("class A(int):\n    def __eq__(self, other):\n        return True", "defining '__eq__' is not allowed"),
    ("!ls", "IPython magics and shell commands"),
    ("%run x.py", "IPython magics and shell commands"),
    ("def f(:\n    pass", "this is not valid Python"),
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
    assert from_plain(to_plain(object())) != from_plain(to_plain(object()))


def test_observe_reports_what_the_code_raised():
    with pytest.raises(AssertionError, match="your code raised ZeroDivisionError"):
        observe(lambda: 1 / 0)


def test_a_class_named_like_a_builtin_error_is_not_that_error():
    from course_utils.grading import expect_raises

    class ValueError(Exception):  # noqa: A001 (the point of the test)
        pass

    def bad():
        raise ValueError("batch_size")

    with pytest.raises(AssertionError, match="expected ValueError"):
        expect_raises("a bad batch_size", __builtins__["ValueError"] if isinstance(__builtins__, dict)
                      else __builtins__.ValueError, bad)


TEST_CELL = """
from course_utils.grading import expect_equal, observe
got = observe(lambda: [steps(n, 3) for n in (7, 9)])
expect_equal("steps", [3, 3], got, "ceil")
"""


def test_the_judge_passes_a_test_on_the_right_observations_only():
    assert judge_cell(TEST_CELL, [[3, 3]]) is None
    assert "expected [3, 3] steps, got [2, 3]" in judge_cell(TEST_CELL, [[2, 3]])


def test_the_judge_never_calls_student_code():
    assert judge_cell(TEST_CELL, [[3, 3]]) is None  # `steps` exists nowhere in the judge


def test_missing_or_extra_observations_fail():
    assert "no more observations" in judge_cell(TEST_CELL, [], kernel_error="CellTimeoutError: ...")
    assert "CellTimeoutError" in judge_cell(TEST_CELL, [], kernel_error="CellTimeoutError: ...")
    assert "more observation(s)" in judge_cell(TEST_CELL, [[3, 3], [3, 3]])


def test_replaying_hands_back_in_order_and_calls_nothing():
    with replaying([1, 2]) as left:
        assert observe(lambda: 1 / 0) == 1
        assert observe(lambda: 1 / 0) == 2
    assert left == []


def test_the_grading_side_leaves_the_environment_alone():
    """nbgrader_config.py runs inside JupyterLab's server too: it must not change what kernels inherit."""
    import subprocess
    import sys

    code = ("import os; before = dict(os.environ); import course_utils  # sets TF_CPP_MIN_LOG_LEVEL, by design\n"
            "before = dict(os.environ)\n"
            "import course_utils.grading.preprocessors, course_utils.grading.autograde, course_utils.grading.export\n"
            "import course_utils.grading.feedback, course_utils.grading.gradebook_db\n"
            "print(sorted(set(os.environ.items()) ^ set(before.items())))")
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "COURSE_GRADEBOOK_IMMEDIATE")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
