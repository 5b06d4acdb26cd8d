"""Where the time goes when a Keras submission is graded: kernel start, TensorFlow import, cells.

Run from the repository root:
    .venv/bin/python benchmarks/keras_breakdown.py [--repeats N] [ASSIGNMENT ...]

(default: the assignments whose source notebook says ``needs_keras``). For each, a
correct submission (the release with the solution code filled in) is executed the way
``nbgrader autograde`` executes it: ``SandboxedExecute``, the kernel in the bubblewrap
sandbox, nbclient recording each cell's start and end. Reported, as medians of the
repeats, in seconds:

- ``kernel start``: from asking for a kernel to its first cell starting (the sandbox,
  Python, ipykernel, course_utils' start-up);
- ``import keras``: one cell that only imports Keras, in its own fresh sandboxed kernel
  (TensorFlow's import, paid by the first cell that touches Keras);
- ``solution``, ``tests``, ``other``: the summed run time of the solution cells, the test
  cells and the rest; the first of them to use Keras includes its import;
- ``total``: the whole execution (what the tests and kernel cost together).

Wall times on a shared 2-core machine vary: read the medians, not single runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import statistics
import sys
import tempfile
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from autograde_times import ASSIGNMENTS, MARKERS  # noqa: E402


def needs_keras(assignment: str) -> bool:
    nb = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text())
    return bool(nb.get("metadata", {}).get("course", {}).get("needs_keras"))


def correct_submission(assignment: str):
    """The release notebook with the instructor's solution code in its solution cells."""
    solution = nbformat.read(str(ROOT / "solutions" / assignment / f"{assignment}.ipynb"), as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: "\n".join(line for line in c.source.splitlines()
                                                                if not MARKERS.match(line))
               for c in solution.cells if c.metadata.get("nbgrader", {}).get("solution")}  # fmt: skip
    release = nbformat.read(str(ROOT / "exercises" / assignment / f"{assignment}.ipynb"), as_version=4)
    for cell in release.cells:
        cell.source = answers.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source)
    return release


def _stamp(cell, key: str) -> float:
    return datetime.datetime.fromisoformat(cell.metadata["execution"][key].replace("Z", "+00:00")).timestamp()


def execute(nb, cell_timeout: int = 300) -> tuple[float, object]:
    """Run ``nb`` as autograde does; the wall-clock time it started and the executed notebook."""
    from course_utils.grading.preprocessors import SandboxedExecute

    with tempfile.TemporaryDirectory(prefix="keras-breakdown-") as workdir:
        executor = SandboxedExecute(timeout=cell_timeout, record_timing=True, allow_errors=True)
        started = time.time()
        executor.preprocess(nb, {"metadata": {"path": workdir}})
        return started, nb


def kind(cell) -> str:
    meta = cell.metadata.get("nbgrader", {})
    return "solution" if meta.get("solution") else "tests" if meta.get("grade") else "other"


def breakdown(assignment: str) -> dict[str, float]:
    started, nb = execute(correct_submission(assignment))
    code = [cell for cell in nb.cells if cell.cell_type == "code" and "execution" in cell.metadata]
    row = {"kernel start": _stamp(code[0], "iopub.status.busy") - started, "solution": 0.0, "tests": 0.0, "other": 0.0}
    for cell in code:
        row[kind(cell)] += _stamp(cell, "shell.execute_reply") - _stamp(cell, "iopub.status.busy")
    row["total"] = _stamp(code[-1], "shell.execute_reply") - started
    _, probe = execute(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import keras")]))
    [cell] = probe.cells
    row["import keras"] = _stamp(cell, "shell.execute_reply") - _stamp(cell, "iopub.status.busy")
    return row


COLUMNS = ("kernel start", "import keras", "solution", "tests", "other", "total")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=[a for a in ASSIGNMENTS if needs_keras(a)])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'assignment':<20}" + "".join(f"{name:>14}" for name in COLUMNS) + "   (seconds, medians)")
    for assignment in args.assignments:
        runs = []
        for repeat in range(args.repeats):
            runs.append(breakdown(assignment))
            print(f"  run {repeat + 1}/{args.repeats} of {assignment}: {runs[-1]['total']:.1f} s", file=sys.stderr)
        medians = {name: statistics.median(run[name] for run in runs) for name in COLUMNS}
        print(f"{assignment:<20}" + "".join(f"{medians[name]:>14.2f}" for name in COLUMNS))


if __name__ == "__main__":
    main()
