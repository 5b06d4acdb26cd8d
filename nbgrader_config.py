"""nbgrader configuration: run every nbgrader command from the repository root."""

import os

from course_utils.grading.trusted.export import CourseCsvExport
from course_utils.grading.trusted.preprocessors import PolicyCheck, RestoreLockedCells, SandboxedExecute
import course_utils.grading.trusted.gradebook_db  # noqa: F401  (SQLite: WAL and a busy timeout, for parallel graders)
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.validator import Validator
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    Execute,
    IgnorePattern,
    LimitOutput,
    OverwriteKernelspec,
    SaveAutoGrades,
)

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "batches-epochs-steps"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# A cell that runs longer than its limit (an infinite loop, say) is stopped and fails.
# When autograding, the limit is the assignment's own (metadata.course.cell_timeout in
# solutions/, see course_utils/grading/trusted/limits.py); this one is for Validate.
from course_utils.grading.trusted.limits import DEFAULT_CELL_TIMEOUT  # noqa: E402
c.ExecutePreprocessor.timeout = DEFAULT_CELL_TIMEOUT

# RestoreLockedCells (nbgrader's OverwriteCells, quiet about hidden tests) puts back every locked cell.
# A student who deletes a graded test cell gets it back, run as written in solutions/:
# a correct answer keeps its points, and a missing test never counts as passed.
c.OverwriteCells.add_missing_cells = True

# Grades that student code cannot change (docs/instructor_guide.md, "Security"):
# PolicyCheck stops cells that break the assignment's rules before anything runs, and
# SandboxedExecute runs the student's cells in a bubblewrap sandbox with limits while
# every test cell runs here, in the grading process, asking the kernel for results:
# expected values, references and hidden inputs never enter the kernel.
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreLockedCells, PolicyCheck, CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, CheckCellMetadata,
]
# Validate runs on the student's own machine, in their own kernel: the policy, no sandbox.
# (Validator.preprocessors is not a configurable option in nbgrader 0.9: set its default.)
Validator.preprocessors.default_value = [CheckCellMetadata, ClearOutput, PolicyCheck, Execute]
# What Validate shows (button and command line): a verdict per part, then each failed test's name and
# message, no test source (course_utils/grading/trusted/validate.py; nbgrader builds its Validator by name).
from course_utils.grading.trusted.validate import use_course_validator  # noqa: E402

use_course_validator()

# Feedback for students: failed tests' messages and points, not the hidden tests' source
# (course_utils/grading/trusted/feedback.py); the autograded copy keeps everything.
# FeedbackSummary puts the answer first: a verdict per part, then each failed test's name and message.
from course_utils.grading.trusted.feedback import FeedbackSummary, HideHiddenTests  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [HideHiddenTests, GetGrades, FeedbackSummary, CSSHTMLHeaderPreprocessor]

# `nbgrader export`: one row per student and assignment, with a status column
# ("submitted" / "no submission"); a missing submission has no score rather than 0.
c.ExportApp.plugin_class = CourseCsvExport

# `nbgrader zip_collect <id>`: files in downloaded/<id>/archive/ (or in zips there) named
# <student_id>_<id>.ipynb, or <student_id>_<YYYYMMDDTHHMMSS>_<id>.ipynb to record when it was handed in.
# A student id has no underscore. See docs/instructor_guide.md, "Collect submissions".
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:(?P<timestamp>\d{8}T\d{4,6})_)?(?P<file_id>[^/]+\.ipynb)$"
)

# `nbgrader collect <id>` (nbgrader's exchange, e.g. on a JupyterHub): a submission whose
# folder belongs to another user than the student it names (`nbgrader submit
# --student=alice` run by bob) is not collected, and the log names it. Stock nbgrader
# only warns and lets it replace alice's own. If all users share one Unix account, set
# c.ExchangeCollect.check_owner = False.
c.ExchangeFactory.collect = "course_utils.grading.trusted.exchange.OwnerCheckedCollect"
