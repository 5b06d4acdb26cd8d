"""The guides, executed: every command they mark runs, in order, as written, and does what they say.

docs/instructor_guide.md marks its commands with fenced blocks tagged ``instructor``
(```` ```bash instructor ````, ```` ```python instructor ````); docs/checking_your_answers.md
marks the student's with ``student``. The test runs them in a temporary copy of the
course (solutions/, exercises/, nbgrader_config.py, the grading tests), with the
course's virtual environment on PATH as the guide's ``source .venv/bin/activate``
puts it, and between blocks does what the guide leaves to the instructor's hands:
a zip of three students' notebooks (a correct one, the blank release, one with the
floor bug) for ``zip_collect``, a class list for ``db student import``, and a new
exercise (a copy of ex01 with its own cases) for "Add an exercise". Then it checks
what the guide says: files made, scores, CSV rows, log lines. Nothing is written
into the repository.
"""

from __future__ import annotations

import csv
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
import zipfile

import nbformat
import pytest
from grading_harness import ROOT, blocks, course_copy, make_submission, read, require_sandbox, scores
from nbgrader.api import Gradebook

GUIDE = ROOT / "docs" / "instructor_guide.md"
STUDENT_GUIDE = ROOT / "docs" / "checking_your_answers.md"
ASSIGNMENT = "ex01_counting_steps"
NEW_ID = "ex99_tiny"
STUDENTS = {  # zip file name -> (student id, case)
    f"alice_20250301T143000_{ASSIGNMENT}.ipynb": ("alice", {}),
    f"bob_{ASSIGNMENT}.ipynb": ("bob", {"blank": True}),
    f"carol_{ASSIGNMENT}.ipynb": ("carol", {"edit": {"steps_per_epoch": [
        ("(n_samples + batch_size - 1) // batch_size", "n_samples // batch_size")]}}),
}
EXPECTED = {"alice": 7.0, "bob": 0.0, "carol": 2.0}
MACHINE_PATHS = ("/tmp/", "/work/", "/root/", "/home/", "site-packages")


def run(course: pathlib.Path, lang: str, code: str) -> subprocess.CompletedProcess:
    """One guide block, from the course root, with the venv on PATH (the guide's `source .venv/bin/activate`)."""
    env = dict(os.environ, PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHONPATH", None)
    venv_bin = pathlib.Path(sys.executable).parent  # the copy has no .venv of its own: use the course's
    code = code.replace("<new_id>", NEW_ID).replace(".venv/bin/", f"{venv_bin}/")
    command = [sys.executable, "-c", code] if lang == "python" else ["bash", "-e", "-c", code]
    started = time.monotonic()
    result = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=900)
    print(f"{time.monotonic() - started:6.1f} s  {code.splitlines()[0][:70]}")
    assert result.returncode == 0, f"the guide's block failed:\n{code}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return result


# what the instructor does by hand between the guide's commands ---------------------------------------


def download_zip(course: pathlib.Path) -> None:
    """Section 3: an LMS download, as a zip of notebooks named by the guide's convention."""
    release = read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    archive = course / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as bundle:
        for name, (_, case) in STUDENTS.items():
            bundle.writestr(name, nbformat.writes(make_submission(release, ASSIGNMENT, case)))


def class_list(course: pathlib.Path) -> None:
    """Section 5: the class list, with a student (dan) who handed nothing in."""
    rows = ["id,last_name,first_name,email"] + [f"{s},,," for s in [*EXPECTED, "dan"]]
    (course / "students.csv").write_text("\n".join(rows) + "\n")


def new_exercise(course: pathlib.Path) -> None:
    """Section 6, step 1: a copy of an existing source notebook under a new id."""
    folder = course / "solutions" / NEW_ID
    folder.mkdir()
    shutil.copy(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", folder / f"{NEW_ID}.ipynb")


def new_cases(course: pathlib.Path) -> None:
    """Section 6, step 4: the new exercise's known-wrong submissions (three of ex01's)."""
    (course / "tests" / "grading_cases" / f"{NEW_ID}.py").write_text(
        '"""Three known-wrong submissions of the copied exercise (see ex01_counting_steps.py)."""\n'
        "import pathlib\nimport runpy\n\n"
        f'_ALL = runpy.run_path(str(pathlib.Path(__file__).with_name("{ASSIGNMENT}.py")))["CASES"]\n'
        'CASES = {name: _ALL[name] for name in ("floor_instead_of_ceil", "seed004_formula", "remainder_only")}\n')


BEFORE = {"zip_collect": download_zip, "db student import": class_list,
          "generate_assignment <new_id>": new_exercise, "pytest tests/grading/test_grading_pipeline.py": new_cases}


# what the guide says comes out ----------------------------------------------------------------------


def check_generated(course, result):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        recorded = {a.name for a in gradebook.assignments}
    for assignment in (p.name for p in (course / "solutions").iterdir()):
        assert (course / "exercises" / assignment / f"{assignment}.ipynb").exists()
        assert assignment in recorded


def check_collected(course, result):
    for _, (student, _) in STUDENTS.items():
        assert (course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists(), result.stderr
    assert (course / "submitted" / "alice" / ASSIGNMENT / "timestamp.txt").read_text().startswith("2025-03-01 14:30:00")
    assert not (course / "submitted" / "bob" / ASSIGNMENT / "timestamp.txt").exists()


def check_autograded(course, result):
    got = scores(course, ASSIGNMENT, EXPECTED)
    assert {student: found["score"] for student, found in got.items()} == EXPECTED
    log = result.stdout + result.stderr
    assert "checksum" not in log, "no student edited a locked cell: nbgrader should not warn about one"
    assert "cannot be converted to a float" not in log
    again = run(course, "bash", f"nbgrader autograde {ASSIGNMENT} --student=alice")
    assert "Skipping existing assignment" in again.stdout + again.stderr  # what the guide says of no --force


def check_feedback_and_grades(course, result):
    for student in EXPECTED:
        html = (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        shown = sorted({path for path in MACHINE_PATHS if path in html})
        assert not shown, f"{student}'s feedback names machine paths: {shown}"
    carol = (course / "feedback" / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "is the last partial batch counted?" in carol
    with open(course / "grades.csv", newline="") as f:
        reader = csv.DictReader(f)
        rows = {row["student_id"]: row for row in reader if row["assignment"] == ASSIGNMENT}
    assert reader.fieldnames == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
                                 "email", "status", "raw_score", "late_submission_penalty", "score", "max_score"]
    assert {s: float(rows[s]["score"]) for s in EXPECTED} == EXPECTED
    assert {s: rows[s]["status"] for s in rows} == {**{s: "submitted" for s in EXPECTED}, "dan": "no submission"}
    assert rows["dan"]["score"] == rows["dan"]["raw_score"] == ""  # not 0.0, as bob's blank notebook
    assert rows["bob"]["score"] == "0.0"
    assert rows["alice"]["timestamp"] == "2025-03-01 14:30:00" and rows["bob"]["timestamp"] == ""


def check_class_report(course, result):
    """The report after autograde: carol's floor bug among the failures, dan (class list only) did not submit."""
    out = result.stdout
    assert f"{ASSIGNMENT}: 3 of 4 students in the gradebook submitted" in out, out
    assert "did not submit (1): dan" in out, out
    tests = out.split("graded tests")[1].split("most common failure messages")[0].splitlines()[1:]
    assert tests and all(re.search(r"\d/3\s+\d+%", line) for line in tests), out
    assert re.search(r"^\s+\d+\s+AssertionError: expected \d+ steps", out, re.M), out
    assert (course / "exports" / f"{ASSIGNMENT}-report.html").is_file()


def check_gradebook_snippet(course, result):
    assert result.stdout.strip() == "7.0"


def check_new_release(course, result):
    assert (course / "exercises" / NEW_ID / f"{NEW_ID}.ipynb").exists()


def check_new_exercise_tests(course, result):
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) >= 5, result.stdout[-2000:]
    assert " failed" not in result.stdout and " error" not in result.stdout


def check_sandbox_demo(course, result):
    for what in ("connect", "read .*gradebook.db", "read .*solutions", "read .*submitted",
                 "write into the course's python environment"):
        assert re.search(rf"^refused\s+{what}", result.stdout, re.M), (what, result.stdout)
    assert "ALLOWED  connect" not in result.stdout


AFTER = {"generate_assignment \"*\"": check_generated, "zip_collect": check_collected,
         "autograde": check_autograded, "export": check_feedback_and_grades, "course_utils.grading.trusted.report": check_class_report,
         "Gradebook(": check_gradebook_snippet,
         "generate_assignment <new_id>": check_new_release, "pytest": check_new_exercise_tests,
         "course_utils.grading.trusted.sandbox": check_sandbox_demo}


def first_key(table: dict, code: str):
    return next((value for key, value in table.items() if key in code), None)


# the tests ------------------------------------------------------------------------------------------


def test_the_guides_mark_their_commands():
    instructor = [code for _, code in blocks(GUIDE, "instructor")]
    for key in [*BEFORE, *AFTER]:
        assert sum(key in code for code in instructor) == 1, f"one marked block of the guide should hold {key!r}"
    assert [code for _, code in blocks(STUDENT_GUIDE, "student")] == [
        f"nbgrader validate exercises/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"]
    assert not re.search(r"^\s*nbgrader formgrader", GUIDE.read_text(), re.M)  # no such command in nbgrader 0.9


def test_the_instructor_guide_runs_as_written(tmp_path):
    require_sandbox()
    course = course_copy(tmp_path / "course")
    checked = []
    for lang, code in blocks(GUIDE, "instructor"):
        before, after = first_key(BEFORE, code), first_key(AFTER, code)
        if before:
            before(course)
        result = run(course, lang, code)
        if after:
            after(course, result)
            checked.append(after.__name__)
    assert len(checked) == len(AFTER), checked


def test_the_student_guide_runs_as_written(tmp_path):
    course = course_copy(tmp_path / "course")
    release = course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nbformat.write(make_submission(read(release), ASSIGNMENT, {}), str(release))  # the student's answers
    [(lang, code)] = blocks(STUDENT_GUIDE, "student")
    result = run(course, lang, code)
    assert result.stdout.splitlines()[-1] == "Success! Your notebook passes all the tests.", result.stdout
    assert "cannot be converted to a float" not in result.stderr


def test_passing_test_cells_print_nothing_at_validate(tmp_path):
    """A correct ex02 validates with no output from its test cells (nbgrader warned about a printed ValueError)."""
    course = course_copy(tmp_path / "course")
    assignment = "ex02_minibatches"
    path = course / f"{assignment}.ipynb"
    nbformat.write(make_submission(read(course / "exercises" / assignment / f"{assignment}.ipynb"), assignment, {}),
                   str(path))
    result = run(course, "bash", f"nbgrader validate {path.name}")
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout
    assert "cannot be converted to a float" not in result.stderr, result.stderr[-2000:]


def test_grade_exports_and_downloads_are_ignored_by_git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    paths = ["grades.csv", "exports/grades.csv", "downloaded/ex01_counting_steps/archive/class.zip", "gradebook.db",
             "submitted/alice/ex01_counting_steps/ex01_counting_steps.ipynb", "feedback/alice/x.html"]
    result = subprocess.run(["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True)
    assert sorted(result.stdout.split()) == sorted(paths)
