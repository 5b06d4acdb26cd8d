"""How long nbgrader takes to autograde one submission of each assignment, and what trusted grading adds.

Run from the repository root:  .venv/bin/python benchmarks/autograde_times.py [--repeats N] [ASSIGNMENT ...]

In a temporary course directory (nothing is written into the repository) it
generates every assignment from solutions/, hands in one correct submission
per assignment (the release notebook with the solution code filled in),
autogrades it with nbgrader's Python API and prints one row per assignment:
seconds to autograde (sanitize, run every cell in a fresh kernel, store the
grades) and the score. Each submission is graded twice over: with nbgrader's
stock preprocessors ("stock": the kernel judges itself, no sandbox) and with the
course's configuration ("trusted": policy check, bubblewrap sandbox, test cells
run in the grading process asking the kernel); the median of ``--repeats`` runs
of each, and the difference, are reported, and the peak of the grading
process's Python heap while it grades (tracemalloc, one more run of each mode).
Interpreter start-up is not counted: it is paid once per ``nbgrader autograde``
run, however many students it grades. ``measure()`` returns the rows for
benchmarks/run.py. Wall times on a shared 2-core machine vary: read the
medians, not single runs.
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import re
import shutil
import sys
import tempfile
import time
import tracemalloc
import warnings

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))
GOAL_SECONDS = 5.0  # for the NumPy-only assignments
GOAL_OVERHEAD = 0.3  # seconds trusted grading may add to a NumPy-only submission
MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
STUDENT = "benchmark"


def needs_keras(assignment: str) -> bool:
    nb = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text())
    return bool(nb.get("metadata", {}).get("course", {}).get("needs_keras"))


def _stock(config) -> None:
    """nbgrader's own autograde steps: the kernel's outputs decide, no policy, no sandbox, no judge."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader import preprocessors as pp

    config.Autograde.sanitize_preprocessors = [pp.ClearOutput, pp.DeduplicateIds, pp.OverwriteKernelspec,
                                               pp.OverwriteCells, pp.CheckCellMetadata]
    config.Autograde.autograde_preprocessors = [pp.Execute, pp.IgnorePattern, ClearMetadataPreprocessor,
                                                pp.LimitOutput, pp.SaveAutoGrades, pp.AssignLatePenalties,
                                                pp.CheckCellMetadata]


def grading_api(course: pathlib.Path, trusted: bool = True):
    """An NbGraderAPI for the course in ``course``, configured by the repository's nbgrader_config.py."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    if not trusted:
        _stock(config)
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    return NbGraderAPI(CourseDirectory(config=config), config=config), config


def hand_in(course: pathlib.Path, assignment: str) -> None:
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


def _grade_once(api, config, assignment: str) -> tuple[float, float, float]:
    """Seconds to autograde the benchmark student's submission, its score and the maximum."""
    from nbgrader.api import Gradebook

    start = time.perf_counter()
    result = api.autograde(assignment, STUDENT, force=True)
    seconds = time.perf_counter() - start
    if not result["success"]:
        raise RuntimeError(f"autograde {assignment} failed:\n{result['log']}")
    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gradebook:
        submission = gradebook.find_submission(assignment, STUDENT)
        return seconds, submission.score, submission.max_score


def _heap_peak_mb(api, config, assignment: str) -> float:
    """Peak of the grading process's Python heap (MB) while it autogrades the submission once."""
    tracemalloc.start()
    try:
        _grade_once(api, config, assignment)
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def measure(assignments=ASSIGNMENTS, repeats: int = 3) -> list[dict]:
    """Autograde one correct submission of each assignment, stock and trusted; one dict per assignment.

    Keys: ``assignment``, ``seconds`` (median wall time, trusted), ``stock_seconds``,
    ``overhead`` (trusted minus stock), ``score``, ``stock_score``, ``max_score``,
    ``numpy_only`` and ``goal_seconds`` (None for the Keras ones).
    """
    warnings.filterwarnings("ignore", message=".*not in session.*")  # SQLAlchemy noise from nbgrader's API
    os.environ["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # alembic
    rows = []
    with tempfile.TemporaryDirectory(prefix="autograde-bench-") as tmp:
        course = pathlib.Path(tmp)
        shutil.copytree(ROOT / "solutions", course / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        apis = {mode: grading_api(course, trusted=mode == "trusted") for mode in ("stock", "trusted")}
        for assignment in assignments:
            result = apis["trusted"][0].generate_assignment(assignment, force=True)
            if not result["success"]:
                raise RuntimeError(f"generate_assignment {assignment} failed:\n{result['log']}")
            hand_in(course, assignment)
            runs = {mode: [_grade_once(*apis[mode], assignment) for _ in range(repeats)] for mode in apis}
            heap = {mode: _heap_peak_mb(*apis[mode], assignment) for mode in apis}
            seconds = {mode: statistics.median(r[0] for r in runs[mode]) for mode in runs}
            numpy_only = not needs_keras(assignment)
            rows.append({
                "assignment": assignment,
                "seconds": round(seconds["trusted"], 2),
                "stock_seconds": round(seconds["stock"], 2),
                "overhead": round(seconds["trusted"] - seconds["stock"], 2),
                "heap_mb": heap["trusted"],
                "stock_heap_mb": heap["stock"],
                "score": runs["trusted"][-1][1],
                "stock_score": runs["stock"][-1][1],
                "max_score": runs["trusted"][-1][2],
                "numpy_only": numpy_only,
                "goal_seconds": GOAL_SECONDS if numpy_only else None,
            })
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    lines = ["| assignment | stock nbgrader (s) | trusted: policy + sandbox + judge (s) | added (s) "
             "| grader heap, stock / trusted (MB) | score | goal |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        goal = (f"<= {row['goal_seconds']:g} s, added <= {GOAL_OVERHEAD:g} s" if row["goal_seconds"]
                else "(Keras: none)")
        lines.append(f"| {row['assignment']} | {row['stock_seconds']:.2f} | {row['seconds']:.2f} | "
                     f"{row['overhead']:+.2f} | {row['stock_heap_mb']:.1f} / {row['heap_mb']:.1f} | "
                     f"{row['score']:g}/{row['max_score']:g} | {goal} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=ASSIGNMENTS)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each mode; the median is reported")
    options = parser.parse_args()
    print(table(measure(options.assignments, options.repeats)))
