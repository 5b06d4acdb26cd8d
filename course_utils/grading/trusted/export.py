"""The course's grade export: ``nbgrader export`` writes one CSV row per student and assignment.

Trusted side (run by ``nbgrader export`` through ``nbgrader_config.py``). Unlike
nbgrader's own CSV exporter, a row says whether the student handed anything in:
``status`` is ``submitted`` or ``no submission``, and a missing submission has
empty scores instead of ``0.0``, so it cannot be mistaken for a blank notebook
that scored 0. ``timestamp`` is the submission time nbgrader recorded (from the
``timestamp.txt`` next to the submitted notebook), empty where it has none.
"""

from __future__ import annotations

import csv

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import CsvExportPlugin

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email", "status",
           "raw_score", "late_submission_penalty", "score", "max_score"]
"""nbgrader's columns, in nbgrader's order, with ``status`` added before the scores."""

SUBMITTED, MISSING = "submitted", "no submission"


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def grade_rows(gradebook: Gradebook, assignments=(), students=()) -> list[dict[str, str]]:
    """One row per (assignment, student) the gradebook knows, optionally only the ones named."""
    rows = []
    for assignment in gradebook.assignments:
        if assignments and assignment.name not in assignments:
            continue
        for student in gradebook.students:
            if students and student.id not in students:
                continue
            row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": student.id,
                   "last_name": student.last_name, "first_name": student.first_name, "email": student.email,
                   "max_score": assignment.max_score}
            try:
                submission = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:
                row.update(status=MISSING, timestamp=None, raw_score=None, late_submission_penalty=None, score=None)
            else:
                penalty = submission.late_submission_penalty or 0.0
                row.update(status=SUBMITTED, timestamp=submission.timestamp, raw_score=submission.score,
                           late_submission_penalty=penalty, score=max(0.0, submission.score - penalty))
            rows.append({key: _text(row[key]) for key in COLUMNS})
    return rows


class CourseCsvExport(CsvExportPlugin):
    """``nbgrader export [--to=FILE]``: grades.csv with a ``status`` column; no score for a missing submission."""

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or "grades.csv"
        rows = grade_rows(gradebook, [str(a) for a in self.assignment], [str(s) for s in self.student])
        self.log.info("Exporting %d rows of grades to %s", len(rows), dest)
        with open(dest, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
