"""Warm kernels: sandboxed kernels started before the submission they grade is handed to them.

Trusted side. Starting a kernel (bubblewrap, Python, ipykernel) and importing the
assignment's libraries (NumPy; TensorFlow for a Keras assignment) is most of what
grading a submission costs, and none of it is the student's work. So a grading
process that grades several submissions of an assignment keeps kernels for it
started ahead, *spares*, while it grades the current one:

- each spare is a kernel of its own, in a sandbox of its own, made fresh for it: its
  own scratch ``/tmp``, socket folder and empty working folder, all new temporary
  folders that no submission has ever used;
- it imports the libraries the assignment allows (``metadata.course.allowed_imports``)
  at start-up, in a line that binds no name in the notebook's namespace;
- it is handed exactly one submission: that submission's files are copied into its
  working folder (seen at :data:`SANDBOX_WORKDIR` inside the sandbox), it runs, and it
  is shut down and its folders removed. Nothing is carried from one submission to the
  next, because no kernel, process or folder is ever used twice.

A spare is kept only for the same :class:`Recipe` (sandbox, limits, kernel and its
arguments); another assignment's kernel is started fresh and the old spares are
stopped. A process keeps spares only once it has graded ``warm_after`` submissions
of the recipe, so a one-submission ``nbgrader autograde`` starts no kernel it will
not use. A spare not handed out within :data:`IDLE_SECONDS` is stopped (a
formgrader server lives on between runs), and so are the spares left when the
process ends (bubblewrap's ``--die-with-parent`` stops them if it is killed).
"""

from __future__ import annotations

import atexit
import collections
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass

from jupyter_client.launcher import launch_kernel

from course_utils.grading.trusted.sandbox import Sandbox
from course_utils.grading.trusted.sandboxed_kernel import SandboxedKernelManager

SANDBOX_WORKDIR = "/submission"
"""Where a kernel sees its submission's working copy (and starts), whatever the real folder."""


def preload_line(modules) -> str | None:
    """One line that imports ``modules`` and leaves no name behind; None when there is nothing to import.

    ``["math", "numpy", "matplotlib.pyplot", "course_utils.reference.batching.minibatches"]`` gives
    ``import numpy, matplotlib.pyplot; del numpy, matplotlib``: the standard library's ``math``
    costs nothing, and ``course_utils`` names are the given cells' own imports.
    """
    wanted = [m for m in dict.fromkeys(modules) if m.split(".")[0] not in ("math", "course_utils")]
    if not wanted:
        return None
    tops = ", ".join(dict.fromkeys(m.split(".")[0] for m in wanted))
    return f"import {', '.join(wanted)}; del {tops}"


@dataclass(frozen=True)
class Recipe:
    """What makes two kernels interchangeable: the sandbox (with its limits), the kernel and its arguments."""

    sandbox: Sandbox
    kernel_name: str
    arguments: tuple[str, ...] = ()


class WarmKernel:
    """One sandboxed kernel, started now with fresh folders; ``hand(workdir)`` gives it its submission."""

    def __init__(self, recipe: Recipe):
        self.recipe = recipe
        self.handed_out_warm = False  # True once handed out as a spare, started before its submission
        self.folder = tempfile.mkdtemp(prefix="course-kernel-")
        sockets, scratch, self.work = (os.path.join(self.folder, name) for name in ("sockets", "tmp", "work"))
        for folder in (sockets, scratch, self.work):
            os.makedirs(folder)
        # kept while the kernel lives: a kernel manager removes its connection file when it is collected
        self._manager = manager = SandboxedKernelManager(kernel_name=recipe.kernel_name, transport="ipc",
                                         ip=os.path.join(sockets, "kernel"),
                                         connection_file=os.path.join(sockets, "kernel.json"))
        manager.write_connection_file()
        manager.wrap = lambda argv, _workdir: recipe.sandbox.command(
            argv, workdir=SANDBOX_WORKDIR, socket_dir=sockets, scratch_dir=scratch, work_copy=self.work)
        self.connection_file = manager.connection_file
        self.process = launch_kernel(manager.format_kernel_cmd(list(recipe.arguments)), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.folder)

    def alive(self) -> bool:
        return self.process.poll() is None

    def hand(self, workdir: str) -> None:
        """Copy the submission's folder into the kernel's working folder (links copied as links, never followed)."""
        shutil.copytree(workdir, self.work, symlinks=True, dirs_exist_ok=True)

    def stop(self) -> None:
        """Kill the kernel and everything in its sandbox, and remove its folders."""
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def kill(self) -> None:
        """Kill the kernel's sandbox (bubblewrap's process group: the sandbox's processes die with it), and wait."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass


IDLE_SECONDS = 300
"""A spare not handed out within this time is stopped (formgrader's server lives on between runs)."""


class WarmKernels:
    """The spares of one grading process; :func:`take` hands out a kernel for one submission."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS):
        self.spares: list[WarmKernel] = []
        self.taken: collections.Counter = collections.Counter()
        self.idle_seconds = idle_seconds
        self.lock = threading.Lock()

    def take(self, recipe: Recipe, keep: int = 1, warm_after: int = 1) -> WarmKernel:
        """A started kernel of ``recipe`` (a spare, else one started now); then ``keep`` spares of it, if warm."""
        kernel, unwanted = None, []
        with self.lock:
            for spare in list(self.spares):
                if spare.recipe == recipe and spare.alive() and kernel is None:
                    kernel = spare
                    self.spares.remove(spare)
                elif spare.recipe != recipe or not spare.alive():
                    self.spares.remove(spare)
                    unwanted.append(spare)
        for spare in unwanted:
            spare.stop()
        if kernel is None:
            kernel = WarmKernel(recipe)
        else:
            kernel.handed_out_warm = True
        self.taken[recipe] += 1
        if self.taken[recipe] > warm_after:
            while len(self.spares) < keep:
                self._keep(WarmKernel(recipe))
        return kernel

    def _keep(self, spare: WarmKernel) -> None:
        with self.lock:
            self.spares.append(spare)
        timer = threading.Timer(self.idle_seconds, self._expire, args=(spare,))
        timer.daemon = True
        timer.start()

    def _expire(self, spare: WarmKernel) -> None:
        with self.lock:
            if spare not in self.spares:
                return  # handed out, or stopped already
            self.spares.remove(spare)
        spare.stop()

    def stop(self) -> None:
        """Stop every spare (when the process ends)."""
        with self.lock:
            spares, self.spares = self.spares, []
        for spare in spares:
            spare.stop()


POOL = WarmKernels()
"""This process's spares."""
atexit.register(POOL.stop)
