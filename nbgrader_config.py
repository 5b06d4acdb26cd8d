"""nbgrader configuration: run every nbgrader command from the repository root."""

import os

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
