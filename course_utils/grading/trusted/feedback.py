"""Feedback that teaches without leaking: the student's copy shows why a test failed, not the hidden tests.

Wired into ``nbgrader generate_feedback`` by ``nbgrader_config.py``
(``GenerateFeedback.preprocessors``). The autograded notebook, the
instructor's copy, keeps everything; the feedback built from it has, in every
test cell, the hidden-test blocks (``### BEGIN HIDDEN TESTS`` to
``### END HIDDEN TESTS``) replaced by one comment, and the observations the
judge read (machine data that can carry a hidden test's inputs) dropped. Each
failed test keeps its message (expected, got, hint: the judge's error output)
and its points.

:class:`FeedbackSummary` (after nbgrader's ``GetGrades``, which reads the
gradebook's scores) puts the answer first: a cell at the top with the score,
a verdict per part and each failed test's name and message; and a line that
names every test cell (its docstring's first line and grade_id) above it.
Both speak the notebook's language (``metadata.course.language``, see ``messages``).
"""

from __future__ import annotations

import html

from nbformat.v4 import new_markdown_cell
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Unicode

from course_utils.grading import messages
from course_utils.grading.trusted import results
from course_utils.grading.observe import MIME


class HideHiddenTests(NbGraderPreprocessor):
    """Removes hidden tests' source and the observation outputs from the feedback copy."""

    begin = Unicode("### BEGIN HIDDEN TESTS", help="Line that opens a hidden-test block.").tag(config=True)
    end = Unicode("### END HIDDEN TESTS", help="Line that closes a hidden-test block.").tag(config=True)
    notice = Unicode("# (hidden tests: not shown; if one failed, its message is below)",
                     help="What replaces each hidden-test block.").tag(config=True)

    def preprocess(self, nb, resources):
        self._notice = messages.say(messages.language_of(nb), self.notice)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if results.is_test_cell(cell):
            cell.source = self.hide(cell.source)
            cell.outputs = [o for o in cell.get("outputs", []) if MIME not in o.get("data", {})]
        return cell, resources

    def hide(self, source: str) -> str:
        """``source`` with each hidden-test block replaced by :attr:`notice` (an unclosed block hides the rest)."""
        kept, hidden = [], False
        for line in source.splitlines():
            if line.strip() == self.begin:
                hidden = True
                kept.append(line[: len(line) - len(line.lstrip())] + getattr(self, "_notice", self.notice))
            elif line.strip() == self.end and hidden:
                hidden = False
            elif not hidden:
                kept.append(line)
        return "\n".join(kept)


class FeedbackSummary(NbGraderPreprocessor):
    """The feedback leads with the answer: score, a verdict per part, each failed test's name and message."""

    name_tests = Bool(True, help="Put a line naming each test cell (and its result) above it.").tag(config=True)

    def preprocess(self, nb, resources):
        with messages.speaking(messages.language_of(nb)):
            return self._summarize(nb, resources)

    def _summarize(self, nb, resources):
        parts = results.notebook_results(nb, score_of=_gradebook_score)
        grades = (resources or {}).get("nbgrader", {})
        summary = new_markdown_cell(results.summary_markdown(parts, grades.get("score"), grades.get("max_score")))
        summary.metadata["course"] = {"feedback": "summary"}
        if self.name_tests:
            by_id = {test.grade_id: test for part in parts for test in part.tests}
            cells = []
            for cell in nb.cells:
                test = by_id.get(cell.metadata.get("nbgrader", {}).get("grade_id")) if results.is_test_cell(cell) else None
                if test is not None:
                    cells.append(_test_label(test))
                cells.append(cell)
            nb.cells = cells
        at = 1 if nb.cells and nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith("# ") else 0
        nb.cells.insert(at, summary)
        return nb, resources


def _gradebook_score(cell):
    """The score GetGrades read from the gradebook (manual changes included), else nbgrader's from the outputs."""
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("score") is not None and meta.get("points") is not None:
        return float(meta["score"]), float(meta["points"])
    return utils.determine_grade(cell)


def _test_label(test: results.TestResult):
    verdict = messages.text("failed" if test.failed else "passed")
    points = results.points_text(test.score, test.points)
    title = f": {html.escape(results.shown_title(test.title))}" if test.title else ""
    label = messages.text("**{part}, test `{grade_id}`** ({verdict}, {points})", part=test.part,
                          grade_id=test.grade_id, verdict=verdict, points=points)
    cell = new_markdown_cell(label + title)
    cell.metadata["course"] = {"feedback": "test name"}
    return cell
