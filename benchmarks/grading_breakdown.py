"""Where grading one submission spends its time: kernel, cells, the tests' requests, the judge, nbgrader.

Run from the repository root:

    .venv/bin/python benchmarks/grading_breakdown.py [--repeats N] [ASSIGNMENT ...]

(default: ex01_counting_steps, a NumPy assignment, and every assignment whose
source notebook says ``needs_keras``). In a temporary course (nothing is written
into the repository) one correct submission of each assignment (the release with
the solution code filled in) is autograded with nbgrader's API and the course's
configuration (policy, sandbox, judge), in two ways:

- ``cold``: every kernel starts when its submission does (``warm_kernels = 0``);
- ``warm``: as a class is graded: the grading process keeps a kernel started ahead,
  with the assignment's libraries imported (``course_utils.grading.trusted.warm_kernels``).
  Submissions follow each other without a pause, so a spare not ready in time is
  waited for, and counted.

Columns, in seconds, medians of ``--repeats`` submissions graded one after another:

- ``total``: the whole ``autograde`` of the submission;
- ``kernel``: waiting for the kernel, from asking for it to its first answer;
- ``cells``: the student's and the given cells, in the kernel;
- ``requests``: the tests' requests, in the kernel (the student's functions called
  on the tests' inputs, and the plain data sent back), and ``n`` how many;
- ``judge``: the test cells' own work in the grading process (expected values,
  comparisons), ``tests`` minus ``requests``;
- ``stop``: the rest of the kernel's time: nbclient's own steps, stopping the kernel and
  removing its sandbox's folders;
- ``policy``, ``save``: the policy check, and storing the grades in the gradebook;
- ``nbgrader``: the rest of nbgrader's work: its other steps, the submission's files,
  reading and writing the notebooks, the gradebook's look-ups.

A last table times a kernel alone: its start in the sandbox (bubblewrap, Python,
ipykernel) and the import of the assignment's libraries: what warm kernels take
off each submission's path. Wall times on a shared 2-core machine vary: read the
medians, on an idle machine.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from autograde_times import ASSIGNMENTS, grading_api, hand_in, needs_keras  # noqa: E402

COLUMNS = ("total", "kernel", "cells", "requests", "n", "judge", "stop", "policy", "save", "nbgrader")
GOALS = {"numpy": 1.0, "keras": 5.0}
"""Seconds a correct submission may take, warm, at one worker (issue 24's targets)."""


class Clock:
    """Seconds spent in the pipeline's parts during one submission, by name."""

    def __init__(self):
        self.seconds, self.counts = collections.defaultdict(float), collections.Counter()

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] += seconds
        self.counts[name] += 1


CLOCK = Clock()


def _timed_async(function, name_of):
    @functools.wraps(function)
    async def timed(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return await function(self, *args, **kwargs)
        finally:
            name = name_of(self, *args)
            if name:
                CLOCK.add(name, time.perf_counter() - start)
    return timed


def _install() -> None:
    """Wrap the pipeline's parts with CLOCK (in this process only, once)."""
    from nbconvert.preprocessors.base import Preprocessor

    from course_utils.grading.trusted import preprocessors as pp
    from course_utils.grading.trusted import results

    if getattr(pp.SandboxedExecute, "_clocked", False):
        return
    pp.SandboxedExecute._clocked = True

    def cell_kind(executor, cell, *_):
        return "tests" if executor._sources is not None and results.is_test_cell(cell) else "cells"

    execute = pp.SandboxedExecute
    for name in ("start_new_kernel", "start_new_kernel_client"):  # nbconvert calls the synchronous ones
        timed = _timed_async(getattr(execute, f"async_{name}"), lambda *_: "kernel")
        setattr(execute, f"async_{name}", timed)
        setattr(execute, name, pp.run_sync(timed))
    execute.async_execute_cell = _timed_async(execute.async_execute_cell, cell_kind)
    execute.request = _timed_async(execute.request, lambda *_: "requests")
    execute.execute_cell = pp.run_sync(execute.async_execute_cell)
    call = Preprocessor.__call__

    def timed_call(self, nb, resources):
        start = time.perf_counter()
        try:
            return call(self, nb, resources)
        finally:
            CLOCK.add(f"step:{type(self).__name__}", time.perf_counter() - start)

    Preprocessor.__call__ = timed_call


def _row(total: float) -> dict:
    seconds = CLOCK.seconds
    steps = {k[5:]: v for k, v in seconds.items() if k.startswith("step:")}
    return {"total": total, "kernel": seconds["kernel"], "cells": seconds["cells"],
            "requests": seconds["requests"], "n": CLOCK.counts["requests"],
            "judge": seconds["tests"] - seconds["requests"],
            "stop": steps.get("SandboxedExecute", 0.0) - sum(seconds[k] for k in ("kernel", "cells", "tests")),
            "policy": steps.get("PolicyCheck", 0.0),
            "save": steps.get("SaveAutoGrades", 0.0),
            "nbgrader": total - sum(steps.values()) + sum(v for k, v in steps.items() if k not in (
                "SandboxedExecute", "PolicyCheck", "SaveAutoGrades"))}


def _grade(api, assignment: str) -> dict:
    CLOCK.seconds.clear()
    CLOCK.counts.clear()
    start = time.perf_counter()
    result = api.autograde(assignment, "benchmark", force=True)
    total = time.perf_counter() - start
    if not result["success"]:
        raise RuntimeError(f"autograde {assignment} failed:\n{result['log']}")
    return _row(total)


def breakdown(assignment: str, course: pathlib.Path, repeats: int) -> dict[str, dict]:
    """Median rows of ``assignment``, cold and warm."""
    rows = {}
    for mode in ("cold", "warm"):
        api, config = grading_api(course)
        config.SandboxedExecute.warm_kernels = 0 if mode == "cold" else 1
        api = type(api)(api.coursedir, config=config)
        if mode == "warm":
            for _ in range(2):  # the process has graded this assignment before: spares are kept
                _grade(api, assignment)
        runs = []
        for repeat in range(repeats):
            runs.append(_grade(api, assignment))
            print(f"  {assignment} {mode} {repeat + 1}/{repeats}: {runs[-1]['total']:.2f} s", file=sys.stderr,
                  flush=True)
        rows[mode] = {name: statistics.median(run[name] for run in runs) for name in COLUMNS}
    from course_utils.grading.trusted.warm_kernels import POOL

    POOL.stop()
    return rows


def kernel_start(assignment: str, repeats: int) -> dict:
    """Median seconds for a sandboxed kernel to answer: bare, and with the assignment's libraries imported."""
    from jupyter_client import BlockingKernelClient

    from course_utils.grading.trusted.limits import course_metadata
    from course_utils.grading.trusted.sandbox import Sandbox
    from course_utils.grading.trusted.warm_kernels import Recipe, WarmKernel, preload_line

    course = course_metadata(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    sandbox = Sandbox(kernel_modules=tuple(course.get("kernel_modules", ())))
    line = preload_line(course.get("allowed_imports", ["numpy"]))
    found = {}
    for label, arguments in (("start", ()), ("start + imports", (f"--IPKernelApp.exec_lines={line}",))):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            kernel = WarmKernel(Recipe(sandbox, "python3", arguments))
            client = BlockingKernelClient(connection_file=kernel.connection_file)
            client.load_connection_file()
            client.start_channels()
            try:
                client.wait_for_ready(timeout=120)
                times.append(time.perf_counter() - start)
            finally:
                client.stop_channels()
                kernel.stop()
        found[label] = statistics.median(times)
    return {"imports": line, "start": found["start"], "libraries": found["start + imports"] - found["start"]}


def measure(assignments, repeats: int = 5) -> tuple[list[dict], list[dict]]:
    """(breakdown rows, kernel rows) for ``assignments``: what ``main`` prints."""
    warnings.filterwarnings("ignore", message=".*not in session.*")
    os.environ["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    _install()
    rows, kernels = [], []
    with tempfile.TemporaryDirectory(prefix="grading-breakdown-") as tmp:
        course = pathlib.Path(tmp)
        shutil.copytree(ROOT / "solutions", course / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        api, _ = grading_api(course)
        for assignment in assignments:
            result = api.generate_assignment(assignment, force=True)
            if not result["success"]:
                raise RuntimeError(f"generate_assignment {assignment} failed:\n{result['log']}")
            hand_in(course, assignment)
            kind = "keras" if needs_keras(assignment) else "numpy"
            for mode, row in breakdown(assignment, course, repeats).items():
                goal = GOALS[kind] if mode == "warm" else None
                rows.append({"assignment": assignment, "mode": mode, **row, "goal": goal,
                             "meets": None if goal is None else row["total"] <= goal})
            kernels.append({"assignment": assignment, **kernel_start(assignment, max(3, repeats // 2))})
    return rows, kernels


def table(rows: list[dict], kernels: list[dict]) -> str:
    head = "| assignment | mode | " + " | ".join(COLUMNS) + " | goal |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for row in rows:
        cells = " | ".join(str(row[c]) if c == "n" else f"{row[c]:.2f}" for c in COLUMNS)
        goal = "" if row["goal"] is None else f"<= {row['goal']:g} s: {'met' if row['meets'] else 'NOT met'}"
        lines.append(f"| {row['assignment']} | {row['mode']} | {cells} | {goal} |")
    lines += ["", "| assignment | kernel start (s) | libraries' import (s) | imported at start |", "|---|---:|---:|---|"]
    lines += [f"| {k['assignment']} | {k['start']:.2f} | {k['libraries']:.2f} | `{k['imports']}` |" for k in kernels]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*",
                        default=["ex01_counting_steps", *(a for a in ASSIGNMENTS if needs_keras(a))])
    parser.add_argument("--repeats", type=int, default=5, help="submissions graded in each mode; medians reported")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    rows, kernels = measure(args.assignments, args.repeats)
    print(table(rows, kernels))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"rows": rows, "kernels": kernels}, indent=1))


if __name__ == "__main__":
    main()
