"""nbgrader, run as an instructor would, in a temporary course directory: shared by the grading tests.

Also the rule for tests that need the grading sandbox: without bubblewrap they
skip on a laptop (with the install script to run) and fail under ``CI=true``.
"""

from __future__ import annotations

import copy
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_utils.grading.trusted.sandbox import Sandbox
from notebook_reading import read  # noqa: F401  (the grading tests and benchmarks import it from here)

ROOT = pathlib.Path(__file__).resolve().parents[1]
COURSE_ID = "batches-epochs-steps"
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))
BLOCK = re.compile(r"^(?P<indent>[ ]*)```(?P<lang>\w+) (?P<who>[\w-]+)[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.M | re.S)
MARKERS = re.compile(r"^\s*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")


def skip_or_fail(reason: str | None, what: str) -> None:
    """With a ``reason``, skip on a laptop and fail under ``CI=true`` (CI must exercise ``what``)."""
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must exercise {what}: {reason}")
    pytest.skip(reason)


def require_sandbox() -> None:
    """Skip (or, under CI=true, fail) when the grading sandbox cannot run here."""
    skip_or_fail(Sandbox().available(), "the grading sandbox")


def postgres_bin() -> pathlib.Path | None:
    """The folder of PostgreSQL's server programs (Debian keeps initdb off PATH), or None."""
    found = shutil.which("initdb")
    if found:
        return pathlib.Path(found).resolve().parent
    candidates = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


def require_postgres() -> None:
    """Skip (or, under CI=true, fail) when a throw-away PostgreSQL server cannot be started here."""
    reason = None
    if postgres_bin() is None:
        reason = "PostgreSQL (initdb) is not installed: run `bash .ci/install_system_packages.sh`"
    else:
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            reason = "psycopg2 is not installed: `pip install -e .[test]`"
    if reason is None and os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            reason = "no postgres user (Debian's postgresql package creates it): run `bash .ci/install_system_packages.sh`"
    skip_or_fail(reason, "PostgreSQL")


def course_metadata(assignment: str) -> dict:
    """What the tests and benchmarks need to know of an assignment, kept in its source notebook."""
    return read(ROOT / "solutions" / assignment / f"{assignment}.ipynb").metadata.get("course", {})


def cell_timeout(assignment: str) -> int:
    return int(course_metadata(assignment).get("cell_timeout", 120))


def nbgrader(course: pathlib.Path, *args: str, cwd: pathlib.Path | None = None,
             timeout: int = 1800) -> subprocess.CompletedProcess:
    """Run ``nbgrader *args`` for the course in ``course`` (its own gradebook), with the venv on PATH."""
    bin_dir = pathlib.Path(sys.executable).parent  # nbgrader calls `alembic` from PATH
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    course_args = [f"--CourseDirectory.root={course}", f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"]
    command = [sys.executable, "-m", "nbgrader", *args, *(course_args if cwd is None else [])]
    return subprocess.run(command, cwd=cwd or course, env=env, capture_output=True, text=True, timeout=timeout)


MEASURED = (  # VmHWM, not ru_maxrss: getrusage keeps the peak of the forked test process across exec
    "import atexit, re, sys\n"
    "peak = lambda: int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024\n"
    "atexit.register(lambda: print('GRADER_PEAK_MB', peak(), file=sys.stderr))\n"
    "from nbgrader.apps.nbgraderapp import main\nsys.argv[0] = 'nbgrader'\nsys.exit(main())\n")


def nbgrader_measured(course: pathlib.Path, *args: str, timeout: int = 1800) -> tuple[subprocess.CompletedProcess, int]:
    """``nbgrader *args`` for the course, and the grading process's own peak memory in MB (not its kernels')."""
    bin_dir = pathlib.Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    course_args = [f"--CourseDirectory.root={course}", f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"]
    result = subprocess.run([sys.executable, "-c", MEASURED, *args, *course_args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    peak = re.search(r"GRADER_PEAK_MB (\d+)", result.stderr)
    return result, int(peak.group(1)) if peak else -1


def nbgrader_ok(course: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    result = nbgrader(course, *args)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


def new_course(path: pathlib.Path, assignments=("*",)) -> pathlib.Path:
    """A course directory holding a copy of solutions/ and nbgrader_config.py, with assignments generated."""
    shutil.copytree(ROOT / "solutions", path / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(ROOT / "nbgrader_config.py", path)
    for assignment in assignments:
        nbgrader_ok(path, "generate_assignment", assignment, "--force")
    return path


def new_unguarded_course(path: pathlib.Path, assignment: str) -> pathlib.Path:
    """A course with ``assignment`` generated and PolicyCheck switched off: only the sandbox stands in the way."""
    course = new_course(path, assignments=[assignment])
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + (
        "\n# test: the sandbox alone\n"
        "c.Autograde.sanitize_preprocessors = [p for p in c.Autograde.sanitize_preprocessors "
        "if p is not PolicyCheck]\n"))
    return course


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if not MARKERS.match(line))


def solution_code(assignment: str) -> dict[str, str]:
    """The instructor's code for each solution cell, markers removed: what a correct student writes."""
    nb = read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    return {grade_id(c): strip_markers(c.source) for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def make_submission(release, assignment: str, case: dict):
    """The release notebook as a student would hand it in for ``case``.

    ``edit`` replaces text inside a cell, ``replace`` gives it a new source, ``append`` adds code at
    its end, ``delete`` removes cells, ``add`` appends new (untagged) code cells at the end.
    """
    nb = copy.deepcopy(release)
    answers = {} if case.get("blank") else solution_code(assignment)
    for cell in nb.cells:
        source = answers.get(grade_id(cell), cell.source)
        for old, new in case.get("edit", {}).get(grade_id(cell), []):
            assert old in source, f"case edit {old!r} not found in cell {grade_id(cell)}: update the case"
            source = source.replace(old, new)
        source = case.get("replace", {}).get(grade_id(cell), source)
        cell.source = source + case.get("append", {}).get(grade_id(cell), "")
    named = {grade_id(c) for c in nb.cells}
    for key in ("edit", "replace", "append", "delete"):
        missing = set(case.get(key, [])) - named
        assert not missing, f"case names cells that are not in the notebook: {missing}"
    nb.cells = [c for c in nb.cells if grade_id(c) not in case.get("delete", [])]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in case.get("add", [])]
    return nb


def hand_in(course: pathlib.Path, assignment: str, cases: dict) -> None:
    """One submission per case under submitted/, the case name as the student id."""
    release = read(course / "exercises" / assignment / f"{assignment}.ipynb")
    for student, case in cases.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_submission(release, assignment, case), str(folder / f"{assignment}.ipynb"))


def graded_cells(nb) -> dict[str, float]:
    meta = (c.metadata.get("nbgrader", {}) for c in nb.cells)
    return {m["grade_id"]: float(m["points"]) for m in meta if m.get("grade")}


def scores(course: pathlib.Path, assignment: str, students) -> dict[str, dict]:
    """Total and per-cell scores of each student, from the gradebook."""
    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        for student in students:
            notebook = gradebook.find_submission_notebook(assignment, assignment, student)
            found[student] = {"score": notebook.score, "cells": {g.name: g.score for g in notebook.grades}}
    return found


def autograde(course: pathlib.Path, assignment: str, cases: dict, *extra: str) -> dict[str, dict]:
    """Hand in one submission per case, autograde them in one ``nbgrader autograde`` run, return the scores."""
    hand_in(course, assignment, cases)
    nbgrader_ok(course, "autograde", assignment, "--force",
                f"--ExecutePreprocessor.timeout={cell_timeout(assignment)}", *extra)
    return scores(course, assignment, cases)


def autograde_in_parallel(course: pathlib.Path, assignment: str, cases: dict, *extra: str) -> dict[str, dict]:
    """As :func:`autograde`, with the course's parallel runner (a worker per core, warm kernels): the fast path."""
    hand_in(course, assignment, cases)
    bin_dir = pathlib.Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    course_args = [f"--CourseDirectory.root={course}", f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"]
    result = subprocess.run([sys.executable, "-m", "course_utils.grading.trusted.autograde", assignment, "--force",
                             *course_args, *extra], cwd=course, env=env, capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, f"autograde {assignment} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return scores(course, assignment, cases)


def blocks(path: pathlib.Path, who: str) -> list[tuple[str, str]]:
    """``(language, code)`` of each block of ``path`` tagged ``who``, in order, indentation removed."""
    found = []
    for match in BLOCK.finditer(path.read_text()):
        if match["who"] == who:
            indent = len(match["indent"])
            found.append((match["lang"], "\n".join(line[indent:] for line in match["body"].splitlines())))
    return found


def course_copy(path: pathlib.Path) -> pathlib.Path:
    """What a fresh clone holds that the guides' commands use, in ``path``."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, path / folder, ignore=ignore)
    (path / "tests" / "grading").mkdir(parents=True)
    for name in ("conftest.py", "grading_harness.py", "notebook_reading.py", "grading/test_grading_pipeline.py"):
        shutil.copy(ROOT / "tests" / name, path / "tests" / name)
    shutil.copytree(ROOT / "tests" / "grading_cases", path / "tests" / "grading_cases", ignore=ignore)
    for name in ("nbgrader_config.py", "pyproject.toml"):
        shutil.copy(ROOT / name, path)
    return path


def in_order(text: str, *pieces: str) -> None:
    """Fail unless every piece occurs in ``text``, each after the one before (what a reader sees, in order)."""
    at = 0
    for piece in pieces:
        found = text.find(piece, at)
        assert found >= 0, f"{piece!r} missing (or out of order) after position {at} in:\n{text}"
        at = found + len(piece)
