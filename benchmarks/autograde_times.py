"""How long nbgrader takes to autograde one submission of each assignment.

Run from the repository root:  .venv/bin/python benchmarks/autograde_times.py

In a temporary course directory (nothing is written into the repository) it
generates every assignment from solutions/, hands in one correct submission
per assignment (the release notebook with the solution code filled in),
autogrades it with nbgrader's Python API and prints one row per assignment:
seconds to autograde (sanitize, run every cell in a fresh kernel, store the
grades) and the score. Interpreter start-up is not counted: it is paid once
per ``nbgrader autograde`` run, however many students it grades. ``measure()``
returns the rows for benchmarks/run.py.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import sys
import tempfile
import time
import warnings

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["ex01_counting_steps", "ex02_minibatches", "ex03_update_loops", "ex04_loss_curves", "ex05_keras_fit"]
NUMPY_ONLY = {"ex01_counting_steps", "ex02_minibatches", "ex03_update_loops"}
GOAL_SECONDS = 5.0  # for the NumPy-only assignments
MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
STUDENT = "benchmark"


def _api(course: pathlib.Path):
    """An NbGraderAPI for the course in ``course``, configured by the repository's nbgrader_config.py."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    return NbGraderAPI(CourseDirectory(config=config), config=config), config


def _hand_in(course: pathlib.Path, assignment: str) -> None:
    """Write a correct submission: the release notebook with the solution code in its solution cells."""
    solution = nbformat.read(str(ROOT / "solutions" / assignment / f"{assignment}.ipynb"), as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: "\n".join(l for l in c.source.splitlines() if not MARKERS.match(l))
        for c in solution.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    release = nbformat.read(str(course / "exercises" / assignment / f"{assignment}.ipynb"), as_version=4)
    for cell in release.cells:
        cell.source = answers.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source)
    folder = course / "submitted" / STUDENT / assignment
    folder.mkdir(parents=True)
    nbformat.write(release, str(folder / f"{assignment}.ipynb"))


def measure(assignments=ASSIGNMENTS) -> list[dict]:
    """Autograde one correct submission of each assignment; one dict per assignment.

    Keys: ``assignment``, ``seconds`` (wall time of the autograde), ``score``,
    ``max_score``, ``numpy_only`` and ``goal_seconds`` (None for the Keras ones).
    """
    from nbgrader.api import Gradebook

    warnings.filterwarnings("ignore", message=".*not in session.*")  # SQLAlchemy noise from nbgrader's API
    os.environ["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # alembic
    rows = []
    with tempfile.TemporaryDirectory(prefix="autograde-bench-") as tmp:
        course = pathlib.Path(tmp)
        shutil.copytree(ROOT / "solutions", course / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        api, config = _api(course)
        for assignment in assignments:
            result = api.generate_assignment(assignment, force=True)
            if not result["success"]:
                raise RuntimeError(f"generate_assignment {assignment} failed:\n{result['log']}")
            _hand_in(course, assignment)
            start = time.perf_counter()
            result = api.autograde(assignment, STUDENT, force=True)
            seconds = time.perf_counter() - start
            if not result["success"]:
                raise RuntimeError(f"autograde {assignment} failed:\n{result['log']}")
            with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gradebook:
                submission = gradebook.find_submission(assignment, STUDENT)
                score, max_score = submission.score, submission.max_score
            numpy_only = assignment in NUMPY_ONLY
            rows.append({
                "assignment": assignment,
                "seconds": round(seconds, 2),
                "score": score,
                "max_score": max_score,
                "numpy_only": numpy_only,
                "goal_seconds": GOAL_SECONDS if numpy_only else None,
            })
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    lines = ["| assignment | seconds to autograde one submission | score | goal |", "|---|---:|---:|---|"]
    for row in rows:
        goal = f"<= {row['goal_seconds']:g} s" if row["goal_seconds"] else "(Keras: none)"
        lines.append(f"| {row['assignment']} | {row['seconds']:.1f} | {row['score']:g}/{row['max_score']:g} | {goal} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure(sys.argv[1:] or ASSIGNMENTS)))
