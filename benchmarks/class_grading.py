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
configuration), and with ``python -m course_utils.grading.trusted.autograde`` at each
``--workers`` count (with ``--cold`` also with every kernel started on demand,
no warm kernels: how the workers scale alone). Rows: wall time, submissions per
minute, seconds per submission, the speed-up over one worker, peak memory (all
processes together), whether every score is the known one and whether every
score equals serial nbgrader's. ``--no-serial`` skips the serial run (for a
large class: each score is still checked against its known score, which the
grading tests establish with serial nbgrader). ``measure()`` returns the rows
for benchmarks/run.py.
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
from memory import watch_peak_rss  # noqa: E402
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


CASE_NAMES: dict[tuple[str, str], str] = {}
"""The known submission each (student, assignment) handed in, for the report of a wrong score."""


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
            CASE_NAMES[student, assignment] = name
    return expected


def _run(command: list[str], course: pathlib.Path) -> tuple[float, int, str]:
    env = dict(os.environ, PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    peak = [0]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watcher = threading.Thread(target=watch_peak_rss, args=(process, peak))
    watcher.start()
    log, _ = process.communicate()
    watcher.join()
    return time.perf_counter() - start, peak[0], log


def _scores(course: pathlib.Path, expected: dict) -> dict:
    """Every submission's score in the gradebook (None where it has none)."""
    from grading_harness import COURSE_ID
    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        for student, assignment in expected:
            try:
                found[student, assignment] = gradebook.find_submission(assignment, student).score
            except MissingEntry:
                found[student, assignment] = None
    return found


COLD = "--SandboxedExecute.warm_kernels=0"
"""nbgrader's option that starts every kernel when its submission does (no warm kernels)."""


def modes(workers, serial: bool = True, cold: bool = False) -> list[tuple[str, int | None, list[str]]]:
    """(label, workers or None for serial nbgrader, extra options) of each way the class is graded."""
    found = [("serial nbgrader autograde", None, [])] if serial else []
    found += [(f"parallel, {n} workers", n, []) for n in workers]
    if cold:
        found += [(f"parallel, {n} workers, kernels started on demand", n, [COLD]) for n in workers]
    return found


def measure(students: int = 20, assignments=DEFAULT_ASSIGNMENTS, workers=(1, 2), serial: bool = True,
            cold: bool = False) -> list[dict]:
    rows, serial_scores = [], None
    with tempfile.TemporaryDirectory(prefix="class-grading-") as tmp:
        base = pathlib.Path(tmp) / "base"
        expected = build_class(base, students, assignments)
        for number, (label, n, extra) in enumerate(modes(workers, serial, cold)):
            course = pathlib.Path(tmp) / f"run-{number}"
            shutil.copytree(base, course)
            seconds, peak, failed_logs, each = 0.0, 0, [], {}
            for assignment in assignments:
                if n is None:
                    command = [sys.executable, "-m", "nbgrader", "autograde", assignment, *extra]
                else:
                    command = [sys.executable, "-m", "course_utils.grading.trusted.autograde", assignment, "--workers", str(n),
                               *extra]
                print(f"{label}: {assignment} ...", file=sys.stderr, flush=True)
                took, used, log = _run(command, course)
                print(f"{label}: {assignment} {took:.0f} s", file=sys.stderr, flush=True)
                seconds, peak = seconds + took, max(peak, used)
                each[assignment] = took / students
                if "ERROR" in log or "FAILED" in log:
                    failed_logs.append(log[-500:])
            count, got = len(expected), _scores(course, expected)
            mismatches = [f"{student}/{assignment} ({CASE_NAMES[student, assignment]}): expected {score}, got "
                          f"{got[student, assignment]}" for (student, assignment), score in expected.items()
                          if got[student, assignment] != score]
            wrong = len(mismatches)
            serial_scores = serial_scores if n is not None else got
            one_worker = next((r["seconds"] for r in rows if r["workers"] == 1 and r["extra"] == extra), None)
            rows.append({"mode": label, "workers": n, "extra": extra, "submissions": count, "seconds": seconds,
                         "per_minute": count / seconds * 60, "s_per_submission": seconds / count,
                         "speedup_vs_1_worker": one_worker / seconds if one_worker and n else None,
                         "peak_MB": peak / 2**20, "scores_match": wrong == 0, "wrong": wrong,
                         "same_as_serial": got == serial_scores if serial_scores is not None else None,
                         "mismatches": mismatches, "error": "\n".join(failed_logs + mismatches)[:3000], **{f"s/{a}": round(t, 2) for a, t in each.items()}})
            shutil.rmtree(course, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--assignments", nargs="+", default=list(DEFAULT_ASSIGNMENTS),
                        help="the assignments to grade, or 'all'")
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--no-serial", action="store_true", help="skip serial nbgrader (scores are still checked "
                        "against each submission's known score)")
    parser.add_argument("--cold", action="store_true", help="also grade in parallel with every kernel started on "
                        "demand (no warm kernels): how the workers scale alone")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    from tables import markdown_table

    if args.assignments == ["all"]:
        args.assignments = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and p.name[0] != ".")
    rows = measure(args.students, args.assignments, args.workers, serial=not args.no_serial, cold=args.cold)
    if args.json:
        import json

        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1))
    print(markdown_table([{k: v for k, v in row.items() if not k.startswith("s/") and k not in ("workers", "extra", "mismatches")}
                  for row in rows]))
    print("\nseconds per submission, by assignment (each run's start-up included)")
    print(markdown_table([{"mode": row["mode"], **{k[2:]: v for k, v in row.items() if k.startswith("s/")}} for row in rows]))
    for row in rows:
        if row["error"]:
            print(f"{row['mode']}: {row['error']}")


if __name__ == "__main__":
    main()
