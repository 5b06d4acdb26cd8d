"""Feedback that leads with the answer: Validate (command line and the button's dialog), Run All, feedback HTML.

Each shows first a verdict per part ("Part A: failed, 1/3 points ..."), then
every failed test's name and its message (expected, got, hint); never a test's
source, never the course's helpers' frames. Run All goes past a failing test to
the last part while nbgrader still counts that test cell as failed. Scores are
nbgrader's own: only what is shown changes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import nbformat
import pytest
from grading_harness import (
    in_order,
    ROOT,
    autograde,
    make_submission,
    nbgrader,
    nbgrader_ok,
    new_course,
    read,
    require_sandbox,
)

ASSIGNMENT = "ex01_counting_steps"
FLOOR = "n_samples + batch_size - 1) // batch_size"
CASES = {
    "floor": {"edit": {"steps_per_epoch": [(FLOOR, "n_samples) // batch_size")]}},
    "blank": {"blank": True},
    "solution": {},
}
PARTIAL_MESSAGE = "expected 3 steps for n_samples=7, batch_size=3, got 2:\n    is the last partial batch counted?"
TEST_SOURCE = ("observe_each(", "from course_utils", "examples = [", "hidden_rng")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return new_course(tmp_path_factory.mktemp("course"), assignments=(ASSIGNMENT,))


def submission(course, tmp_path, name: str):
    release = read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    nbformat.write(make_submission(release, ASSIGNMENT, CASES[name]), str(path))
    return path


def validate(course, path) -> str:
    """``nbgrader validate`` as a student runs it: from the course's root, where nbgrader_config.py is."""
    result = nbgrader(course, "validate", str(path), cwd=course)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


# nbgrader validate ----------------------------------------------------------------------------


def test_validate_command_line_leads_with_a_verdict_per_part_then_each_failed_test(course, tmp_path):
    out = validate(course, submission(course, tmp_path, "floor"))
    in_order(out,
             "VALIDATION FAILED ON 3 CELL(S)!",
             "Part A: failed, 1/3 points (2 of 3 tests failed)",
             "Part B: failed, 1/2 points (1 of 2 tests failed)",
             "Part C: passed, 2/2 points",
             "Part A, test_steps_partial_batch (0/1 point): steps_per_epoch counts the last,",
             PARTIAL_MESSAGE,
             "Part A, test_steps_default_batch_size (0/1 point)",
             "Part B, test_total_steps_partial_batch (0/1 point)",
             "expected 6 updates for n_samples=7, batch_size=3, epochs=2, got 4:")
    assert not any(source in out for source in TEST_SOURCE), out
    assert "Traceback" not in out and "course_utils/grading" not in out and "File " not in out, out
    assert "test_last_batch_size" not in out  # a passing test is not listed


def test_validate_of_a_blank_notebook_says_not_answered_yet(course, tmp_path):
    out = validate(course, submission(course, tmp_path, "blank"))
    in_order(out, "VALIDATION FAILED ON 7 CELL(S)!", "Part A: not answered yet, 0/3 points",
             "Part B: not answered yet, 0/2 points", "Part C: not answered yet, 0/2 points",
             "Part A, test_steps_seed_examples (0/1 point)",
             "not answered yet: steps_per_epoch(100, 100) still raises", "# YOUR CODE HERE")
    assert "Traceback" not in out and "NotImplementedError()" not in out, out


def test_validate_of_the_solution_is_nbgrader_s_success(course, tmp_path):
    out = validate(course, submission(course, tmp_path, "solution"))
    assert out.strip().endswith("Success! Your notebook passes all the tests."), out


HANDLER = """
import json, os, sys
from nbgrader.apps import NbGrader
import nbgrader.server_extensions.validate_assignment.handlers as handlers  # as the server has loaded it
app = NbGrader()
app.config_file_paths.append([os.getcwd()])
app.load_config_file()  # what ValidateAssignmentHandler.load_config does, then Validator(config=...)
validator = handlers.Validator(config=app.config)
print(json.dumps({"class": type(validator).__name__, "result": validator.validate(sys.argv[1])}))
"""


def test_the_validate_button_gets_the_summary_first_then_one_entry_per_failed_test(course, tmp_path):
    """The JSON the Validate button's handler returns (the browser test opens the dialog itself)."""
    path = submission(course, tmp_path, "floor")
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run([sys.executable, "-c", HANDLER, str(path)], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["class"] == "CourseValidator"
    failed = answer["result"]["failed"]
    summary, tests = failed[0], failed[1:]
    in_order(summary["source"], "VALIDATION FAILED ON 3 CELL(S)!", "Part A: failed, 1/3 points",
             "Part B: failed, 1/2 points", "Part C: passed, 2/2 points")
    assert [t["grade_id"] for t in tests] == ["test_steps_partial_batch", "test_steps_default_batch_size",
                                              "test_total_steps_partial_batch"]
    assert tests[0]["source"].startswith("Part A, test_steps_partial_batch (0/1 point): steps_per_epoch counts")
    assert tests[0]["error"].startswith("expected 3 steps for n_samples=7, batch_size=3, got 2:\nis the last")
    for entry in failed:
        assert not any(source in entry["source"] + entry["error"] for source in TEST_SOURCE), entry
        assert "Traceback" not in entry["error"] and "course_utils/grading" not in entry["error"]


# Run All: a failing test does not stop the run --------------------------------------------------


def run_all(nb, *, extension: bool, env: dict | None = None):
    """Execute like JupyterLab's Run All: stop at the first cell whose execution fails (allow_errors=False)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    # the course's environment loads it in every kernel (make, postBuild); a plain Jupyter does not
    switch = "%load_ext" if extension else "%unload_ext"
    nb.cells.insert(0, nbformat.v4.new_code_cell(f"{switch} course_utils.grading.runall"))
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False, cwd=str(ROOT)).execute()
        stopped = None
    except CellExecutionError as error:
        stopped = error
    finally:
        for key, value in old.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    return nb, stopped


def graded(nb) -> dict:
    from nbgrader import utils

    return {c.metadata.nbgrader.grade_id: c for c in nb.cells if c.cell_type == "code" and utils.is_grade(c)}


def test_run_all_with_a_wrong_part_a_reaches_the_last_part_and_the_failed_tests_still_count(course):
    from nbgrader import utils

    release = read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    wrong_a = make_submission(release, ASSIGNMENT, CASES["floor"])
    nb, stopped = run_all(wrong_a, extension=False)
    assert stopped is not None  # without the extension: the first failing test stops Run All
    nb, stopped = run_all(wrong_a, extension=True)
    assert stopped is None, stopped
    tests = graded(nb)
    last = tests["test_last_batch_size_edge_cases"]
    assert last.execution_count and utils.determine_grade(last) == (1.0, 1.0)  # Part C ran, and passed
    failing = {"test_steps_partial_batch", "test_steps_default_batch_size", "test_total_steps_partial_batch"}
    assert {g for g, c in tests.items() if utils.determine_grade(c)[0] == 0} == failing  # as nbgrader counts
    text = "\n".join(tests["test_steps_partial_batch"].outputs[0]["traceback"])
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert plain.startswith("Failed: steps_per_epoch counts the last, partial batch as one more step.")
    assert "expected 3 steps for n_samples=7, batch_size=3, got 2:\nis the last partial batch counted?" in plain
    assert "course_utils" not in plain and "File " not in plain, plain


def test_a_last_summary_cell_shows_the_verdict_per_part_after_run_all(course, tmp_path):
    """course_utils.grading.runall.summary(): what a last cell of an exercise can show once Run All reaches it."""
    release = read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    wrong_a = make_submission(release, ASSIGNMENT, CASES["floor"])
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    nbformat.write(wrong_a, str(path))  # the saved notebook: JupyterLab names it to the kernel
    wrong_a.cells.append(nbformat.v4.new_code_cell("from course_utils.grading.runall import summary\n\nsummary()"))
    nb, stopped = run_all(wrong_a, extension=True, env={"JPY_SESSION_NAME": str(path)})
    assert stopped is None, stopped
    shown = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    in_order(shown, "Part A: failed, 1/3 points (2 of 3 tests failed)", "Part B: failed, 1/2 points",
             "Part C: passed, 2/2 points", "Part A, test_steps_partial_batch (0/1 point): steps_per_epoch counts",
             "    expected 3 steps for n_samples=7, batch_size=3, got 2:", "Part B, test_total_steps_partial_batch")
    assert "test cell" not in shown.split("Part C")[0]  # the summary cell is not counted as a test


def test_run_all_extension_does_nothing_under_nbgrader():
    import ast

    from course_utils.grading.runall import ReportTestFailures

    cell = ast.parse('"""t"""\nfrom course_utils.grading import expect_true\nexpect_true(False, "no")')
    wrapped = ReportTestFailures().visit(ast.parse(ast.unparse(cell)))
    assert isinstance(wrapped.body[0], ast.Try)
    student = ReportTestFailures().visit(ast.parse("def f(x):\n    return x\nassert f(1) == 2"))
    assert not isinstance(student.body[0], ast.Try)  # only test cells (they import the grading helpers)
    shown = ReportTestFailures().visit(ast.parse("from course_utils.grading.runall import summary\nsummary()"))
    assert not isinstance(shown.body[0], ast.Try)
    os.environ["NBGRADER_EXECUTION"] = "validate"
    try:
        assert not isinstance(ReportTestFailures().visit(ast.parse(ast.unparse(cell))).body[0], ast.Try)
    finally:
        del os.environ["NBGRADER_EXECUTION"]


# feedback HTML ----------------------------------------------------------------------------------


def test_feedback_html_leads_with_the_verdicts_and_names_every_test(course):
    require_sandbox()
    cases = {"floor": {**CASES["floor"], "fails": None, "score": None}, "blank": {**CASES["blank"]}}
    autograde(course, ASSIGNMENT, cases)
    for student in cases:
        nbgrader_ok(course, "generate_feedback", ASSIGNMENT, f"--student={student}")
    floor = (course / "feedback" / "floor" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    text = re.sub(r"<[^>]+>", "", floor)
    # hidden tests fail too when graded: floor division is wrong for 5 of the 7 test cells
    in_order(text, "Your results", "2 of 7 points", "Part A: failed, 0/3 points (3 of 3 tests failed)",
             "Part B: failed, 0/2 points (2 of 2 tests failed)", "Part C: passed, 2/2 points", "What failed",
             "Part A, test_steps_partial_batch (0/1 point): steps_per_epoch counts the last",
             "expected 3 steps for n_samples=7, batch_size=3, got 2:",
             "Part A, test test_steps_seed_examples")
    assert text.count("test test_last_batch_size_edge_cases") == 1  # every test cell is named above it
    assert "hidden_rng" not in floor and "HIDDEN TESTS" not in floor
    blank = re.sub(r"<[^>]+>", "", (course / "feedback" / "blank" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text())
    in_order(blank, "0 of 7 points", "Part A: not answered yet, 0/3 points", "Part C: not answered yet",
             "not answered yet: steps_per_epoch")
