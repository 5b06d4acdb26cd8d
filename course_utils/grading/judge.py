"""The judge: a graded test cell's verdict, recomputed outside the kernel from what the kernel observed.

Trusted side. The test cell's source comes from the instructor (the
gradebook), the observations are plain data (see ``observe``); the cell runs
here, in a fresh namespace, with ``observe`` replaying those observations.
Nothing the student's kernel did can change how the observations are checked.
"""

from __future__ import annotations

from course_utils.grading.observe import replaying


def judge_cell(source: str, observations: list, name: str = "test", *, kernel_error: str | None = None) -> str | None:
    """None if the test in ``source`` passes on ``observations``, else the reason it fails."""
    left = list(observations)
    namespace = {"__name__": f"judge_{name}"}
    try:
        with replaying(left) as remaining:
            exec(compile(source, f"<test cell {name}>", "exec"), namespace)  # noqa: S102 (trusted source)
    except AssertionError as error:
        return _with_kernel_error(str(error) or "the test failed", kernel_error)
    except Exception as error:  # noqa: BLE001 (a test that cannot run on these observations fails)
        return _with_kernel_error(f"{type(error).__name__}: {error}", kernel_error)
    if remaining:
        return (f"the notebook recorded {len(remaining)} more observation(s) than this test makes: "
                "the test cell did not run as written")
    return None


def _with_kernel_error(message: str, kernel_error: str | None) -> str:
    if kernel_error and "no more observations" in message:
        return f"{message}\nWhen your notebook ran, this cell stopped with {kernel_error}"
    return message
