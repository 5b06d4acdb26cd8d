"""The judge: a graded test cell, run as trusted code in the grading process, asking the kernel for results.

Trusted side. The test cell's source comes from the instructor (the
gradebook). It runs here, in a fresh namespace where each name the notebook
defines is a :class:`observe.KernelName`; each ``observe``/``outcome`` it
makes is sent to the student's kernel through a *bridge*, which returns plain
data only. Expected values, references and hidden inputs never leave this
process, and the kernel's own pass or fail is never asked. The test's
messages are in ``language``, the submitted notebook's (``messages``): set
here, in the grading process, where the student's code cannot change it.
"""

from __future__ import annotations

from course_utils.grading import messages
from course_utils.grading.observe import KernelName, bridging


class TestStopped(BaseException):
    """A request to the kernel did not complete: the test earns nothing (the reason says why).

    A ``BaseException``, so that no ``except Exception`` in a test can pass over it.
    """


def judge_test(source: str, bridge, names, name: str = "test", language: str = messages.ENGLISH) -> str | None:
    """None if the test in ``source`` passes, asking the kernel through ``bridge``; else the reason it fails
    (in ``language``)."""
    namespace = {"__name__": f"judge_{name}", **{n: KernelName(n) for n in names}}
    with messages.speaking(language):
        try:
            with bridging(bridge):
                exec(compile(source, f"<test cell {name}>", "exec"), namespace)  # noqa: S102 (trusted source)
        except TestStopped as stopped:
            return str(stopped)
        except AssertionError as error:
            return str(error) or messages.text("the test failed")
        except Exception as error:  # noqa: BLE001 (a test that cannot run on what the kernel sent fails)
            return messages.text("the test could not check what your code gave: {error}",
                                 error=f"{type(error).__name__}: {str(error)[:500]}")
    return None
