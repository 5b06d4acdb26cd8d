"""The instructor's class report (course_utils/grading/trusted/report.py) on a small generated class.

The class is written directly: a gradebook made with nbgrader's API (an assignment,
its graded cells, five students, three submissions with autograder scores) and the
autograded notebooks with the error outputs a failed test leaves. Nothing is
autograded here: the report reads only the gradebook and those outputs.
"""

from __future__ import annotations

import base64
import io
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_utils.grading.trusted import report

ROOT = pathlib.Path(__file__).resolve().parents[2]
COURSE = "report-test-course"
ASSIGNMENT = "exA"
TESTS = {"test_a": 2.0, "test_b": 1.0, "test_c": 3.0}  # autograded test cells and their points
PARTIAL = "AssertionError: expected 3 steps for n_samples=7, batch_size=3, got 2:"
ERRORS = {  # student -> {failed test: its error output (ename, evalue)}; a test not named passed
    "alice": {},
    "bob": {"test_b": ("AssertionError", "expected 3 steps for n_samples=7, batch_size=3, got 2:\n"
                                         "is the last partial batch counted?"),
            "test_c": ("NameError", "name 'minibatches' is not defined")},
    "carol": {"test_a": ("NotImplementedError", ""),
              "test_b": ("AssertionError", "\x1b[0;31mexpected 3 steps for n_samples=7, batch_size=3, got 2:\n"
                                           "<script>alert(1)</script>")},
}
NOT_SUBMITTED = ["dave", "erin"]


def _cell(grade_id: str, points: float, error=None):
    cell = nbformat.v4.new_code_cell(f'"""{grade_id}"""\nassert True')
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                                 "solution": False, "schema_version": 3}
    if error:
        ename, evalue = error
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="trying...\n"),
                        nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                               traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])]
    return cell


@pytest.fixture(scope="module")
def generated_class(tmp_path_factory) -> pathlib.Path:
    import os
    import sys

    bin_dir = str(pathlib.Path(sys.executable).parent)  # nbgrader runs `alembic` by name to make a gradebook
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    """gradebook.db and autograded/ notebooks of the class, made once for the module."""
    tmp_path = tmp_path_factory.mktemp("class")
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", COURSE) as gradebook:
        gradebook.add_assignment(ASSIGNMENT)
        gradebook.add_notebook(ASSIGNMENT, ASSIGNMENT)
        for name, points in TESTS.items():
            gradebook.add_grade_cell(name, ASSIGNMENT, ASSIGNMENT, max_score=points, cell_type="code")
        gradebook.add_grade_cell("written", ASSIGNMENT, ASSIGNMENT, max_score=4, cell_type="markdown")  # not a test
        gradebook.add_assignment("exB")
        for student in [*ERRORS, *NOT_SUBMITTED]:
            gradebook.add_student(student)
        for student, errors in ERRORS.items():
            gradebook.add_submission(ASSIGNMENT, student)
            for name, points in TESTS.items():
                grade = gradebook.find_grade(name, ASSIGNMENT, ASSIGNMENT, student)
                grade.auto_score = 0.0 if name in errors else points
                grade.needs_manual_grade = False
            gradebook.db.commit()
            notebook = nbformat.v4.new_notebook(cells=[_cell(n, p, errors.get(n)) for n, p in TESTS.items()])
            folder = tmp_path / "autograded" / student / ASSIGNMENT
            folder.mkdir(parents=True)
            nbformat.write(notebook, str(folder / f"{ASSIGNMENT}.ipynb"))
    return tmp_path


@pytest.fixture
def course(generated_class, tmp_path, monkeypatch) -> pathlib.Path:
    """A course folder with its nbgrader_config.py, gradebook.db and autograded/ notebooks; the working directory."""
    root = tmp_path / "course"
    shutil.copytree(generated_class, root)
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = {COURSE!r}\nc.CourseDirectory.root = {str(root)!r}\n")
    monkeypatch.chdir(root)
    return root


def _summary(capsys, argv) -> tuple[int, str, str]:
    code = report.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_summary_counts_pass_rates_failures_and_missing_students(course, capsys):
    code, out, err = _summary(capsys, [ASSIGNMENT])
    assert code == 0, err
    assert f"{ASSIGNMENT}: 3 of 5 students in the gradebook submitted" in out
    assert "mean 3.67, median 3, min 2, max 6" in out  # alice 6, bob 2 (test_a only), carol 3 (test_c only)
    assert re.search(r"^\s+2\s+1 student\(s\)", out, re.M) and re.search(r"^\s+6\s+1 student\(s\)", out, re.M)
    assert re.search(r"^\s+test_a\s+2/3\s+67%\s+\(2 points\)$", out, re.M), out
    assert re.search(r"^\s+test_b\s+1/3\s+33%\s+\(1 points\)$", out, re.M), out
    assert re.search(r"^\s+test_c\s+2/3\s+67%\s+\(3 points\)$", out, re.M), out
    assert "written" not in out  # a manually graded markdown cell is not a test
    failures = out.split("most common failure messages")[1]
    assert re.search(rf"^\s+2\s+{re.escape(PARTIAL)}\s+\[test_b\]$", failures, re.M), out  # ANSI colour removed
    assert re.search(r"^\s+1\s+NameError: name 'minibatches' is not defined\s+\[test_c\]$", failures, re.M), out
    assert re.search(r"^\s+1\s+NotImplementedError\s+\[test_a\]$", failures, re.M), out
    assert "is the last partial batch counted" not in out and "trying" not in out  # first line of errors only
    assert "did not submit (2): dave, erin" in out
    assert (course / "exports" / f"{ASSIGNMENT}-report.html").is_file()
    assert f"report: exports/{ASSIGNMENT}-report.html" in out


def test_the_html_page_holds_the_same_figures_and_escapes_messages(course, capsys):
    code, _, err = _summary(capsys, [ASSIGNMENT, "--html", "page.html"])
    assert code == 0, err
    page = (course / "page.html").read_text(encoding="utf-8")
    assert "3 of 5 students in the gradebook submitted" in page
    assert "<td>test_a</td><td>exA</td><td>2</td><td>2/3</td><td>67%</td>" in page
    assert "<td>test_b</td><td>exA</td><td>1</td><td>1/3</td><td>33%</td>" in page
    assert "<td>test_c</td><td>exA</td><td>3</td><td>2/3</td><td>67%</td>" in page
    assert "<td>2</td><td>AssertionError: expected 3 steps for n_samples=7, batch_size=3, got 2:</td>" in page
    assert "<td>1</td><td>NameError: name &#x27;minibatches&#x27; is not defined</td><td>test_c</td>" in page
    assert '<ul id="missing"><li>dave</li><li>erin</li></ul>' in page
    assert "<script>" not in page and "\x1b" not in page
    # Self-contained: the plot is inline, nothing is loaded from elsewhere.
    images = re.findall(r'<img[^>]*src="([^"]+)"', page)
    assert len(images) == 1 and images[0].startswith("data:image/png;base64,")
    png = base64.b64decode(images[0].split(",", 1)[1])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    import matplotlib.image

    assert matplotlib.image.imread(io.BytesIO(png)).shape[:2] == (320, 600)
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_the_histogram_counts_students_per_score_on_labelled_axes(course):
    figure = report.histogram(report.make_report(ASSIGNMENT))
    axes = figure.axes[0]
    # 10 points: the three tests' 6 and the manually graded cell's 4 (not graded here, so 0)
    assert axes.get_xlabel() == "score (points out of 10)" and axes.get_ylabel() == "students"
    heights = {round(bar.get_x() + bar.get_width() / 2): bar.get_height() for bar in axes.patches}
    assert heights == {score: (1 if score in (2, 3, 6) else 0) for score in range(11)}


def test_an_unknown_assignment_is_named_with_the_known_ones(course, capsys):
    code, out, err = _summary(capsys, ["ex99"])
    assert code == 2 and out == ""
    assert "assignment 'ex99' is not in the gradebook sqlite:///" in err and "(it has: exA, exB)" in err
    assert "nbgrader generate_assignment ex99" in err


def test_no_gradebook_is_an_error_and_creates_none(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = _summary(capsys, [ASSIGNMENT, f"--CourseDirectory.root={tmp_path}"])
    assert code == 2 and out == ""
    assert f"no gradebook at '{tmp_path / 'gradebook.db'}'" in err and "--CourseDirectory.db_url" in err
    assert not (tmp_path / "gradebook.db").exists()
    assert not (tmp_path / "exports").exists()


def test_an_unknown_option_is_refused(course, capsys):
    with pytest.raises(SystemExit) as stop:
        report.main([ASSIGNMENT, "--verbose"])
    assert stop.value.code == 2
    assert "unrecognised arguments: --verbose (nbgrader options are --Class.trait=value)" in capsys.readouterr().err


def test_the_command_runs_as_the_guide_writes_it(course):
    """``python -m course_utils.grading.trusted.report exA`` from the course root, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "course_utils.grading.trusted.report", ASSIGNMENT], cwd=course, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "did not submit (2): dave, erin" in done.stdout
    assert (course / "exports" / f"{ASSIGNMENT}-report.html").is_file()


@pytest.mark.parametrize("ename, evalue, expected", [
    ("AssertionError", "expected 0.0707 rate at step 50 (0.1, 0.5 per 100 steps) (largest\ndifference 0.0293), got 0.1:\n"
     "initial_learning_rate * decay_rate ** p",
     "AssertionError: expected 0.0707 rate at step 50 (0.1, 0.5 per 100 steps) (largest difference 0.0293), got 0.1:"),
    ("AssertionError", "f(<Call object at\n0x7f556daa1850>, 5) raised NotImplementedError:", "AssertionError: f(<Call object "
     "at 0x… >, 5) raised NotImplementedError:".replace("0x… >", "0x…>")),
    ("NameError", "name 'minibatches' is not defined\nsecond line", "NameError: name 'minibatches' is not defined"),
    ("NotImplementedError", "", "NotImplementedError"),
    ("", "", "(an error with no message)"),
    ("ValueError", "x" * 300, "ValueError: " + "x" * 239 + "…"),
])
def test_a_failure_message_is_the_errors_headline(ename, evalue, expected):
    assert report.headline({"output_type": "error", "ename": ename, "evalue": evalue}) == expected


def test_a_missing_autograded_notebook_is_named_and_the_rest_still_counted(course, capsys):
    (course / "autograded" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").unlink()
    code, out, err = _summary(capsys, [ASSIGNMENT])
    assert code == 0, err
    assert re.search(r"^\s+test_b\s+1/3\s+33%", out, re.M), out  # pass rates come from the gradebook
    failures = out.split("most common failure messages")[1]
    assert re.search(r"^\s+1\s+AssertionError: expected 3 steps", failures, re.M), out  # carol's only
    assert "NameError" not in out
    assert f"could not read {course / 'autograded' / 'bob' / ASSIGNMENT / ASSIGNMENT}.ipynb: FileNotFoundError" in out
