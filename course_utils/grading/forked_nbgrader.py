"""``nbgrader autograde`` for one student, in a process forked from one that has nbgrader imported.

Starting Python and importing nbgrader and the grading pipeline costs 3-5 s on a
2-core machine, more than grading a NumPy submission. The parallel runner used
to pay it once per submission; here a forkserver pays it once per run, and each
submission still gets a process of its own: the same ``nbgrader autograde
ASSIGNMENT --student=ID`` command line (policy, sandbox, judge), in its own
session, so that stopping it stops its sandboxed kernel too.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile

PRELOAD = ["nbgrader.apps.nbgraderapp", "course_utils.grading.preprocessors", "course_utils.grading.gradebook_db",
           "course_utils.grading.export", "course_utils.grading.feedback"]
"""Modules the forkserver imports once (not TensorFlow: the kernels import that, in the sandbox)."""

_context = None


def _forkserver():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _child(argv: list[str], root: str, env: dict, log_path: str) -> None:
    """Run nbgrader with ``argv`` in ``root``; its log goes to ``log_path``; exit with its status."""
    os.setsid()  # a session of its own: Ctrl-C reaches the runner, which stops this one
    log = os.open(log_path, os.O_WRONLY | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 (the process ends with it)
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    os.chdir(root)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["nbgrader", *argv]
    status = 0
    try:
        from nbgrader.apps.nbgraderapp import NbGraderApp

        NbGraderApp.launch_instance(argv=argv)
    except SystemExit as error:
        status = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
    except BaseException:  # noqa: BLE001 (report it in the log, as the command line would)
        import traceback

        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


class ForkedNbgrader:
    """A running ``nbgrader ARGV``: the parts of ``subprocess.Popen`` the runner uses (pid, wait, communicate)."""

    def __init__(self, argv: list[str], *, cwd: str, env: dict):
        handle, self.log_path = tempfile.mkstemp(prefix="nbgrader-", suffix=".log")
        os.close(handle)
        self.args = ["nbgrader", *argv]
        self.process = _forkserver().Process(target=_child, args=(argv, cwd, env, self.log_path))
        self.process.start()
        self.pid = self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self.process.join(timeout)
        if self.process.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.process.exitcode

    def communicate(self, timeout: float | None = None) -> tuple[str, None]:
        self.wait(timeout)
        try:
            with open(self.log_path, errors="replace") as stream:
                return stream.read(), None
        finally:
            os.unlink(self.log_path)
