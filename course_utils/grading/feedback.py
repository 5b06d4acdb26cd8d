"""Feedback that teaches without leaking: the student's copy shows why a test failed, not the hidden tests.

Wired into ``nbgrader generate_feedback`` by ``nbgrader_config.py``
(``GenerateFeedback.preprocessors``). The autograded notebook, the
instructor's copy, keeps everything; the feedback built from it has, in every
test cell, the hidden-test blocks (``### BEGIN HIDDEN TESTS`` to
``### END HIDDEN TESTS``) replaced by one comment, and the observations the
judge read (machine data that can carry a hidden test's inputs) dropped. Each
failed test keeps its message (expected, got, hint: the judge's error output)
and its points.
"""

from __future__ import annotations

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from course_utils.grading.observe import MIME


class HideHiddenTests(NbGraderPreprocessor):
    """Removes hidden tests' source and the observation outputs from the feedback copy."""

    begin = Unicode("### BEGIN HIDDEN TESTS", help="Line that opens a hidden-test block.").tag(config=True)
    end = Unicode("### END HIDDEN TESTS", help="Line that closes a hidden-test block.").tag(config=True)
    notice = Unicode("# (hidden tests: not shown; if one failed, its message is below)",
                     help="What replaces each hidden-test block.").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            cell.source = self.hide(cell.source)
            cell.outputs = [o for o in cell.get("outputs", []) if MIME not in o.get("data", {})]
        return cell, resources

    def hide(self, source: str) -> str:
        """``source`` with each hidden-test block replaced by :attr:`notice` (an unclosed block hides the rest)."""
        kept, hidden = [], False
        for line in source.splitlines():
            if line.strip() == self.begin:
                hidden = True
                kept.append(line[: len(line) - len(line.lstrip())] + self.notice)
            elif line.strip() == self.end and hidden:
                hidden = False
            elif not hidden:
                kept.append(line)
        return "\n".join(kept)
