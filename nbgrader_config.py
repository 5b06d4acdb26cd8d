"""nbgrader configuration: run every nbgrader command from the repository root."""

import os

from course_utils.grading.preprocessors import Judge, PolicyCheck, SandboxedExecute
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    Execute,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "batches-epochs-steps"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# A cell that trains with TensorFlow can take a while on a 2-core machine;
# a cell that runs longer than this (an infinite loop, say) is stopped and fails.
c.ExecutePreprocessor.timeout = 120

# A student who deletes a graded test cell gets it back, run as written in solutions/:
# a correct answer keeps its points, and a missing test never counts as passed.
c.OverwriteCells.add_missing_cells = True

# Grades that student code cannot change (docs/instructor_guide.md, "Security"):
# PolicyCheck stops cells that break the assignment's rules before anything runs,
# SandboxedExecute runs the notebook in a bubblewrap sandbox with limits, and
# Judge recomputes every test's verdict outside the kernel before nbgrader scores it.
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, PolicyCheck, CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute, Judge, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, CheckCellMetadata,
]
# Validate runs on the student's own machine, in their own kernel: the policy, no sandbox.
c.Validator.preprocessors = [CheckCellMetadata, ClearOutput, PolicyCheck, Execute]
