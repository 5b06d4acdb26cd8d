"""A grading worker: one process that runs ``nbgrader autograde`` for a queue of students, one at a time.

Starting Python and importing nbgrader and the grading pipeline costs 3-5 s on a
2-core machine, and nbgrader's first submission in a process pays another
~0.4 s of set-up (its database queries are compiled once per process). A
worker pays both once: it is forked from a forkserver that has nbgrader
imported, reads the course's configuration once (``nbgrader_config.py``, as
the command line does, plus the runner's ``--Class.trait=value`` options), and
then grades each student it is sent with nbgrader's own API
(``NbGraderAPI.autograde``: a fresh ``Autograde`` app per submission, the same
policy, sandbox and judge as ``nbgrader autograde ASSIGNMENT --student=ID --force``).

Each worker runs in a session of its own, so the runner can stop it, and with
it the sandboxed kernel of the submission it is grading (bubblewrap's
``--die-with-parent``), when that submission runs past its time or the run is
interrupted; the runner then starts a new worker for the next submission. A
worker whose runner is gone finds its pipe closed and exits.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile

PRELOAD = ["nbgrader.apps.nbgraderapp", "nbgrader.apps.api", "course_utils.grading.trusted.preprocessors",
           "course_utils.grading.trusted.gradebook_db", "course_utils.grading.trusted.export", "course_utils.grading.trusted.feedback"]
"""Modules the forkserver imports once (not TensorFlow: the kernels import that, in the sandbox)."""

_context = None


def _forkserver():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def start_server() -> None:
    """Start the forkserver now (it imports ``PRELOAD`` while the caller goes on with its own work)."""
    _forkserver()
    from multiprocessing import forkserver

    forkserver.ensure_running()


class WorkerDied(RuntimeError):
    """The worker ended while grading (killed, or crashed); its log says why."""


def _serve(connection, root: str, env: dict, options: list[str], log_path: str) -> None:
    """The worker's loop: receive ``(assignment, student)``, grade, send nbgrader's result back."""
    os.setsid()  # a session of its own: Ctrl-C reaches the runner, which stops this one
    log = os.open(log_path, os.O_WRONLY | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 (the process ends with it)
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    os.chdir(root)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["nbgrader", "autograde", *options]
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.apps.baseapp import NbGrader

    app = NbGrader()
    app.initialize(options)  # nbgrader_config.py (the course's, the system's), then the options
    api = NbGraderAPI(coursedir=app.coursedir, parent=app)
    while True:
        try:
            job = connection.recv()
        except EOFError:  # the runner is gone
            break
        if job is None:
            break
        assignment, student = job
        result = api.autograde(assignment, student, force=True, create=True)
        connection.send({"success": bool(result.get("success")),
                         "log": "\n".join(filter(None, (result.get("log"), result.get("error"))))})
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class Worker:
    """A running worker process; ``grade(assignment, student, timeout)`` returns nbgrader's result."""

    def __init__(self, root: str, env: dict, options: list[str]):
        handle, self.log_path = tempfile.mkstemp(prefix="grading-worker-", suffix=".log")
        os.close(handle)
        self.connection, child_end = multiprocessing.Pipe()
        self.process = _forkserver().Process(target=_serve, args=(child_end, root, env, options, self.log_path))
        self.process.start()
        child_end.close()
        self.pid = self.process.pid

    def grade(self, assignment: str, student: str, timeout: float) -> dict:
        """``{"success": bool, "log": str}``; ``subprocess.TimeoutExpired`` past ``timeout`` s, ``WorkerDied``."""
        try:
            self.connection.send((assignment, student))
            if not self.connection.poll(timeout):
                raise subprocess.TimeoutExpired(["grade", assignment, student], timeout)
            return self.connection.recv()
        except (EOFError, OSError) as error:
            self.process.join(5)
            raise WorkerDied(self._death()) from error

    def _death(self) -> str:
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"the grading process was killed by signal {signal.Signals(-code).name}"
        return f"the grading process ended (exit status {code}): {self._log_tail()}"

    def _log_tail(self) -> str:
        try:
            with open(self.log_path, errors="replace") as stream:
                lines = [line.strip() for line in stream.read().splitlines() if line.strip()]
        except OSError:
            return "no log"
        return lines[-1][:300] if lines else "no log"

    def wait(self, timeout: float | None = None) -> int:
        self.process.join(timeout)
        if self.process.exitcode is None:
            raise subprocess.TimeoutExpired(["grading worker"], timeout)
        return self.process.exitcode

    def close(self) -> None:
        """Ask the worker to end, and remove its log."""
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.process.join(30)
        if self.process.exitcode is None:
            stop(self)
        self.connection.close()
        try:
            os.unlink(self.log_path)
        except FileNotFoundError:
            pass


def stop(process, grace: float = 5.0) -> None:
    """Stop a grading process and everything it started (its own session: kernel, sandbox)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
