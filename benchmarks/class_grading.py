"""Grading a generated class: serial ``nbgrader autograde`` against the parallel command, with every score checked.

Run from the repository root:

    .venv/bin/python benchmarks/class_grading.py                      # 20 students x ex01-ex03, 1 and 2 workers
    .venv/bin/python benchmarks/class_grading.py --students 200 --assignments ex01_counting_steps ex02_minibatches \\
        ex03_update_loops ex05_loss_curves ex04_keras_fit

In a temporary course it hands in, for every student and assignment, one of a
mix of submissions with a known score: correct, blank, and each honest mistake
of tests/grading_cases (cases that hang until a time limit are left out). It
then grades the class three times from the same start: serially with one
``nbgrader autograde ASSIGNMENT`` per assignment (the course's trusted
configuration), and with ``python -m course_utils.grading.autograde`` at each
``--workers`` count. Rows: wall time, submissions per minute, seconds per
submission, peak memory (all processes together) and whether every score is
the known one. ``measure()`` returns them for benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
DEFAULT_ASSIGNMENTS = ("ex01_counting_steps", "ex02_minibatches", "ex03_update_loops")
SLOW = ("infinite", "loop", "sleep", "hang", "timeout")


def _cases(assignment: str) -> dict[str, dict]:
    """Known submissions of ``assignment``: correct, blank and the grading cases that do not hang."""
    from grading_harness import graded_cells, read

    full = sum(graded_cells(read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")).values())
    cases = {"correct": {"score": full}, "blank": {"blank": True, "score": 0}}
    path = ROOT / "tests" / "grading_cases" / f"{assignment}.py"
    if path.exists():
        spec = importlib.util.spec_from_file_location(f"cases_{assignment}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, case in module.CASES.items():
            if "score" in case and not any(word in name for word in SLOW) and not case.get("needs"):
                cases[name] = {**case, "score": full if case["score"] is None else case["score"]}  # None: full marks
    return cases


def build_class(course: pathlib.Path, students: int, assignments) -> dict[tuple[str, str], float]:
    """A course in ``course`` with every assignment generated and handed in; the expected scores."""
    from grading_harness import make_submission, nbgrader_ok, read

    shutil.copytree(ROOT / "solutions", course / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    expected = {}
    for assignment in assignments:
        nbgrader_ok(course, "generate_assignment", assignment, "--force")
        release = read(course / "exercises" / assignment / f"{assignment}.ipynb")
        cases = list(_cases(assignment).items())
        for number in range(students):
            student = f"s{number:04d}"
            name, case = cases[number % len(cases)]
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(make_submission(release, assignment, case), str(folder / f"{assignment}.ipynb"))
            expected[student, assignment] = float(case["score"])
    return expected


def _peak(process: subprocess.Popen, peak: list) -> None:
    import psutil

    root = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.1)


def _run(command: list[str], course: pathlib.Path) -> tuple[float, int, str]:
    env = dict(os.environ, PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    peak = [0]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watcher = threading.Thread(target=_peak, args=(process, peak))
    watcher.start()
    log, _ = process.communicate()
    watcher.join()
    return time.perf_counter() - start, peak[0], log


def _check(course: pathlib.Path, expected: dict) -> int:
    """How many submissions got a score other than the known one (or none)."""
    from grading_harness import COURSE_ID
    from nbgrader.api import Gradebook, MissingEntry

    wrong = 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        for (student, assignment), score in expected.items():
            try:
                got = gradebook.find_submission(assignment, student).score
            except MissingEntry:
                got = None
            wrong += got != score
    return wrong


def measure(students: int = 20, assignments=DEFAULT_ASSIGNMENTS, workers=(1, 2)) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="class-grading-") as tmp:
        base = pathlib.Path(tmp) / "base"
        expected = build_class(base, students, assignments)
        modes = [("serial nbgrader autograde", None)] + [(f"parallel, {n} workers", n) for n in workers]
        for label, n in modes:
            course = pathlib.Path(tmp) / f"run-{n or 0}"
            shutil.copytree(base, course)
            seconds, peak, failed_logs, each = 0.0, 0, [], {}
            for assignment in assignments:
                if n is None:
                    command = [sys.executable, "-m", "nbgrader", "autograde", assignment]
                else:
                    command = [sys.executable, "-m", "course_utils.grading.autograde", assignment, "--workers", str(n)]
                took, used, log = _run(command, course)
                seconds, peak = seconds + took, max(peak, used)
                each[assignment] = took / students
                if "ERROR" in log or "FAILED" in log:
                    failed_logs.append(log[-500:])
            count = len(expected)
            wrong = _check(course, expected)
            rows.append({"mode": label, "submissions": count, "seconds": seconds, "per_minute": count / seconds * 60,
                         "s_per_submission": seconds / count, "peak_MB": peak / 2**20, "scores_match": wrong == 0,
                         "wrong": wrong, "error": "\n".join(failed_logs)[:1000],
                         **{f"s/{a}": round(t, 2) for a, t in each.items()}})
            shutil.rmtree(course, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--assignments", nargs="+", default=list(DEFAULT_ASSIGNMENTS))
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    args = parser.parse_args()
    from run import _table

    rows = measure(args.students, args.assignments, args.workers)
    print(_table([{k: v for k, v in row.items() if not k.startswith("s/")} for row in rows]))
    print("\nseconds per submission, by assignment (each run's start-up included)")
    print(_table([{"mode": row["mode"], **{k[2:]: v for k, v in row.items() if k.startswith("s/")}} for row in rows]))
    for row in rows:
        if row["error"]:
            print(f"{row['mode']}: {row['error']}")


if __name__ == "__main__":
    main()
