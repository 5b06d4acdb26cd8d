"""Every limit of a grading run, in one place: derived from the assignment's metadata.

An assignment's source notebook states ``metadata.course.cell_timeout`` (written
there from the course manifest, course.toml): the seconds one cell (or one request
of a test to the kernel) may run. The rest follows from it and from the
notebook: how long the whole notebook may run, and how long the parallel runner
waits for one submission. The size limits bound what the grading process reads
from a kernel, whatever it sends.
"""

from __future__ import annotations

import json
import pathlib

DEFAULT_CELL_TIMEOUT = 120
"""Seconds a cell may run when the assignment states none, and under Validate (nbgrader_config.py)."""

KERNEL_START = 60
"""Seconds allowed for a kernel to start and for nbgrader's own steps, per submission."""

MAX_MESSAGE_BYTES = 8 * 2**20
"""Largest message the grading process accepts from a kernel: a larger one is never read into memory
(ZeroMQ drops the connection), and the kernel is stopped."""

MAX_OUTPUT_BYTES = 1_000_000
"""Printed output a cell may show; past it the cell's output is cut."""

MAX_OBSERVATION_BYTES = 50_000_000
"""Plain data one notebook's requests may bring back in all."""


def course_metadata(source_notebook: pathlib.Path) -> dict:
    """``metadata.course`` of an assignment's source notebook (trusted: solutions/)."""
    return json.loads(pathlib.Path(source_notebook).read_text()).get("metadata", {}).get("course", {})


def cell_timeout(course: dict) -> int:
    """Seconds one cell, or one request of a test, may run."""
    return int(course.get("cell_timeout", DEFAULT_CELL_TIMEOUT))


def code_cells(notebook: dict) -> int:
    return sum(1 for cell in notebook.get("cells", []) if cell.get("cell_type") == "code")


def notebook_timeout(course: dict, notebook: dict) -> int:
    """Seconds the whole notebook may run: every code cell at its limit (later cells are not run)."""
    return cell_timeout(course) * max(1, code_cells(notebook))


def submission_timeout(course: dict, notebook: dict) -> int:
    """Seconds the parallel runner gives one submission: the notebook's limit and the kernel's start."""
    return notebook_timeout(course, notebook) + KERNEL_START
