"""Grade every submission of an assignment in parallel, each through the whole trusted pipeline.

Run from the course root (it reads nbgrader_config.py there, like nbgrader)::

    python -m course_utils.grading.autograde ASSIGNMENT --workers N [--student ID ...] [--force]
        [--scheduler ADDRESS] [--json PATH] [--NbGraderOption=value ...]

Each submission is graded by its own ``nbgrader autograde ASSIGNMENT --student=ID --force``
process (policy, sandbox, judge: nothing bypassed), forked from a server that has
imported nbgrader once (``forked_nbgrader``), N at a time, or on a Dask
cluster with ``--scheduler`` (workers that see the course directory at the same
path and the gradebook through its ``db_url``). Options of the form
``--Class.trait=value`` go to every nbgrader process. Progress goes to stderr,
the summary to stdout; the exit status is 1 when a submission failed, 130 when
interrupted. Finished submissions (an auto score for every graded cell and the
autograded notebook written) are skipped unless ``--force``; Ctrl-C stops the
running ones and clears what they half-wrote, so a re-run grades them again.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass

from course_utils.grading import submissions
from course_utils.grading.forked_nbgrader import ForkedNbgrader
from course_utils.grading.gradebook_db import IMMEDIATE_ENV

RETRY_MARK = "database is locked"


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
    errors = [m.group(1).strip() for m in re.finditer(r"\| ERROR\]\s*(.*)", log)]
    specific = [e for e in errors if e and not e.startswith(generic) and not e.startswith("Traceback")]
    exceptions = [line.strip() for line in log.splitlines() if re.match(r"^\s*[\w.]+(Error|Exception):", line)]
    for candidate in (*exceptions[-1:], *specific[:1]):
        return candidate[:300]
    lines = [line for line in log.splitlines() if line.strip()]
    return (lines[-1] if lines else "nbgrader failed without a message")[:300]


class Running:
    """The live grading processes of a local run, so that Ctrl-C can stop them (and start no more)."""

    def __init__(self):
        self.lock, self.processes, self.stopping = threading.Lock(), {}, False

    def start(self, student: str, make):
        """``make()`` (a new grading process) unless the run is stopping; None then."""
        with self.lock:
            if self.stopping:
                return None
            self.processes[student] = make()
            return self.processes[student]

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


def grade_submission(root: str, assignment: str, student: str, options: list[str], timeout: float,
                     running: Running | None = None, retries: int = 2) -> Outcome:
    """Run ``nbgrader autograde`` for one student in ``root``; retried when SQLite stayed locked.

    ``running`` (local mode) keeps the live process so that Ctrl-C can stop it.
    Module-level and picklable: a Dask worker runs it as it is.
    """
    bin_dir = os.path.dirname(sys.executable)  # nbgrader calls `alembic` from PATH
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", **{IMMEDIATE_ENV: "1"})
    start = time.monotonic()
    for attempt in range(1, retries + 2):
        def make():  # its own process and session, forked with nbgrader already imported
            argv = nbgrader_args(assignment, student, options)
            if multiprocessing.current_process().daemon:  # a Dask worker may not fork children: a new Python
                return subprocess.Popen([sys.executable, "-m", "nbgrader", *argv], cwd=root, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            return ForkedNbgrader(argv, cwd=root, env=env)

        process = running.start(student, make) if running else make()
        if process is None:
            return Outcome(student, "interrupted", 0.0, "not started", attempt)
        try:
            log, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(process)
            return Outcome(student, "failed", time.monotonic() - start, f"timed out after {timeout:.0f} s", attempt)
        finally:
            if running is not None:
                with running.lock:
                    running.processes.pop(student, None)
        if running is not None and running.stopping:
            return Outcome(student, "interrupted", time.monotonic() - start, "stopped", attempt)
        if process.returncode < 0:
            return Outcome(student, "failed", time.monotonic() - start,
                           f"nbgrader was killed by signal {-process.returncode}", attempt)
        if process.returncode == 0:
            return Outcome(student, "graded", time.monotonic() - start, "", attempt)
        if RETRY_MARK not in log or attempt > retries:
            return Outcome(student, "failed", time.monotonic() - start, failure_reason(log), attempt)
    raise AssertionError("unreachable")


def stop(process: subprocess.Popen, grace: float = 5.0) -> None:
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


def run_local(jobs: list[str], grade, workers: int, progress: Progress, running: Running,
              outcomes: list[Outcome]) -> None:
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    futures = [executor.submit(grade, student, running) for student in jobs]
    try:
        for future in concurrent.futures.as_completed(futures):
            outcomes.append(future.result())
            progress.update(outcomes[-1])
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def run_dask(jobs: list[str], grade, address: str, progress: Progress, outcomes: list[Outcome]) -> None:
    from distributed import Client, as_completed

    with Client(address, timeout="30s") as client:
        futures = [client.submit(grade, student, None, key=f"autograde-{student}", pure=False) for student in jobs]
        try:
            for future in as_completed(futures):
                outcomes.append(future.result())
                progress.update(outcomes[-1])
        except KeyboardInterrupt:
            client.cancel(futures)  # queued ones never start; a running one finishes its own nbgrader run
            raise


@dataclass
class Grader:
    """``grade(student, running)`` for one assignment, picklable (Dask sends it to its workers)."""

    root: str
    assignment: str
    options: list
    timeout: float

    def __call__(self, student: str, running: Running | None = None) -> Outcome:
        return grade_submission(self.root, self.assignment, student, self.options, self.timeout, running)


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
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading.autograde", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="submissions graded at once (default: CPUs - 1)")
    parser.add_argument("--student", nargs="+", help="grade only these students")
    parser.add_argument("--force", action="store_true", help="grade again the submissions already finished")
    parser.add_argument("--scheduler", help="address of a Dask scheduler (tcp://host:8786) to grade on")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one submission may take in all")
    parser.add_argument("--json", help="write the outcomes to this file")
    args, options = parser.parse_known_args(argv)
    bad = [o for o in options if not re.fullmatch(r"--\w+\.\w+=.*", o)]
    if bad:
        parser.error(f"unrecognised arguments: {' '.join(bad)} (nbgrader options are --Class.trait=value)")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    return args, options


def main(argv: list[str] | None = None) -> int:
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps.baseapp import NbGrader

    started = time.monotonic()
    args, options = parse(sys.argv[1:] if argv is None else argv)
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
    jobs = [s.student for s in gradable if s not in done]
    outcomes = [Outcome(s.student, "skipped") for s in done]
    print(f"{args.assignment}: {len(jobs)} to grade, {len(done)} finished before, {len(problems)} not gradable"
          f" ({args.workers if not args.scheduler else args.scheduler} workers)", file=sys.stderr, flush=True)
    progress = Progress(len(jobs))
    for submission in problems:
        print(f"not gradable {submission.student}: {submission.problem}", file=sys.stderr, flush=True)
    running, interrupted = Running(), False
    grader = Grader(root, args.assignment, options, args.timeout)
    try:
        if args.scheduler:
            run_dask(jobs, grader, args.scheduler, progress, outcomes)
        else:
            run_local(jobs, grader, args.workers, progress, running, outcomes)
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

    print("interrupted: stopping the running submissions", file=sys.stderr, flush=True)
    processes = running.stop_all()
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
