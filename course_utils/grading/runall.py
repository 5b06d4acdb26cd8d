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

What it shows is in the notebook's language: the kernel reads its notebook's
``metadata.course.language`` from the file JupyterLab names in
``JPY_SESSION_NAME`` (``messages.kernel_language``).
"""

from __future__ import annotations

import ast
import os
import sys

from course_utils.grading import messages

GRADING = "course_utils.grading"
RESULTS: dict[str, str | None] = {}
"""Each test cell run in this kernel, by name: None if it passed, else its message (newest run)."""


def is_test_cell(tree: ast.Module) -> bool:
    """A test cell imports the course's grading helpers at its top level (a cell that imports only this
    module, to show :func:`summary`, is not one)."""
    modules = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules |= {a.name for a in node.names}
    grading = {m for m in modules if m == GRADING or m.startswith(GRADING + ".")}
    return bool(grading - {__name__})


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
    header = f"\x1b[1;31m{messages.text('Failed:')}\x1b[0m \x1b[1m{messages.translated(title)}\x1b[0m"
    shell = _shell()
    if isinstance(value, AssertionError) and message:
        stb = [header, "", message]
    else:  # the test could not run: say what stopped it, and where in the test cell
        stb = [header, "", f"{etype.__name__}: {message}" if message else etype.__name__]
        if tb is not None:
            stb.append(messages.text("(line {line} of this test cell)", line=tb.tb_lineno))
        if isinstance(value, NameError):
            stb.append(messages.text("Is the cell that defines it run? Run All runs every cell from the top."))
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


def summary(path: str | None = None) -> None:
    """Print the results of the test cells run in this kernel, as Validate shows them: a verdict per part,
    then each failed test's name and message. For a last cell of an exercise, reached by Run All.

    The parts and the tests' points come from the notebook's file (``path``; by default the notebook of
    this kernel, which JupyterLab names in ``JPY_SESSION_NAME``); results from this kernel's runs.
    Nothing is run again, and nothing here counts for a grade.
    """
    print(summary_text(path))


def summary_text(path: str | None = None) -> str:
    """The summary (see :func:`summary`), in the notebook's language."""
    path = path or os.environ.get("JPY_SESSION_NAME", "")
    try:
        import nbformat

        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError, KeyError, AttributeError):
        nb = None
    with messages.speaking(messages.language_of(nb) if nb is not None else messages.current()):
        return _summary_text(nb)


def _summary_text(nb) -> str:
    from course_utils.grading.trusted import results

    text = messages.text
    if not RESULTS:
        return text("No test cell has run in this kernel yet: run the notebook (Run > Run All Cells).")
    if nb is None:
        return "\n".join(text("passed: {title}", title=messages.translated(t)) if m is None else
                         text("failed: {title}", title=messages.translated(t)) + f"\n{m}"
                         for t, m in RESULTS.items())
    parts = results.notebook_results(nb, score_of=lambda cell: (0.0, float(cell.metadata["nbgrader"]["points"])))
    lines, failed = [], []
    for part in parts:
        waiting = 0
        for test in part.tests:
            outcome = RESULTS.get(test.title or "test cell", "")
            if outcome == "":
                waiting += 1
                test.message = text("not run yet")
            elif outcome is None:
                test.score, test.message = test.points, ""
            else:
                test.message = outcome
                failed.append(test)
        if waiting:
            lines.append(text("{part}: not checked yet ({waiting} of {tests} test cells not run)", part=part.name,
                              waiting=waiting, tests=len(part.tests)))
        else:
            lines.append(part.verdict())
    for test in failed:
        lines += ["", results.test_heading(test), *("    " + line for line in test.message.splitlines())]
    return "\n".join(lines)


def load_ipython_extension(shell) -> None:
    if not any(isinstance(t, ReportTestFailures) for t in shell.ast_transformers):
        shell.ast_transformers.append(ReportTestFailures())


def unload_ipython_extension(shell) -> None:
    shell.ast_transformers[:] = [t for t in shell.ast_transformers if not isinstance(t, ReportTestFailures)]
