"""Kernels started ahead (``course_utils.grading.trusted.warm_kernels``): faster, and nothing carried between submissions.

A warm kernel is started, in a sandbox of its own, while the submission before it
is graded. These tests hold it to the guarantees of a kernel started on demand:
a submission finds nothing the one before it left (files, processes, variables,
the sockets' folder), the notebook's namespace is the same, the scores are the
same, and a spare is only ever handed to the recipe it was made for.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from grading_harness import hand_in, nbgrader_ok, new_unguarded_course, read, require_sandbox, scores

from course_utils.grading.trusted import warm_kernels
from course_utils.grading.trusted.autograde import kernel_threads
from course_utils.grading.trusted.sandbox import Limits, Sandbox

ASSIGNMENT = "ex01_counting_steps"
MARK = "left-by-a-submission-7f3a"

LEAVE = f"""
import glob, os, subprocess, sys
MARK = {MARK!r}
places = ['.', '/tmp', '/dev/shm', '/var/tmp', os.path.expanduser('~'), '/submission', '..']
places += [os.path.dirname(a) for a in sys.argv if a.endswith('.json')]  # the sockets' folder
places += glob.glob('/tmp/course-kernel-*') + glob.glob('/tmp/course-kernel-*/*')
for place in places:
    try:
        with open(os.path.join(place, MARK + '.txt'), 'w') as stream:
            stream.write(MARK)
    except OSError:
        pass
os.environ['LEFT_' + MARK.replace('-', '_')] = MARK
code = ('import time\\nfor i in range(600):\\n'
        '    open("/tmp/' + MARK + '-%d" % i, "w").write("x"); time.sleep(0.05)\\n')
subprocess.Popen([sys.executable, '-c', code, MARK], start_new_session=True)
"""

FIND = f"""
import os, sys
MARK = {MARK!r}
traces = []
roots = ['.', '/tmp', '/dev/shm', '/var/tmp', os.path.expanduser('~'), '/submission']
roots += [os.path.dirname(a) for a in sys.argv if a.endswith('.json')]
traces += ['/' + n for n in os.listdir('/') if MARK in n]
for root in roots:
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            try:
                text = open(path, errors='ignore').read(100_000) if os.path.getsize(path) < 10**6 else ''
            except OSError:
                text = ''
            if name == 'ex01_counting_steps.ipynb':  # this submission's own notebook (this code in it)
                continue
            if MARK in name or MARK in text:
                traces.append(path)
traces += [k for k, v in os.environ.items() if MARK in v]
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        if MARK in open(f'/proc/{{pid}}/cmdline').read():
            traces.append('process ' + pid)
    except OSError:
        pass
print('TRACES', sorted(set(traces)))
"""


@pytest.fixture(scope="module")
def unguarded(tmp_path_factory):
    """ex01 with the policy off (the submissions use os and subprocess): only the sandbox stands in the way."""
    require_sandbox()
    return new_unguarded_course(tmp_path_factory.mktemp("warm"), ASSIGNMENT)


def kernels_by_student(log: str) -> dict[str, str]:
    """Which kernel each student's submission got, from nbgrader's log: ``warm`` or ``now``."""
    found, student = {}, None
    for line in log.splitlines():
        match = re.search(r"submitted/([\w-]+)/", line)
        if match:
            student = match.group(1)
        kernel = re.search(r"kernel: started (ahead|now)", line)
        if kernel and student:
            found[student] = "warm" if kernel.group(1) == "ahead" else "now"
    return found


def printed(course, student: str) -> str:
    nb = read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")


def test_a_submission_finds_nothing_the_one_before_it_left(unguarded):
    """Each finder's kernel was started while the leaver before it ran: files, processes, variables stay behind."""
    cases = {"a_leaver": {"add": [LEAVE, "import time\ntime.sleep(2)"]}, "b_finder": {"add": [FIND]},
             "c_leaver": {"add": [LEAVE]}, "d_finder": {"add": [FIND]}}
    hand_in(unguarded, ASSIGNMENT, cases)
    result = nbgrader_ok(unguarded, "autograde", ASSIGNMENT, "--force", "--SandboxedExecute.warm_after=0")
    kernels = kernels_by_student(result.stderr)
    assert kernels == {"a_leaver": "now", "b_finder": "warm", "c_leaver": "warm", "d_finder": "warm"}, \
        result.stderr[-3000:]
    for finder in ("b_finder", "d_finder"):
        assert "TRACES []" in printed(unguarded, finder), printed(unguarded, finder)[-2000:]
    got = scores(unguarded, ASSIGNMENT, cases)
    assert all(got[student]["score"] == 7.0 for student in cases), got


def test_warm_and_cold_kernels_give_the_same_scores_cell_by_cell(unguarded, tmp_path):
    from grading_harness import ROOT

    import importlib.util

    spec = importlib.util.spec_from_file_location("cases", ROOT / "tests" / "grading_cases" / f"{ASSIGNMENT}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = {name: case for name, case in module.CASES.items() if "score" in case and not case.get("needs")}
    cases = dict(list(cases.items())[:6]) | {"correct": {}}
    hand_in(unguarded, ASSIGNMENT, cases)
    runs = {}
    for mode, options in (("cold", ["--SandboxedExecute.warm_kernels=0"]), ("warm", ["--SandboxedExecute.warm_after=0"])):
        result = nbgrader_ok(unguarded, "autograde", ASSIGNMENT, "--force", *options)
        runs[mode] = (scores(unguarded, ASSIGNMENT, cases), set(kernels_by_student(result.stderr).values()))
    assert runs["cold"][1] == {"now"} and runs["warm"][1] == {"now", "warm"}
    assert runs["warm"][0] == runs["cold"][0]


def _names_in_a_kernel(arguments: tuple[str, ...]) -> tuple[list[str], bool]:
    """The names a fresh sandboxed kernel's notebook namespace holds, and whether NumPy is loaded already."""
    from jupyter_client import BlockingKernelClient

    kernel = warm_kernels.WarmKernel(warm_kernels.Recipe(Sandbox(), "python3", arguments))
    client = BlockingKernelClient(connection_file=kernel.connection_file)
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        code = ("import sys, json\nprint(json.dumps([sorted(n for n in dir() if not n.startswith('_') "
                "and n not in ('sys', 'json', 'In', 'Out', 'exit', 'quit', 'get_ipython')), 'numpy' in sys.modules]))")
        out = []
        client.execute_interactive(code, timeout=60, output_hook=lambda msg: out.append(
            msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
        names, numpy_loaded = json.loads("".join(out))
        return names, numpy_loaded
    finally:
        client.stop_channels()
        kernel.stop()


def test_a_warm_kernel_has_its_libraries_loaded_and_no_name_more_than_a_cold_one():
    require_sandbox()
    line = warm_kernels.preload_line(["math", "numpy", "matplotlib.pyplot"])
    warm = _names_in_a_kernel((f"--IPKernelApp.exec_lines={line}",))
    cold = _names_in_a_kernel(())
    assert warm[1], "the warm kernel imported NumPy at start-up"
    assert warm[0] == cold[0] and not {"numpy", "matplotlib", "np", "plt"} & set(warm[0])


def test_the_preload_line_imports_libraries_and_binds_no_name():
    line = warm_kernels.preload_line(["math", "numpy", "matplotlib.pyplot", "keras",
                                      "course_utils.reference.batching.minibatches"])
    assert line == "import numpy, matplotlib.pyplot, keras; del numpy, matplotlib, keras"
    namespace = {}
    exec(warm_kernels.preload_line(["json", "xml.dom"]), namespace)
    assert set(namespace) == {"__builtins__"} and "xml.dom" in sys.modules
    assert warm_kernels.preload_line(["math", "course_utils.reference.datasets"]) is None


class FakeKernel:
    """A WarmKernel that starts nothing: what take() hands out, kept or stops."""

    made: list = []

    def __init__(self, recipe):
        self.recipe, self.handed_out_warm, self.stopped, self.dead = recipe, False, False, False
        FakeKernel.made.append(self)

    def alive(self) -> bool:
        return not self.dead

    def stop(self) -> None:
        self.stopped = True


def test_a_spare_goes_only_to_its_own_recipe_and_never_twice(monkeypatch):
    monkeypatch.setattr(warm_kernels, "WarmKernel", FakeKernel)
    FakeKernel.made = []
    pool = warm_kernels.WarmKernels()
    ex01 = warm_kernels.Recipe(Sandbox(), "python3", ("a",))
    ex04 = warm_kernels.Recipe(Sandbox(limits=Limits(threads=1)), "python3", ("a",))
    first = pool.take(ex01, keep=1, warm_after=1)
    assert not first.handed_out_warm and pool.spares == []  # one submission so far: no spare yet
    second = pool.take(ex01, keep=1, warm_after=1)
    assert not second.handed_out_warm and len(pool.spares) == 1
    spare = pool.spares[0]
    third = pool.take(ex01, keep=1, warm_after=1)
    assert third is spare and third.handed_out_warm and pool.spares[0] is not spare
    other = pool.take(ex04, keep=1, warm_after=0)
    assert not other.handed_out_warm and pool.spares[0].recipe == ex04
    assert [k.stopped for k in FakeKernel.made if k.recipe == ex01] == [False, False, False, True]
    pool.spares[0].dead = True
    again = pool.take(ex04, keep=1, warm_after=0)
    assert not again.handed_out_warm  # a spare that died is never handed out
    assert len({id(k) for k in (first, second, third, other, again)}) == 5
    last_spare = pool.spares[0]
    pool.stop()
    assert last_spare.stopped and pool.spares == []


def test_a_spare_not_handed_out_in_time_is_stopped(monkeypatch):
    import time

    monkeypatch.setattr(warm_kernels, "WarmKernel", FakeKernel)
    pool = warm_kernels.WarmKernels(idle_seconds=0.2)
    recipe = warm_kernels.Recipe(Sandbox(), "python3")
    pool.take(recipe, keep=1, warm_after=0)
    spare = pool.spares[0]
    handed = pool.take(recipe, keep=1, warm_after=0)  # the first spare is handed out: its timer does nothing
    time.sleep(0.6)
    assert handed is spare and not spare.stopped
    assert pool.spares == [] and FakeKernel.made[-1].stopped  # the second spare waited too long


def test_kernel_threads_share_the_cores_among_every_kernel_alive(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)))
    assert kernel_threads(2, []) == 2  # 2 workers x (1 grading + 1 spare)
    assert kernel_threads(2, ["--SandboxedExecute.warm_kernels=0"]) == 4
    assert kernel_threads(16, []) == 1
