"""Run All reaches every part: a failing test cell shows why, and the run goes on.

JupyterLab's *Run All* stops at the first cell whose execution fails (the
kernel answers ``status: error`` and drops the cells queued after it), so a
wrong Part A hid whether Parts B and C pass. This IPython extension, loaded in
the student's kernel, wraps each test cell (a cell that imports
``course_utils.grading``) in ``try``/``except``: a failure is shown as the
cell's **error output** (in red: the test's name, then the message: expected,
got, hint; for another error, its traceback, without the course's helpers'
frames), but the cell's execution ends ``ok``, so Run All goes on to the next
part.

Grades do not change. nbgrader counts a test cell as failed when it has an
error output (``nbgrader.utils.has_failed``), which the cell still has; and
the extension does nothing under nbgrader (``NBGRADER_EXECUTION`` is set by
``nbgrader validate`` and ``autograde``; when a submission is graded the test
cells do not even run in the kernel, the judge runs them). A student who
loads it, or not, gets the same score.

Loaded by the kernel's configuration (``ipython_kernel_config.py``)::

    c.InteractiveShellApp.extensions = ["course_utils.grading.runall"]

or by hand in a notebook: ``%load_ext course_utils.grading.runall``.
"""

from __future__ import annotations

import ast
import os
import sys

GRADING = "course_utils.grading"
RESULTS: dict[str, str | None] = {}
"""Each test cell run in this kernel, by name: None if it passed, else its message (newest run)."""


def is_test_cell(tree: ast.Module) -> bool:
    """A test cell imports the course's grading helpers at its top level."""
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module == GRADING or node.module.startswith(GRADING + "."):
                return True
        if isinstance(node, ast.Import) and any(a.name == GRADING or a.name.startswith(GRADING + ".")
                                                for a in node.names):
            return True
    return False


def _call(function: str, title: str) -> ast.stmt:
    return ast.parse(f"__import__({__name__!r}, fromlist=['_']).{function}({title!r})").body[0]


class ReportTestFailures(ast.NodeTransformer):
    """Wraps a test cell's body: ``try: <cell> except Exception: failed(name) else: passed(name)``."""

    def visit_Module(self, node: ast.Module) -> ast.Module:
        if not node.body or os.environ.get("NBGRADER_EXECUTION") or not is_test_cell(node):
            return node
        docstring = ast.get_docstring(node) or ""
        title = docstring.strip().splitlines()[0].strip() if docstring.strip() else "test cell"
        catch = ast.parse("__import__('builtins').Exception", mode="eval").body
        wrapped = ast.Try(body=node.body, handlers=[ast.ExceptHandler(type=catch, name=None,
                                                                      body=[_call("failed", title)])],
                          orelse=[_call("passed", title)], finalbody=[])
        ast.copy_location(wrapped, node.body[0])
        node.body = [wrapped]
        return ast.fix_missing_locations(node)


def passed(title: str) -> None:
    RESULTS[title] = None


def failed(title: str) -> None:
    """Show the exception being handled as the cell's error output; the cell itself ends ``ok``."""
    etype, value, tb = sys.exc_info()
    message = str(value).strip()
    RESULTS[title] = message or etype.__name__
    header = f"\x1b[1;31mFailed:\x1b[0m \x1b[1m{title}\x1b[0m"
    shell = _shell()
    if isinstance(value, AssertionError) and message:
        stb = [header, "", message]
    else:  # the test could not run: say what stopped it, and where in the test cell
        stb = [header, "", f"{etype.__name__}: {message}" if message else etype.__name__]
        if tb is not None:
            stb.append(f"(line {tb.tb_lineno} of this test cell)")
        if isinstance(value, NameError):
            stb.append("Is the cell that defines it run? Run All runs every cell from the top.")
    if shell is None:
        print("\n".join(stb), file=sys.stderr)
    else:
        shell._showtraceback(etype, value, stb)  # ipykernel: an "error" output, as IPython's own tracebacks


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def summary() -> str:
    """One line per test cell run in this kernel: passed, or failed and why (first line)."""
    lines = []
    for title, message in RESULTS.items():
        lines.append(f"passed: {title}" if message is None else f"FAILED: {title}: {message.splitlines()[0]}")
    return "\n".join(lines)


def load_ipython_extension(shell) -> None:
    if not any(isinstance(t, ReportTestFailures) for t in shell.ast_transformers):
        shell.ast_transformers.append(ReportTestFailures())


def unload_ipython_extension(shell) -> None:
    shell.ast_transformers[:] = [t for t in shell.ast_transformers if not isinstance(t, ReportTestFailures)]
