"""Grading: the helpers the exercises' test cells use in the kernel, and the trusted side the kernel cannot reach.

Kernel side (imported by test cells): ``checks`` (``expect_*`` with feedback that
says what was expected, what was given and a hint; recorders; plot checks) and
``observe`` (what a test sees of the student's code, as plain data).

Grading side (run by ``nbgrader autograde`` through ``nbgrader_config.py``, never
imported by a kernel): ``policy`` (which imports and constructs a solution may
use), ``sandbox`` (the kernel in bubblewrap, with limits), ``judge`` (the verdict
of every test cell recomputed from the observations) and ``preprocessors`` (the
three wired into nbgrader).
"""

from course_utils.grading.checks import *  # noqa: F401,F403
from course_utils.grading.checks import (  # noqa: F401
    GradientRecorder,
    check_updates,
    expect_close,
    expect_equal,
    expect_raises,
    expect_true,
    feedback,
    show,
)
from course_utils.grading.observe import Raised, observe, outcome, record_call  # noqa: F401
