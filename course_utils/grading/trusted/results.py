"""What a checked notebook says to its student, answer first: a verdict per part, then each failed test.

Read from a notebook whose test cells have run (Validate's run in the
student's kernel, or the autograded copy that feedback is made from):

    Part A: failed, 2/3 points (1 of 3 tests failed)
    Part B: not answered yet, 0/2 points
    Part C: passed, 2/2 points

then, for every failed test: its part, its name (the first line of the test
cell's docstring, else its grade_id), its points and its message (expected,
got, hint), never its source. Used by ``validate.CourseValidator`` (the
Validate button, ``nbgrader validate``) and ``feedback.FeedbackSummary``
(``nbgrader generate_feedback``). A test's score is nbgrader's own
(``utils.determine_grade``: an error output is a failed test cell), or the
gradebook's when feedback is made, so nothing here changes a grade. Its
words are in the current feedback language (``messages``; the callers set it
from the notebook), and a Korean notebook's parts are headed "파트 A".
"""

from __future__ import annotations

import ast
import dataclasses
import html
import re

from nbconvert.filters import strip_ansi
from nbgrader import utils

from course_utils.grading import messages
from course_utils.grading.messages import text

PART_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*((?:Part|파트)\s+[\w.-]+)", re.MULTILINE)
NOT_ANSWERED = "not answered yet"


@dataclasses.dataclass
class TestResult:
    grade_id: str
    title: str
    part: str
    score: float
    points: float
    message: str  # why it failed ("" when it passed)

    @property
    def failed(self) -> bool:
        return bool(self.message) or self.score < self.points

    @property
    def name(self) -> str:
        """How the student finds the test: its docstring's first line, and its grade_id."""
        return f"{self.title} ({self.grade_id})" if self.title and self.title != self.grade_id else self.grade_id


@dataclasses.dataclass
class PartResult:
    name: str
    tests: list[TestResult]

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def failed(self) -> list[TestResult]:
        return [t for t in self.tests if t.failed]

    def verdict(self) -> str:
        """``Part A: passed, 3/3 points`` or ``Part A: failed, 1/3 points (2 of 3 tests failed)``."""
        points = points_text(self.score, self.points)
        failed = self.failed
        if not failed:
            return text("{part}: passed, {points}", part=self.name, points=points)
        unanswered = (NOT_ANSWERED, text(NOT_ANSWERED))
        if all(t.message.startswith(unanswered) for t in failed) and len(failed) == len(self.tests):
            return text("{part}: not answered yet, {points}", part=self.name, points=points)
        counted = [t for t in self.tests if t.points > 0]
        extra = [t for t in failed if t.points == 0]  # a cell that breaks the policy (Validate), say
        detail = text("{failed} of {tests} tests failed", failed=len([t for t in failed if t.points > 0]),
                      tests=len(counted)) if counted else ""
        if extra:
            not_run = text("{cells} cells not run" if len(extra) > 1 else "{cells} cell not run", cells=len(extra))
            detail += ("; " if detail else "") + not_run
        return text("{part}: failed, {points} ({detail})", part=self.name, points=points, detail=detail)


def is_test_cell(cell) -> bool:
    """Whether ``cell`` is an autograded test: a graded code cell that is not a solution cell."""
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _number(value: float) -> str:
    return f"{value:g}"


def points_text(score: float, points: float) -> str:
    """``1/3 points``, ``0/1 point``."""
    return text("{score}/{points} point" if points == 1 else "{score}/{points} points", score=_number(score),
                points=_number(points))


def test_title(source: str) -> str:
    """The first line of a test cell's docstring ("" if it has none, or does not parse)."""
    try:
        docstring = ast.get_docstring(ast.parse(source))
    except SyntaxError:
        return ""
    return docstring.strip().splitlines()[0].strip() if docstring and docstring.strip() else ""


def failure_message(cell) -> str:
    """Why a test cell failed, from its outputs: the message of its error (expected, got, hint)."""
    found = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            name, value = str(output.get("ename", "")), strip_ansi(str(output.get("evalue", ""))).strip()
            if name == "AssertionError" and value:
                found.append(value)
            elif value:
                found.append(f"{name}: {value}")
            else:
                found.append(name or "the test failed")
        elif output.get("output_type") == "stream" and output.get("name") == "stderr":
            printed = strip_ansi(str(output.get("text", ""))).strip()
            if printed:
                found.append(printed[-1500:])
    return "\n".join(found)


def policy_notice(source: str) -> str:
    """The notice ``PolicyCheck`` (Validate) put at the top of a cell it did not run: its rules, line by line."""
    notice = []
    for line in source.splitlines():
        if not line.startswith("#"):
            break
        notice.append(line)
    return "\n".join(notice)


def notebook_results(nb, score_of=None) -> list[PartResult]:
    """The graded test cells of ``nb``, grouped by the part (``## Part A ...`` heading) they follow, in order.

    ``score_of(cell) -> (score, points)``: nbgrader's ``determine_grade`` unless given (feedback passes the
    gradebook's scores).
    """
    parts: list[PartResult] = []
    current = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heading = PART_HEADING.search(cell.source)
            if heading:
                current = PartResult(text("Part {part}", part=heading.group(1).split()[-1]), [])
                parts.append(current)
            continue
        if cell.cell_type != "code" or not utils.is_grade(cell):
            continue
        if score_of is not None:
            score, points = score_of(cell)
        else:
            score, points = utils.determine_grade(cell)
        if score is None:
            continue
        message = failure_message(cell)
        if str(cell.metadata.get("nbgrader", {}).get("grade_id", "")).startswith("policy_cell_"):
            message = policy_notice(cell.source) or message  # the student's own cell: which line, which rule
        if score < points and not message:
            message = text("the test failed")
        meta = cell.metadata.get("nbgrader", {})
        grade_id = str(meta.get("grade_id", "test"))
        title = test_title(cell.source) or (text("a cell that breaks the grading policy")
                                            if grade_id.startswith("policy_cell_") else "")
        if current is None:
            current = PartResult(text("Tests"), [])
            parts.append(current)
        current.tests.append(TestResult(grade_id, title, current.name, float(score), float(points),
                                        message if (message and (score < points or points == 0)) else ""))
    return [part for part in parts if part.tests]


def failed_tests(parts: list[PartResult]) -> list[TestResult]:
    return [test for part in parts for test in part.failed]


def shown_title(title: str) -> str:
    """A test's title as the student reads it: its docstring's first line, translated if the catalogue has it."""
    return messages.translated(title)


def test_heading(test: TestResult) -> str:
    """``Part A, test_steps_partial_batch (0/1 point): steps_per_epoch counts ...``"""
    points = points_text(test.score, test.points) if test.points else text("not run")
    title = f": {shown_title(test.title)}" if test.title else ""
    return f"{test.part}, {test.grade_id} ({points}){title}"


def summary_text(parts: list[PartResult]) -> str:
    """One line per part."""
    return "\n".join(part.verdict() for part in parts)


def summary_markdown(parts: list[PartResult], score: float | None = None, max_score: float | None = None) -> str:
    """The feedback's first cell: a verdict per part, then each failed test's name and message."""
    lines = [text("## Your results"), ""]
    if score is not None and max_score is not None:
        lines += [text("**{score} of {max_score} points.**", score=_number(score), max_score=_number(max_score)), ""]
    lines += [f"- {html.escape(part.verdict())}" for part in parts]
    failed = failed_tests(parts)
    if failed:
        lines += ["", text("### What failed"), ""]
        for test in failed:
            lines += [f"**{html.escape(test_heading(test))}**", "",
                      "<pre>" + html.escape(test.message) + "</pre>", ""]
    else:
        lines += ["", text("Every test passed.")]
    return "\n".join(lines).rstrip() + "\n"
