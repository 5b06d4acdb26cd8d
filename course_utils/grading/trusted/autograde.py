"""Grade every submission of an assignment in parallel, each through the whole trusted pipeline.

Run from the course root (it reads nbgrader_config.py there, like nbgrader)::

    python -m course_utils.grading.trusted.autograde ASSIGNMENT --workers N [--student ID ...] [--force]
        [--scheduler ADDRESS] [--json PATH] [--NbGraderOption=value ...]

Each of the N workers (``worker.Worker``) is a process forked from a server
that has imported nbgrader once; it reads the course's configuration once and
grades one submission after another with nbgrader's own API (a fresh
``Autograde`` app for each: policy, sandbox, judge, nothing bypassed), each
submission in its own sandboxed kernel. A submission that runs past
``--timeout`` or kills its worker fails by name, and a new worker takes the
next one. With ``--scheduler`` the work goes to a Dask cluster instead, one
``nbgrader autograde ASSIGNMENT --student=ID --force`` process per submission
(workers that see the course directory at the same path and the gradebook
through its ``db_url``). Options of the form
``--Class.trait=value`` go to every nbgrader process. Locally each worker
keeps a kernel started ahead for its next submission, with the assignment's
libraries imported (``warm_kernels``; every kernel is still new, in a sandbox
of its own, for one submission), and each kernel's NumPy and TensorFlow get a
share of the cores among the kernels alive at once: cores / (N x 2)
(``--SandboxedExecute.threads``); on Dask they keep the workers' settings. Progress goes to stderr,
the summary to stdout; the exit status is 1 when a submission failed, 130 when
interrupted. Finished submissions (an auto score for every graded cell and the
autograded notebook written) are skipped unless ``--force``; Ctrl-C stops the
running ones and clears what they half-wrote, so a re-run grades them again.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from course_utils.grading.trusted.gradebook_db import IMMEDIATE_ENV
from course_utils.grading.trusted.worker import Worker, WorkerDied, start_server, stop

if TYPE_CHECKING:
    from course_utils.grading.trusted import submissions

RETRY_MARK = "database is locked"
THREADS_OPTION = "SandboxedExecute.threads"
WARM_OPTION = "SandboxedExecute.warm_kernels"
WARM_AFTER_OPTION = "SandboxedExecute.warm_after"


def kernel_threads(workers: int, options: list[str]) -> int:
    """Threads for each kernel's BLAS and TensorFlow: a share of the cores among the kernels alive at once.

    Each worker has its submission's kernel and its warm spares (``--SandboxedExecute.warm_kernels``, 1).
    """
    spares = [int(o.split("=", 1)[1]) for o in options if o.startswith(f"--{WARM_OPTION}=")]
    return max(1, len(os.sched_getaffinity(0)) // (workers * (1 + (spares[-1] if spares else 1))))


@dataclass
class Outcome:
    """What became of one submission."""

    student: str
    status: str  # graded, failed, skipped (finished before), interrupted
    seconds: float = 0.0
    reason: str = ""
    attempts: int = 0


def nbgrader_args(assignment: str, student: str, options: list[str]) -> list[str]:
    """The command line of one submission's grading: ``nbgrader autograde ASSIGNMENT --student=ID --force``."""
    return ["autograde", assignment, f"--student={student}", "--force", *options]


def failure_reason(log: str) -> str:
    """The most telling line of a failed nbgrader run's log: its own error message, else the exception."""
    generic = ("There was an error processing", "Please see the", "Removing failed")
    errors = [m.group(1).strip() for m in re.finditer(r"[|\[] ?ERROR\]\s*(.*)", log)]
    specific = [e for e in errors if e and not e.startswith(generic) and not e.startswith("Traceback")]
    exceptions = [line.strip() for line in log.splitlines() if re.match(r"^\s*[\w.]+(Error|Exception):", line)]
    for candidate in (*exceptions[-1:], *specific[:1]):
        return candidate[:300]
    lines = [line for line in log.splitlines() if line.strip()]
    return (lines[-1] if lines else "nbgrader failed without a message")[:300]


class Stopped(Exception):
    """The run was interrupted: the submission was stopped, or never started."""


class Running:
    """The live workers of a local run, so that Ctrl-C can stop them (and start no more)."""

    def __init__(self):
        self.lock, self.processes, self.stopping, self.slots = threading.Lock(), {}, False, []

    def close_slots(self) -> None:
        """End every worker (the idle ones exit; the stopped ones are gone already)."""
        with self.lock:
            slots = list(self.slots)
        for slot in slots:
            slot.close()

    def enter(self, student: str, worker) -> None:
        """Note that ``worker`` grades ``student`` now; ``Stopped`` if the run is stopping."""
        with self.lock:
            if self.stopping:
                raise Stopped("not started")
            self.processes[student] = worker

    def leave(self, student: str) -> None:
        with self.lock:
            self.processes.pop(student, None)
            if self.stopping:
                raise Stopped("stopped")

    def stop_all(self) -> dict:
        with self.lock:
            self.stopping = True
            processes = dict(self.processes)
        threads = [threading.Thread(target=stop, args=(p,)) for p in processes.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return processes


def grade_submission(attempt, student: str, timeout: float, retries: int = 2) -> Outcome:
    """Grade one student with ``attempt(seconds_left) -> (succeeded, log)``; again when SQLite stayed locked."""
    start = time.monotonic()
    for number in range(1, retries + 2):
        def outcome(status: str, reason: str = "") -> Outcome:
            return Outcome(student, status, time.monotonic() - start, reason, number)

        try:
            succeeded, log = attempt(max(1.0, timeout - (time.monotonic() - start)))
        except subprocess.TimeoutExpired:
            return outcome("failed", f"timed out after {timeout:.0f} s")
        except Stopped as stopped:
            return outcome("interrupted", str(stopped))
        except WorkerDied as died:
            return outcome("failed", str(died))
        if succeeded:
            return outcome("graded")
        if RETRY_MARK not in log or number > retries:
            return outcome("failed", failure_reason(log))
    raise AssertionError("unreachable")


class Slot:
    """One of a local run's N places: a worker, started when first needed and replaced after a failure."""

    def __init__(self, root: str, options: list[str], running: Running):
        self.root, self.options, self.running, self.worker = root, options, running, None

    def grade(self, assignment: str, student: str, timeout: float) -> Outcome:
        return grade_submission(lambda left: self._attempt(assignment, student, left), student, timeout)

    def _attempt(self, assignment: str, student: str, seconds: float) -> tuple[bool, str]:
        if self.worker is None:
            self.worker = Worker(self.root, grading_env(), self.options)
        worker = self.worker  # Ctrl-C's clean-up may close the slot meanwhile
        self.running.enter(student, worker)
        try:
            result = worker.grade(assignment, student, seconds)
        except (subprocess.TimeoutExpired, WorkerDied):
            stop(worker)  # and its kernel; the next submission gets a new worker
            self.close()
            self.running.leave(student)
            raise
        self.running.leave(student)
        return result["success"], result["log"]

    def close(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.close()


def grading_env() -> dict:
    """The environment of a grading process: nbgrader calls ``alembic`` from PATH; SQLite writes ``BEGIN IMMEDIATE``."""
    bin_dir = os.path.dirname(sys.executable)
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", **{IMMEDIATE_ENV: "1"})


def run_nbgrader(root: str, assignment: str, student: str, options: list[str], seconds: float) -> tuple[bool, str]:
    """One ``nbgrader autograde ASSIGNMENT --student=ID --force`` process (a Dask worker may not fork from a server)."""
    process = subprocess.Popen([sys.executable, "-m", "nbgrader", *nbgrader_args(assignment, student, options)],
                               cwd=root, env=grading_env(), text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        log, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        stop(process)
        raise
    if process.returncode < 0:
        raise WorkerDied(f"nbgrader was killed by signal {signal.Signals(-process.returncode).name}")
    return process.returncode == 0, log


class Progress:
    """done/total, failures and time left, one line on stderr per finished submission."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.failed, self.stream = total, 0, 0, stream
        self.start = time.monotonic()

    def update(self, outcome: Outcome) -> None:
        self.done += 1
        self.failed += outcome.status == "failed"
        elapsed = time.monotonic() - self.start
        left = elapsed / self.done * (self.total - self.done)
        note = f": {outcome.reason}" if outcome.reason else ""
        print(f"[{self.done}/{self.total}] {outcome.status} {outcome.student} ({outcome.seconds:.1f} s){note}"
              f" | failed {self.failed} | ~{_duration(left)} left", file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def run_local(jobs: list[str], assignment: str, grading: tuple, workers: int, progress: Progress,
              running: Running, outcomes: list[Outcome]) -> None:
    """Grade ``jobs`` with ``workers`` slots (``grading``: the course root, the options, the timeout)."""
    root, options, timeout = grading
    local = threading.local()

    def grade(student: str) -> Outcome:
        if not hasattr(local, "slot"):
            local.slot = Slot(root, options, running)
            with running.lock:
                running.slots.append(local.slot)
        return local.slot.grade(assignment, student, timeout)

    executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    futures = [executor.submit(grade, student) for student in jobs]
    try:
        for future in concurrent.futures.as_completed(futures):
            outcomes.append(future.result())
            progress.update(outcomes[-1])
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    running.close_slots()


def run_dask(jobs: list[str], grade, address: str, progress: Progress, outcomes: list[Outcome]) -> None:
    from distributed import Client, as_completed

    with Client(address, timeout="30s") as client:
        futures = [client.submit(grade, student, key=f"autograde-{student}", pure=False) for student in jobs]
        try:
            for future in as_completed(futures):
                outcomes.append(future.result())
                progress.update(outcomes[-1])
        except KeyboardInterrupt:
            client.cancel(futures)  # queued ones never start; a running one finishes its own nbgrader run
            raise


@dataclass
class Grader:
    """``grade(student)`` for one assignment on a Dask worker, picklable (Dask sends it to its workers)."""

    root: str
    assignment: str
    options: list
    timeout: float

    def __call__(self, student: str) -> Outcome:
        return grade_submission(
            lambda left: run_nbgrader(self.root, self.assignment, student, self.options, left), student, self.timeout)


def summary(outcomes: list[Outcome], problems: list[submissions.Submission], notes: list[str],
            seconds: float) -> str:
    count = {s: sum(o.status == s for o in outcomes) for s in ("graded", "failed", "skipped", "interrupted")}
    failed = count["failed"] + len(problems)
    lines = [f"graded {count['graded']}, failed {failed}, skipped (finished before) {count['skipped']}"
             + (f", interrupted {count['interrupted']}" if count["interrupted"] else "")
             + f", in {_duration(seconds)}"]
    graded = [o for o in outcomes if o.status == "graded"]
    if graded:
        lines.append(f"{len(graded) / seconds * 60:.1f} submissions per minute")
    for submission in problems:
        lines.append(f"  FAILED {submission.student}: {submission.problem}")
    for outcome in sorted(outcomes, key=lambda o: o.student):
        if outcome.status in ("failed", "interrupted"):
            lines.append(f"  {outcome.status.upper()} {outcome.student}: {outcome.reason}")
    lines += [f"  note {note}" for note in notes]
    return "\n".join(lines)


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading.trusted.autograde", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                        help="submissions graded at once (default: the CPUs this process may use)")
    parser.add_argument("--student", nargs="+", help="grade only these students")
    parser.add_argument("--force", action="store_true", help="grade again the submissions already finished")
    parser.add_argument("--scheduler", help="address of a Dask scheduler (tcp://host:8786) to grade on")
    parser.add_argument("--timeout", type=float, help=(
        "seconds one submission may take in all (default: from the assignment, its cell_timeout times its "
        "code cells plus the kernel's start; see course_utils.grading.trusted.limits)"))
    parser.add_argument("--json", help="write the outcomes to this file")
    args, options = parser.parse_known_args(argv)
    bad = [o for o in options if not re.fullmatch(r"--\w+\.\w+=.*", o)]
    if bad:
        parser.error(f"unrecognised arguments: {' '.join(bad)} (nbgrader options are --Class.trait=value)")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    return args, options


def default_timeout(coursedir, assignment: str, notebooks, options: list[str]) -> float:
    """Seconds one submission may take: the sum over its notebooks of their limits (``limits``)."""
    from course_utils.grading.trusted import limits

    cell = [int(o.split("=", 1)[1]) for o in options if o.startswith("--SandboxedExecute.cell_timeout=")]
    total = 0
    for notebook in notebooks:
        path = os.path.join(coursedir.root, coursedir.source_directory, assignment, f"{notebook}.ipynb")
        with open(path) as stream:
            source = json.load(stream)
        course = source.get("metadata", {}).get("course", {})
        total += limits.submission_timeout({**course, "cell_timeout": cell[-1]} if cell and cell[-1] else course,
                                           source)
    return float(total)


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    args, options = parse(sys.argv[1:] if argv is None else argv)
    if not args.scheduler:
        start_server()  # the workers' server imports nbgrader while this process does the same
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps.baseapp import NbGrader

    from course_utils.grading.trusted import submissions

    app = NbGrader()
    app.initialize(options)  # nbgrader_config.py in the working directory, then the options
    coursedir, root = app.coursedir, os.path.abspath(app.coursedir.root)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:  # created here, not by N workers at once
        try:
            expected = submissions.notebook_names(gradebook, args.assignment)
        except MissingEntry:
            print(f"assignment {args.assignment!r} is not in the gradebook {coursedir.db_url}: "
                  f"run `nbgrader generate_assignment {args.assignment}` first", file=sys.stderr)
            return 2
        found = submissions.find(coursedir, args.assignment, args.student, expected)
        notes = submissions.other_assignments(coursedir, gradebook, args.assignment)
        notes += [f"{s.student}: {note}" for s in found for note in s.notes]
        problems = [s for s in found if s.problem]
        gradable = [s for s in found if not s.problem]
        done = [] if args.force else [s for s in gradable if submissions.finished(gradebook, coursedir, s,
                                                                                   args.assignment)]
    if args.timeout is None:
        args.timeout = default_timeout(coursedir, args.assignment, expected, options)
    jobs = [s.student for s in gradable if s not in done]
    outcomes = [Outcome(s.student, "skipped") for s in done]
    print(f"{args.assignment}: {len(jobs)} to grade, {len(done)} finished before, {len(problems)} not gradable"
          f" ({args.workers if not args.scheduler else args.scheduler} workers)", file=sys.stderr, flush=True)
    progress = Progress(len(jobs))
    for submission in problems:
        print(f"not gradable {submission.student}: {submission.problem}", file=sys.stderr, flush=True)
    running, interrupted = Running(), False
    if not args.scheduler and not any(o.startswith(f"--{THREADS_OPTION}=") for o in options):
        options = [*options, f"--{THREADS_OPTION}={kernel_threads(args.workers, options)}"]
    if not args.scheduler and len(jobs) > args.workers and not any(o.startswith(f"--{WARM_AFTER_OPTION}=")
                                                                    for o in options):
        options = [*options, f"--{WARM_AFTER_OPTION}=0"]  # a worker grades more than one: keep spares at once
    try:
        if args.scheduler:
            run_dask(jobs, Grader(root, args.assignment, options, args.timeout), args.scheduler, progress, outcomes)
        else:
            run_local(jobs, args.assignment, (root, options, args.timeout), args.workers, progress, running,
                      outcomes)
    except KeyboardInterrupt:
        interrupted = True
        outcomes += _interrupt(running, coursedir, args.assignment, outcomes, {s.student: s for s in gradable})
    text = summary(outcomes, problems, notes, time.monotonic() - started)
    print(text, flush=True)
    if args.json:
        with open(args.json, "w") as stream:
            json.dump({"outcomes": [asdict(o) for o in outcomes],
                       "not_gradable": {s.student: s.problem for s in problems}, "notes": notes}, stream, indent=1)
    if interrupted:
        return 130
    return 1 if problems or any(o.status == "failed" for o in outcomes) else 0


def _interrupt(running: Running, coursedir, assignment: str, outcomes: list[Outcome],
               gradable: dict[str, submissions.Submission]) -> list[Outcome]:
    """Ctrl-C: stop the running graders and clear what they half-wrote; the queued ones never start."""
    from nbgrader.api import Gradebook

    from course_utils.grading.trusted import submissions

    print("interrupted: stopping the running submissions", file=sys.stderr, flush=True)
    processes = running.stop_all()
    running.close_slots()
    seen = {o.student for o in outcomes}
    stopped = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        for student in processes:
            if student in seen or submissions.finished(gradebook, coursedir, gradable[student], assignment):
                continue  # it finished on its own just before
            what = submissions.clear_unfinished(gradebook, coursedir, student, assignment)
            stopped.append(Outcome(student, "interrupted", reason=f"stopped; {what}"))
    done = seen | {o.student for o in stopped} | set(processes)
    return stopped + [Outcome(s, "interrupted", reason="not started") for s in gradable if s not in done]


if __name__ == "__main__":
    raise SystemExit(main())
