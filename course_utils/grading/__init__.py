"""Grading: what the exercises' test cells use, the kernel side, and the trusted side the kernel cannot reach.

Test cells (trusted code: run in the grading process when a submission is
graded, in the student's own kernel at Run All and Validate) use ``checks``
(``expect_*`` with feedback that says what was expected, what was given and a
hint) and ``observe`` (asking the student's code for results, as plain data).

Kernel side (``kernel``: the only part a graded kernel can import): running
the grading process's requests on the student's code, plain data, probes.

Grading side (run by ``nbgrader autograde`` through ``nbgrader_config.py``, never
imported by a kernel): ``policy`` (which imports and constructs a solution may
use), ``sandbox`` (the kernel in bubblewrap, with limits), ``judge`` (each test
cell run here, asking the kernel) and ``preprocessors`` (wired into nbgrader).
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
from course_utils.grading.observe import (  # noqa: F401
    Args,
    Call,
    Given,
    Raised,
    hidden_rng,
    observe,
    observe_each,
    outcome,
    outcome_each,
)
