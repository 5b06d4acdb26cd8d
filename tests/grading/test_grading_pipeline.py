"""The grading pipeline, end to end, with nbgrader's own commands in a temporary course directory.

For every assignment: ``exercises/`` is what ``generate_assignment`` makes from
``solutions/`` and shows no solution or hidden test; the solution autogrades to
full marks, the blank release to 0, and every known-wrong submission in
``tests/grading_cases/<id>.py`` to exactly its expected score, test cell by
test cell. Scores are read from the gradebook: ``nbgrader validate`` exits 0
whatever the result. Nothing is written into the repository.
"""

from __future__ import annotations

import csv
import re
import runpy

import nbformat
import pytest
from grading_harness import (
    ASSIGNMENTS,
    MARKERS,
    ROOT,
    autograde_in_parallel,
    cell_timeout,
    course_metadata,
    graded_cells,
    make_submission,
    nbgrader,
    nbgrader_ok,
    new_course,
    read,
    require_sandbox,
    scores,
)

CASES_DIR = ROOT / "tests" / "grading_cases"


def load_cases(assignment: str) -> dict:
    """The solution, the blank release, and the known-wrong submissions of one assignment."""
    cases = {"solution": {"why": "the instructor's solution", "fails": [], "score": None}}
    cases["blank"] = {"why": "the release, untouched", "blank": True, "fails": None, "score": 0}
    cases.update(runpy.run_path(str(CASES_DIR / f"{assignment}.py"))["CASES"])
    return cases


CASES = {assignment: load_cases(assignment) for assignment in ASSIGNMENTS}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course directory holding a copy of solutions/ and nbgrader_config.py, with every assignment generated."""
    return new_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def autograded(course):
    """``autograded(assignment)``: every case of the assignment autograded (once per test module).

    With the parallel runner, the fast path (a worker per core, warm kernels); the security tests
    and ``test_grading_the_same_submission_twice_gives_the_same_score`` use serial nbgrader.
    """
    done = {}

    def run(assignment: str) -> dict[str, dict]:
        require_sandbox()
        if assignment not in done:
            done[assignment] = autograde_in_parallel(course, assignment, CASES[assignment])
        return done[assignment]

    return run


# exercises/ is generated from solutions/ -------------------------------------------------------


def comparable(nb) -> list[tuple]:
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_are_what_generate_assignment_makes(course, assignment):
    committed = read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    generated = read(course / "exercises" / assignment / f"{assignment}.ipynb")
    assert comparable(committed) == comparable(generated), (
        f"exercises/{assignment} is out of date: run `nbgrader generate_assignment {assignment} --force` "
        "from the repository root and commit the result"
    )


def hidden_lines(nb) -> set[str]:
    """Lines of solution and hidden-test blocks that appear nowhere else in the source notebook."""
    inside, shown = set(), set()
    for cell in nb.cells:
        depth = 0
        for line in cell.source.splitlines():
            marker = MARKERS.match(line)
            if marker:
                depth += 1 if marker.group(1) == "BEGIN" else -1
            elif line.strip():
                (inside if depth else shown).add(line.strip())
    return {line for line in inside - shown if len(line) >= 12}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_show_no_solution_or_hidden_test(assignment):
    source = read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    release = read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    text = "\n".join(cell.source for cell in release.cells)
    assert not re.search(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)", text)
    secret = hidden_lines(source)
    assert secret, "the source notebook should hold solutions and hidden tests"
    shown = {line.strip() for line in text.splitlines()}
    leaked = sorted(secret & shown)
    assert not leaked, f"exercises/{assignment} shows lines of solutions or hidden tests: {leaked[:5]}"
    for cell in release.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert "raise NotImplementedError()" in cell.source


# the shape of every exercise ---------------------------------------------------------------------



@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercise_has_the_course_shape(assignment):
    """Intro linking its lesson; Part headings whose points add up; docstrings; helpers imported in each test."""
    nb = read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    assert f"../../{course_metadata(assignment)['lesson']}" in nb.cells[0].source
    part, heading_points, cell_points = None, {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        heading = re.search(r"^## Part ([A-Z]) \((\d+) points?\)", cell.source, re.M) if cell.cell_type == "markdown" else None
        if heading:
            part = heading.group(1)
            heading_points[part] = int(heading.group(2))
        if meta.get("solution"):
            assert '"""' in cell.source.split("### BEGIN SOLUTION")[0], f"{meta['grade_id']}: docstring first"
        if meta.get("grade"):
            assert part, f"{meta['grade_id']} comes before any Part heading"
            cell_points[part] = cell_points.get(part, 0) + meta["points"]
            first_line = cell.source.splitlines()[0]
            assert first_line.startswith('"""') and first_line.endswith('"""') and len(first_line) > 6, meta["grade_id"]
            assert meta["grade_id"].startswith("test_")
            if "expect_" in cell.source:
                assert "from course_utils.grading import" in cell.source, f"{meta['grade_id']} imports its helpers"
    assert heading_points == cell_points
    total = re.search(r"\((\d+) in all\)", nb.cells[0].source)
    assert total and int(total.group(1)) == sum(cell_points.values())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_how_this_notebook_works_states_the_policy_the_grader_applies(assignment):
    """The rules a student reads are written from policy.py: `python -m course_utils.authoring.how_it_works`."""
    from course_utils.authoring import how_it_works

    nb = read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == how_it_works.CELL_ID]
    assert [c.source for c in cells] == [how_it_works.text(nb.metadata.get("course", {}))], (
        f"run `python -m course_utils.authoring.how_it_works solutions/{assignment}/{assignment}.ipynb`, "
        f"then generate_assignment")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_test_has_a_hidden_part_drawn_at_grading_time(assignment):
    """A table of the visible answers must not pass a test: each one draws hidden inputs."""
    nb = read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            hidden = cell.source.split("### BEGIN HIDDEN TESTS", 1)[-1] if "### BEGIN HIDDEN TESTS" in cell.source else ""
            assert "hidden_rng()" in hidden, f"{meta['grade_id']}: no hidden part drawn with hidden_rng()"


@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if not course_metadata(a).get("needs_keras")])
def test_numpy_only_exercises_never_import_keras(assignment):
    nb = read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    imports = re.findall(r"^\s*(?:import|from)\s+([\w.]+)", code, re.M)
    assert not [m for m in imports if m.split(".")[0] in ("keras", "tensorflow") or m == "course_utils.experiments.keras_tools"]
    assert imports  # the pattern does find imports


# autograding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assignment", "name"), [(a, name) for a in ASSIGNMENTS for name in CASES[a]], ids=lambda v: str(v)
)
def test_submission_gets_exactly_its_expected_score(autograded, course, assignment, name):
    case = CASES[assignment][name]
    points = graded_cells(read(course / "exercises" / assignment / f"{assignment}.ipynb"))
    expected_fails = sorted(points) if case["fails"] is None else sorted(case["fails"])
    expected_score = sum(points.values()) if case["score"] is None else case["score"]
    got = autograded(assignment)[name]
    failed = sorted(cell for cell, score in got["cells"].items() if score < points[cell])
    assert failed == expected_fails, f"{name} ({case['why']}): failing test cells"
    assert got["score"] == expected_score, f"{name} ({case['why']}): total score"
    assert expected_score == sum(points.values()) - sum(points[c] for c in expected_fails)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_at_least_three_typical_wrong_submissions_get_partial_scores(course, assignment):
    total = sum(graded_cells(read(course / "exercises" / assignment / f"{assignment}.ipynb")).values())
    partial = [name for name, case in CASES[assignment].items() if case["score"] is not None and 0 < case["score"] < total]
    assert len(partial) >= 3, partial


def test_grading_the_same_submission_twice_gives_the_same_score(autograded, course):
    assignment, student = "ex01_counting_steps", "floor_instead_of_ceil"
    first = autograded(assignment)[student]
    nbgrader_ok(course, "autograde", assignment, f"--student={student}", "--force",
                f"--ExecutePreprocessor.timeout={cell_timeout(assignment)}")
    assert scores(course, assignment, [student])[student] == first


# the self-learner's check: nbgrader validate ------------------------------------------------------


@pytest.mark.parametrize(("name", "verdict"), [("solution", "Success! Your notebook passes all the tests."),
                                              ("floor_instead_of_ceil", "VALIDATION FAILED ON 3 CELL(S)!")])
def test_validate_reports_success_or_the_failing_cells(course, tmp_path, name, verdict):
    assignment = "ex01_counting_steps"
    release = read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    path = tmp_path / f"{assignment}.ipynb"
    nbformat.write(make_submission(release, assignment, CASES[assignment][name]), str(path))
    result = nbgrader(course, "validate", str(path), cwd=tmp_path)
    assert result.returncode == 0  # whatever the verdict: scripts must read the output (or the gradebook)
    assert verdict in result.stdout, result.stdout + result.stderr[-3000:]
    if name != "solution":  # the feedback survives validate's 90-character lines
        assert "expected 3 steps for n_samples=7, batch_size=3, got 2:\n    is the last partial batch counted?" in result.stdout


# the rest of the instructor guide: feedback and grades -------------------------------------------


def test_feedback_and_csv_export_after_autograding(autograded, course):
    assignment, student = "ex01_counting_steps", "floor_instead_of_ceil"
    expected = {name: autograded(assignment)[name]["score"] for name in CASES[assignment]}
    nbgrader_ok(course, "generate_feedback", assignment, f"--student={student}")
    html = (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
    assert "is the last partial batch counted?" in html
    nbgrader_ok(course, "export", f"--to={course / 'grades.csv'}")
    with open(course / "grades.csv", newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["assignment"] == assignment and row["student_id"] in expected]
    assert {row["student_id"]: float(row["score"]) for row in rows} == expected


def test_deleted_test_cells_can_be_put_back_and_run(course):
    require_sandbox()
    assignment, student = "ex01_counting_steps", "deleted_passing_test"
    release = read(course / "exercises" / assignment / f"{assignment}.ipynb")
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    case = {"delete": ["test_steps_partial_batch"]}  # a correct solution, one test cell deleted
    nbformat.write(make_submission(release, assignment, case), str(folder / f"{assignment}.ipynb"))
    nbgrader_ok(course, "autograde", assignment, f"--student={student}", "--OverwriteCells.add_missing_cells=True",
                f"--ExecutePreprocessor.timeout={cell_timeout(assignment)}")
    assert scores(course, assignment, [student])[student]["score"] == 7
