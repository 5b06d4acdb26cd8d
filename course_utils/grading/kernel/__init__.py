"""The kernel side of grading: the only part of ``course_utils.grading`` a graded kernel can import.

When a submission is graded, its kernel runs in a sandbox that holds this
package (and the course_utils modules the assignment's given cells use), not
the trusted side: no test source, no expected value, no reference answer. The
grading process sends the kernel requests ("call ``steps_per_epoch`` on these
arguments"); :func:`respond.respond` runs them on the student's code and
publishes what came back as plain data (:mod:`plain`). ``probes`` turn what a
call returned into plain facts (a model's layers, a plot's lines), and ``given``
holds the helpers a request may hand to the student's code (a gradient
function that records its calls).

Nothing here imports the trusted side, and nothing here may know an answer.
"""
