"""A class report for instructors: ``python -m course_utils.grading.trusted.report ASSIGNMENT``.

Run from the course root after ``nbgrader autograde`` (it reads ``nbgrader_config.py``
there, like nbgrader; ``--CourseDirectory.db_url=...`` and other nbgrader options are
passed on). It reads nbgrader's gradebook (SQLite or PostgreSQL) and the autograded
notebooks, prints a summary and writes one self-contained HTML page
(``exports/<assignment>-report.html`` unless ``--html`` says otherwise; ``exports/``
is ignored by git, the page names students):

* the score distribution (a histogram, embedded as a PNG);
* each graded test's pass rate (full points from the autograder counts as passed);
* the most common failure messages, with counts: the first line(s) of the error output
  of each failed graded cell in ``autograded/<student>/<assignment>/*.ipynb`` (see ``headline``);
* the students in the gradebook who did not submit (import the class list with
  ``nbgrader db student import`` to see them all).

It only reads: the gradebook and the autograded notebooks are not changed.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import os
import re
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field

import nbformat

TOP_FAILURES = 10
"""How many failure messages the summary lists (the HTML page lists them all)."""
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
HEADLINE_LINES, HEADLINE_CHARS = 4, 240
"""A failure message is at most this many of the error's first lines, and this many characters."""


class ReportError(Exception):
    """A report that cannot be made: the message says why and what to do."""


@dataclass
class TestStats:
    """One graded test cell: how many autograded submissions passed it."""

    name: str
    notebook: str
    points: float
    passed: int = 0
    graded: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.graded if self.graded else None


@dataclass
class ClassReport:
    """What the summary and the page show, read from the gradebook and the autograded notebooks."""

    assignment: str
    db_url: str
    max_score: float
    scores: dict[str, float] = field(default_factory=dict)  # student -> raw score, submitted students only
    tests: list[TestStats] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)  # message -> count
    failure_tests: dict[str, set] = field(default_factory=dict)  # message -> names of the tests it came from
    missing: list[str] = field(default_factory=list)  # students in the gradebook who did not submit
    unread: list[str] = field(default_factory=list)  # autograded notebooks that could not be read


def safe_url(db_url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (a malformed URL is shown as given; opening it fails with its own error)
        return db_url


def check_gradebook(db_url: str) -> None:
    """Raise ReportError when ``db_url`` names an SQLite file that does not exist (nbgrader would create it)."""
    if not db_url.startswith("sqlite:///"):
        return
    path = db_url[len("sqlite:///"):]
    if path in ("", ":memory:") or not os.path.isfile(path):
        raise ReportError(f"no gradebook at {path or db_url!r} (CourseDirectory.db_url={db_url!r}): run the report "
                          "from the course root, after `nbgrader generate_assignment` and `nbgrader autograde`, "
                          "or pass --CourseDirectory.db_url=<the gradebook's URL>")


def graded_tests(notebook) -> list[TestStats]:
    """The autograded (code) grade cells of one of the assignment's notebooks, in the gradebook's order."""
    return [TestStats(cell.name, notebook.name, float(cell.max_score))
            for cell in notebook.grade_cells if cell.cell_type == "code"]


def failed_tests(submitted_notebook, tests: dict[tuple[str, str], TestStats]) -> set[str]:
    """Count each autograded test of the notebook in ``tests`` (by notebook and name); return the names it failed."""
    failed = set()
    for grade in submitted_notebook.grades:
        stats = tests.get((submitted_notebook.name, grade.name))
        if stats is None or grade.auto_score is None:
            continue  # not an autograded test, or not graded yet
        stats.graded += 1
        if grade.auto_score >= stats.points:
            stats.passed += 1
        else:
            failed.add(grade.name)
    return failed


def headline(output) -> str:
    """What an error output says first: ``ename: `` and the evalue's first line(s), without terminal colours.

    The course's messages are wrapped, and say what was expected and what was given up to
    a colon, then a hint: the lines up to the first that ends with ``:`` are joined (at most
    ``HEADLINE_LINES``), so a message is not cut mid-sentence. Memory addresses
    (``0x7f55...``) differ from run to run and are replaced by ``0x…``, so that the same
    failure is counted as one message.
    """
    name = ANSI.sub("", str(output.get("ename", ""))).strip()
    lines = [line.strip() for line in ANSI.sub("", str(output.get("evalue", ""))).splitlines() if line.strip()]
    kept = []
    for line in lines[:HEADLINE_LINES]:
        kept.append(line)
        if line.endswith(":"):
            break
    if not any(line.endswith(":") for line in kept):
        kept = lines[:1]
    text = ADDRESS.sub("0x…", " ".join(kept))
    if len(text) > HEADLINE_CHARS:
        text = text[:HEADLINE_CHARS - 1].rstrip() + "…"
    if not text:
        return name or "(an error with no message)"
    return f"{name}: {text}" if name else text


def failure_messages(path: str, failed: set[str]) -> dict[str, list[str]]:
    """Test name -> the headlines of its error outputs, for the ``failed`` grade cells of the notebook at ``path``."""
    notebook = nbformat.read(path, as_version=4)
    found = {}
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in failed:
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            found[grade_id] = [headline(o) for o in errors] or ["(failed with no error output)"]
    return found


def collect(gradebook, coursedir, assignment: str) -> ClassReport:
    """Read the report's figures for ``assignment`` from ``gradebook`` and the autograded notebooks."""
    from nbgrader.api import MissingEntry

    try:
        record = gradebook.find_assignment(assignment)
    except MissingEntry:
        known = ", ".join(sorted(a.name for a in gradebook.assignments)) or "none"
        raise ReportError(f"assignment {assignment!r} is not in the gradebook {safe_url(coursedir.db_url)} "
                          f"(it has: {known}); run `nbgrader generate_assignment {assignment}` and "
                          "`nbgrader autograde` first") from None
    report = ClassReport(assignment, safe_url(coursedir.db_url), float(record.max_score))
    tests = {(stats.notebook, stats.name): stats for notebook in record.notebooks for stats in graded_tests(notebook)}
    report.tests = list(tests.values())
    for student in sorted(gradebook.students, key=lambda s: s.id):
        try:
            submission = gradebook.find_submission(assignment, student.id)
        except MissingEntry:
            report.missing.append(student.id)
            continue
        report.scores[student.id] = float(submission.score)
        folder = coursedir.format_path(coursedir.autograded_directory, student.id, assignment)
        for notebook in submission.notebooks:
            failed = failed_tests(notebook, tests)
            if failed:
                _add_failures(report, os.path.join(folder, f"{notebook.name}.ipynb"), failed)
    return report


def _add_failures(report: ClassReport, path: str, failed: set[str]) -> None:
    try:
        messages = failure_messages(path, failed)
    except (OSError, ValueError) as error:  # missing, unreadable or not a notebook
        report.unread.append(f"{path}: {type(error).__name__}: {error}"[:300])
        return
    for test, lines in messages.items():
        for line in lines:
            report.failures[line] += 1
            report.failure_tests.setdefault(line, set()).add(test)


def _score(value: float) -> str:
    return f"{value:g}"


def distribution(scores: list[float]) -> list[tuple[float, int]]:
    """(score, number of students with it), lowest score first."""
    return sorted(Counter(scores).items())


def summary_text(report: ClassReport) -> str:
    """The printed summary: submissions, score distribution, pass rates, failure messages, who did not submit."""
    total = len(report.scores) + len(report.missing)
    scores = list(report.scores.values())
    lines = [f"{report.assignment}: {len(scores)} of {total} students in the gradebook submitted "
             f"({report.db_url})"]
    if scores:
        lines.append(f"score distribution (out of {_score(report.max_score)}): mean {statistics.mean(scores):.2f}, "
                     f"median {_score(statistics.median(scores))}, min {_score(min(scores))}, "
                     f"max {_score(max(scores))}")
        lines += [f"  {_score(score):>6}  {count:3d} student(s)  {'#' * count}" for score, count in
                  distribution(scores)]
    else:
        lines.append("score distribution: no submissions")
    lines.append("graded tests: pass rate over the autograded submissions")
    width = max((len(t.name) for t in report.tests), default=0)
    for test in report.tests:
        rate = "  n/a (not graded yet)" if test.rate is None else f"{test.passed:3d}/{test.graded:<3d} {test.rate:4.0%}"
        lines.append(f"  {test.name:<{width}}  {rate}  ({_score(test.points)} points)")
    lines.append(f"most common failure messages ({len(report.failures)} different):")
    for message, count in report.failures.most_common(TOP_FAILURES):
        lines.append(f"  {count:3d}  {message}  [{', '.join(sorted(report.failure_tests[message]))}]")
    if not report.failures:
        lines.append("  none")
    lines.append(f"did not submit ({len(report.missing)}): {', '.join(report.missing) or 'none'}")
    lines += [f"could not read {item}" for item in report.unread]
    return "\n".join(lines)


def histogram(report: ClassReport):
    """The score distribution as a matplotlib Figure: one bar per point, x the score, y the number of students."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.2), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    top = max(report.max_score, max(report.scores.values(), default=0.0))
    edges = [i - 0.5 for i in range(int(top) + 2)]
    axes.hist(list(report.scores.values()), bins=edges, color="#4477aa", edgecolor="white")
    axes.set_xlabel(f"score (points out of {_score(report.max_score)})")
    axes.set_ylabel("students")
    axes.set_title(f"{report.assignment}: {len(report.scores)} submissions")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_xlim(edges[0], edges[-1])
    return figure


def histogram_png(report: ClassReport) -> bytes:
    """The histogram as PNG bytes, for the page."""
    buffer = io.BytesIO()
    histogram(report).savefig(buffer, format="png")
    return buffer.getvalue()


def _rows(cells: list[list[str]]) -> str:
    return "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in cells)


def html_page(report: ClassReport, png: bytes) -> str:
    """A self-contained HTML page (the plot inline as base64); every name and message is escaped."""
    scores = list(report.scores.values())
    tests = [[t.name, t.notebook, _score(t.points), "n/a" if t.rate is None else f"{t.passed}/{t.graded}",
              "n/a" if t.rate is None else f"{t.rate:.0%}"] for t in report.tests]
    failures = [[str(count), message, ", ".join(sorted(report.failure_tests[message]))]
                for message, count in report.failures.most_common()]
    title = html.escape(f"Class report: {report.assignment}")
    mean = f"mean {statistics.mean(scores):.2f}, median {_score(statistics.median(scores))}" if scores else ""
    unread = "".join(f"<li>could not read {html.escape(item)}</li>" for item in report.unread)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:left}}</style></head>
<body><h1>{title}</h1>
<p id="submitted">{len(scores)} of {len(scores) + len(report.missing)} students in the gradebook submitted;
maximum score {_score(report.max_score)}; {html.escape(mean)}.</p>
<h2>Score distribution</h2>
<img alt="histogram of the scores" src="data:image/png;base64,{base64.b64encode(png).decode()}">
<table id="distribution"><tr><th>score</th><th>students</th></tr>
{_rows([[_score(s), str(n)] for s, n in distribution(scores)])}</table>
<h2>Graded tests</h2>
<table id="tests"><tr><th>test</th><th>notebook</th><th>points</th><th>passed</th><th>pass rate</th></tr>
{_rows(tests)}</table>
<h2>Most common failure messages</h2>
<table id="failures"><tr><th>count</th><th>message (first line)</th><th>tests</th></tr>
{_rows(failures)}</table>
<h2>Did not submit</h2>
<ul id="missing">{"".join(f"<li>{html.escape(s)}</li>" for s in report.missing) or "<li>none</li>"}</ul>
<ul>{unread}</ul>
<p>Gradebook: {html.escape(report.db_url)}</p>
</body></html>
"""


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading.trusted.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", help="the assignment's id, e.g. ex01_counting_steps")
    parser.add_argument("--html", help="where to write the page (default: exports/<assignment>-report.html)")
    args, options = parser.parse_known_args(argv)
    bad = [o for o in options if not re.fullmatch(r"--\w+\.\w+=.*", o)]
    if bad:
        parser.error(f"unrecognised arguments: {' '.join(bad)} (nbgrader options are --Class.trait=value)")
    return args, options


def course_directory(options) -> "CourseDirectory":
    """nbgrader's CourseDirectory from nbgrader_config.py in the working directory, then ``--Class.trait=value``.

    Read without starting an nbgrader application, which would reconfigure the process's logging.
    """
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if os.path.exists("nbgrader_config.py"):
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=os.getcwd()).load_config())
    for option in options:
        key, value = option[2:].split("=", 1)
        section, trait = key.split(".", 1)
        config[section][trait] = value
    return CourseDirectory(config=config)


def make_report(assignment: str, options: list[str] = ()) -> ClassReport:
    """The report for ``assignment``, with the course's nbgrader configuration and ``options``."""
    from nbgrader.api import Gradebook

    coursedir = course_directory(options)
    check_gradebook(coursedir.db_url)
    try:
        gradebook = Gradebook(coursedir.db_url, coursedir.course_id)
    except Exception as error:  # noqa: BLE001 (a server that cannot be reached, a bad URL: say which)
        first = (str(error).strip().splitlines() or [""])[0]
        raise ReportError(f"cannot open the gradebook {safe_url(coursedir.db_url)}: {type(error).__name__}: "
                          f"{first}") from error
    with gradebook:
        return collect(gradebook, coursedir, assignment)


def main(argv: list[str] | None = None) -> int:
    args, options = parse(sys.argv[1:] if argv is None else argv)
    try:
        report = make_report(args.assignment, options)
    except ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    path = args.html or os.path.join("exports", f"{args.assignment}-report.html")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(html_page(report, histogram_png(report)))
    print(summary_text(report))
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
