"""nbgrader's add_submission warning (SQLAlchemy SAWarning) is silenced by course_utils.grading.trusted.gradebook_db, nothing else.

``nbgrader autograde`` imports the module through nbgrader_config.py. Each check runs in
a fresh Python (``-W default``, so every warning would show) that adds a submission the
way autograde does, with and without the module imported: the warning is there without
it (so the check can fail), gone with it, and an unrelated SAWarning still shows.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = """
import sys, warnings
if sys.argv[1] == "with":
    import course_utils.grading.trusted.gradebook_db  # noqa: F401
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning
with Gradebook("sqlite:///" + sys.argv[2], "course") as gradebook:
    gradebook.add_assignment("ex01")
    gradebook.add_notebook("ex01", "ex01")
    gradebook.add_grade_cell("test_a", "ex01", "ex01", max_score=1, cell_type="code")
    gradebook.add_student("alice")
    gradebook.update_or_create_submission("ex01", "alice")
warnings.warn("another SQLAlchemy warning", SAWarning)
"""


@pytest.mark.parametrize("imported", ["with", "without"])
def test_only_the_add_submission_warning_is_silenced(tmp_path, imported):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "PATH": os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")])}  # alembic
    done = subprocess.run([sys.executable, "-W", "default", "-c", SCRIPT, imported, str(tmp_path / "gradebook.db")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "SAWarning: another SQLAlchemy warning" in done.stderr
    silenced = "add operation along 'Assignment.submissions' will not proceed" not in done.stderr
    assert silenced == (imported == "with"), done.stderr
    if imported == "with":
        assert done.stderr.count("SAWarning") == 1, done.stderr
