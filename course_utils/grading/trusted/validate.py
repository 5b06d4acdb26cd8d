"""Validate that leads with the answer: a verdict per part, then each failed test's name and message.

nbgrader's ``Validator`` prints, for each failing cell, its whole source and
its traceback, the helpful sentence last. :class:`CourseValidator` keeps
nbgrader's checks (which cells failed, changed cells, ``--invert``) and only
changes what is shown, on the command line (``nbgrader validate``)::

    VALIDATION FAILED ON 2 CELL(S)! If you submit your assignment as it is, you WILL NOT
    receive full credit.

    Part A: failed, 2/3 points (1 of 3 tests failed)
    Part B: passed, 2/2 points
    Part C: not answered yet, 0/2 points

    ====================================================================================
    Part A, test_steps_partial_batch (0/1 point): steps_per_epoch counts the last, ...

        expected 3 steps for n_samples=7, batch_size=3, got 2:
        is the last partial batch counted? Keras keeps it: ceil(n_samples / batch_size)

and in the Validate button's dialog (the same ``failed`` list nbgrader's
JupyterLab extension shows: the first entry is the summary, each other one a
failed test: its name where nbgrader put the cell's source, its message where
nbgrader put the traceback). No test's source is shown.

nbgrader 0.9 builds ``nbgrader.validator.Validator`` by name in two places
(``nbgrader validate`` and the Validate button's server handler), with no
option to choose the class: :func:`use_course_validator`, called from
``nbgrader_config.py`` (read by both before they build one), points those two
names at this subclass. nbgrader's own files are untouched.

The report speaks the notebook's language (``metadata.course.language``, see
``messages``); the kernel that runs the tests learns it from
``messages.ENV``, set for it as nbgrader sets ``NBGRADER_EXECUTION``.
"""

from __future__ import annotations

import html
import sys
import textwrap

from nbgrader import utils
from nbgrader.validator import Validator

from course_utils.grading import messages
from course_utils.grading.trusted import results

_SUMMARY_STYLE = (
    # nbgrader's dialog shows each entry as "The following cell failed:", its source, its error. The summary
    # is no cell: its label and its (empty) error box are hidden. Long lines wrap instead of scrolling.
    "<style>#validation-message > div:first-child, #validation-message > div:nth-child(3) { display: none; }"
    " #validation-message pre { white-space: pre-wrap; }</style>"
)


class CourseValidator(Validator):
    """nbgrader's Validator, reporting per part and per failed test (see the module's docstring)."""

    _language = messages.ENGLISH

    def _preprocess(self, nb):
        """nbgrader's run of the notebook, its kernel told the notebook's feedback language."""
        self._language = messages.language_of(nb)
        with utils.setenv(**{messages.ENV: self._language}):
            return super()._preprocess(nb)

    def _get_failed_cells(self, nb):
        failed = super()._get_failed_cells(nb)
        if not self.invert:
            with messages.speaking(self._language):
                self._parts = results.notebook_results(nb)
        return failed

    def validate(self, filename: str) -> dict:
        self._parts, self._language = None, messages.ENGLISH
        found = super().validate(filename)
        if "failed" in found and self._parts is not None:
            self._num_failed = len(found["failed"])  # nbgrader's count of failed cells
            with messages.speaking(self._language):
                found["failed"] = self._dialog_entries(self._num_failed)
        return found

    def _warning(self, num_failed: int) -> str:
        return messages.say(self._language, self.failed_warning, num_failed=num_failed)

    def _headline(self, num_failed: int) -> str:
        return self._warning(num_failed).replace("\n", " ").strip()

    def _print_num_failed(self, num_failed: int) -> None:
        """nbgrader's, in the notebook's language."""
        if num_failed == 0:
            self.stream.write(messages.say(self._language, "Success! Your notebook passes all the tests.") + "\n")
        else:
            self.stream.write(textwrap.fill(self._warning(num_failed), width=self.width))

    def _dialog_entries(self, num_failed: int) -> list[dict]:
        """The dialog's list: the verdict per part first, then each failed test (name, message)."""
        summary = f"{self._headline(num_failed)}\n\n{results.summary_text(self._parts)}"
        entries = [{"source": summary, "error": _SUMMARY_STYLE, "raw_error": "", "summary": True}]
        for test in results.failed_tests(self._parts):
            entries.append({"source": results.test_heading(test), "error": html.escape(test.message),
                            "raw_error": test.message, "grade_id": test.grade_id})
        return entries

    def validate_and_print(self, filename: str) -> None:
        found = self.validate(filename)
        failed = found.get("failed", [])
        if found.get("type_changed") or found.get("changed") or self.invert or not failed or self._parts is None:
            return self._print_as_nbgrader(found)
        self._print_num_failed(self._num_failed)
        with messages.speaking(self._language):
            self.stream.write("\n\n" + results.summary_text(self._parts) + "\n")
        for entry in failed[1:]:
            self.stream.write("\n" + "=" * self.width + "\n")
            self.stream.write(textwrap.fill(entry["source"], self.width, subsequent_indent=self.indent,
                                            break_on_hyphens=False) + "\n\n")
            self.stream.write(self._indent(entry["raw_error"]) + "\n")

    def _print_as_nbgrader(self, found: dict) -> None:
        """nbgrader's own printing of ``found`` (changed cells, ``--invert``, success)."""
        type_changed, changed = found.get("type_changed", []), found.get("changed", [])
        passed, failed = found.get("passed", []), found.get("failed", [])
        if type_changed:
            self._print_num_type_changed(len(type_changed))
            for cell in type_changed:
                self._print_type_changed(cell["old_type"], cell["new_type"], cell["source"])
        elif not self.ignore_checksums and changed:
            self._print_num_changed(len(changed))
            for cell in changed:
                self._print_changed(cell["source"])
        elif self.invert:
            self._print_num_passed(len(passed))
            for cell in passed:
                self._print_pass(cell["source"])
        else:
            self._print_num_failed(len(failed))
            for cell in failed:
                self._print_error(cell["source"], cell["raw_error"])

    def _indent(self, val: str) -> str:
        """nbgrader's indent; a line longer than ``width`` is wrapped, not cut (the hint is at its end)."""
        lines = []
        for line in results.strip_ansi(val).split("\n"):
            wrapped = textwrap.wrap(line, self.width - len(self.indent), subsequent_indent="  ",
                                    break_on_hyphens=False, drop_whitespace=False) or [""]
            lines += [self.indent + part.rstrip() for part in wrapped]
        return "\n".join(lines)


# Where nbgrader 0.9 builds its Validator by name: `nbgrader validate` and the Validate button's handler.
_USERS = ("nbgrader.apps.validateapp", "nbgrader.server_extensions.validate_assignment.handlers")


def use_course_validator() -> None:
    """Make ``nbgrader validate`` and the Validate button build a :class:`CourseValidator`.

    Called from ``nbgrader_config.py``, which both read before building their validator (nbgrader's
    apps import ``validateapp`` at start, the server imports the handler when it loads the Validate
    extension): only modules already imported are changed, so other commands import nothing more.
    """
    for name in _USERS:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "Validator", None) is Validator:
            module.Validator = CourseValidator
