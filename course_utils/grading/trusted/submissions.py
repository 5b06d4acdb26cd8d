"""What the parallel runner grades: the submissions of an assignment, checked before and after.

Trusted side, used by :mod:`course_utils.grading.trusted.autograde`. It finds the
students who handed in an assignment, turns odd input away by name before any
kernel starts (no notebook, a renamed one, a file that is not a notebook, a
student id nbgrader would read as a pattern), decides which submissions are
finished (a grade for every graded cell and the autograded notebook written)
and clears what an interrupted run left behind.
"""

from __future__ import annotations

import glob
import json
import os
import pathlib
import shutil
from dataclasses import dataclass, field

from nbgrader.api import Gradebook, MissingEntry

PATTERN_CHARS = set("*?[]")


@dataclass
class Submission:
    """One student's hand-in of the assignment, and what the checks before grading found."""

    student: str
    folder: pathlib.Path
    problem: str | None = None  # why it is not graded; None when it can be
    notes: list[str] = field(default_factory=list)  # odd but gradable (an extra notebook, say)


def notebook_names(gradebook: Gradebook, assignment: str) -> list[str]:
    """The notebooks of ``assignment`` in the gradebook (raises MissingEntry for an unknown assignment)."""
    return sorted(notebook.name for notebook in gradebook.find_assignment(assignment).notebooks)


def find(coursedir, assignment: str, students: list[str] | None, expected: list[str]) -> list[Submission]:
    """The submissions of ``assignment`` under submitted/ (or of ``students``), each checked."""
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    if students is None:
        found = {pathlib.Path(path).parts[-2]: pathlib.Path(path) for path in glob.glob(pattern) if os.path.isdir(path)}
        students = sorted(found)
    result = []
    for student in students:
        folder = pathlib.Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        result.append(check(Submission(student, folder), expected))
    return result


def check(submission: Submission, expected: list[str]) -> Submission:
    """Fill in ``problem`` (not gradable) or ``notes`` (gradable, but worth a look)."""
    if PATTERN_CHARS & set(submission.student):
        submission.problem = "the student id contains * ? [ or ], which nbgrader reads as a pattern"
        return submission
    if not submission.folder.is_dir():
        submission.problem = f"no folder {submission.folder}"
        return submission
    present = sorted(p.name for p in submission.folder.glob("*.ipynb"))
    wanted = [f"{name}.ipynb" for name in expected]
    if not present:
        submission.problem = f"no notebook in {submission.folder} (expected {', '.join(wanted)})"
        return submission
    known = [name for name in present if name in wanted]
    extra = [name for name in present if name not in wanted]
    if not known:
        submission.problem = (f"no {' or '.join(wanted)} in {submission.folder}: found {', '.join(extra)} "
                              "(renamed? nbgrader grades a notebook by its name)")
        return submission
    if extra:
        submission.notes.append(f"not graded, unknown notebook(s): {', '.join(extra)}")
    for name in set(wanted) - set(known):
        submission.notes.append(f"{name} missing: scores 0")
    for name in known:
        reason = _unreadable(submission.folder / name)
        if reason:
            submission.problem = f"{name} is not a notebook: {reason}"
            return submission
    return submission


def _unreadable(path: pathlib.Path) -> str | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"{type(error).__name__}: {error}"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or nb.get("nbformat") != 4:
        return "JSON without nbformat 4 'cells'"
    return None


def other_assignments(coursedir, gradebook: Gradebook, assignment: str) -> list[str]:
    """Folders under submitted/ that name an assignment the gradebook does not know (reported, never graded)."""
    known = {a.name for a in gradebook.assignments}
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", "*")
    odd = []
    for path in sorted(glob.glob(pattern)):
        name = pathlib.Path(path).name
        if os.path.isdir(path) and name != assignment and name not in known:
            odd.append(f"{os.path.relpath(path, coursedir.root)}: unknown assignment {name!r}, not graded")
    return odd


def autograded_folder(coursedir, student: str, assignment: str) -> pathlib.Path:
    return pathlib.Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))


def finished(gradebook: Gradebook, coursedir, submission: Submission, assignment: str) -> bool:
    """The gradebook holds an auto score for every graded code cell, and each autograded notebook is written
    (and not older than the notebook handed in)."""
    try:
        graded = gradebook.find_submission(assignment, submission.student)
    except MissingEntry:
        return False
    out = autograded_folder(coursedir, submission.student, assignment)
    for notebook in graded.notebooks:
        handed_in = submission.folder / f"{notebook.name}.ipynb"
        if handed_in.exists():
            written = out / f"{notebook.name}.ipynb"
            if not written.exists() or written.stat().st_mtime < handed_in.stat().st_mtime:
                return False
        if any(g.auto_score is None and g.cell.cell_type == "code" for g in notebook.grades):
            return False
    return True


def clear_unfinished(gradebook: Gradebook, coursedir, student: str, assignment: str) -> str:
    """After an interrupted run: remove the half-written autograded folder and the half-saved grades.

    A submission nobody graded by hand is removed from the gradebook; one with manual scores or
    comments keeps them and only loses its auto scores (so no partial total counts as a grade).
    """
    folder = autograded_folder(coursedir, student, assignment)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        folder.parent.rmdir()  # the student's folder, when this was all it held
    except OSError:
        pass
    try:
        submission = gradebook.find_submission(assignment, student)
    except MissingEntry:
        return "nothing in the gradebook"
    grades = [g for nb in submission.notebooks for g in nb.grades]
    comments = [c for nb in submission.notebooks for c in nb.comments]
    if all(g.manual_score is None and g.extra_credit is None for g in grades) and \
            all(c.manual_comment is None for c in comments):
        gradebook.remove_submission(assignment, student)
        return "removed from the gradebook"
    for grade in grades:
        grade.auto_score = None
        grade.needs_manual_grade = True
    gradebook.db.commit()
    return "auto scores cleared, manual grades kept"
