"""Grades that student code cannot change: cheats earn nothing, sabotage touches no one else.

Real ``nbgrader autograde`` with the course's nbgrader_config.py, in a temporary
course, on ex01 (the fastest assignment). The cheats are written by someone who
has read ``course_utils/grading/``; each class of attack has several variants,
each on top of a wrong answer (a cheat that worked would earn points):

* with the policy on: reading the test's names, importing the references,
  the policy's old leaks (pattern matching, attribute chains, dynamic types,
  ``self`` outside a method), a lookup table of the visible cases, a result
  that would stall the judge, output that would flood the grader;
* with the policy off, so that the sandbox and the judge are shown to hold
  alone: sabotage, copying, reading the kernel's memory for expected values,
  forged observations with every kind of abort, a patched publisher.

Honest submissions graded in the same runs must keep exactly their scores.
"""

from __future__ import annotations

import hashlib
import pathlib
import subprocess
import time

import nbformat
import pytest
from grading_harness import (
    ROOT,
    autograde,
    cell_timeout,
    hand_in,
    nbgrader_measured,
    nbgrader_ok,
    new_course,
    new_unguarded_course,
    read,
    require_sandbox,
    scores,
    solution_code,
)

ASSIGNMENT = "ex01_counting_steps"
FUNCTIONS = ("steps_per_epoch", "total_steps", "last_batch_size")
WRONG = {name: f"def {name}(n_samples, batch_size=None, epochs=1):\n    return 0\n" for name in FUNCTIONS}
"""Answers worth nothing: a cheat on top of them must still earn nothing."""

SOLUTION_PATH = f"../../../solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
CLASSMATE_PATH = f"../../../submitted/a_honest/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
EXEC_NOTEBOOK = (
    "import json\n"
    "for cell in json.load(open({path!r}))['cells']:\n"
    "    if cell['cell_type'] == 'code' and 'def ' in ''.join(cell['source']):\n"
    "        exec(''.join(cell['source']))\n"
)

CHEATS = {  # each replaces or follows the wrong answers; none may earn a point
    "import_reference": "from course_utils.reference.batching import steps_per_epoch, total_steps\n",
    "import_reference_module": "import course_utils.reference.batching as reference\nsteps_per_epoch = reference.steps_per_epoch\n",
    "reference_through_given_module": "import numpy as np\nsteps_per_epoch = np.lib.course_utils.reference.batching.steps_per_epoch\n",
    "exec_solution_notebook": EXEC_NOTEBOOK.format(path=SOLUTION_PATH),
    "exec_classmate_notebook": EXEC_NOTEBOOK.format(path=CLASSMATE_PATH),
    "run_magic": f"%run {SOLUTION_PATH}\n",
    "shell_escape": f"!cp {CLASSMATE_PATH} .\n",
    "disable_helpers": ("import course_utils.grading as grading\n"
                        "grading.expect_equal = lambda *args, **kwargs: None\n"),
    "disable_numpy_checks": "import numpy as np\nnp.allclose = lambda *args, **kwargs: True\n",
    "input_transformer": "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n",
    "post_run_cell_hook": "ip = get_ipython()\nip.events.register('post_run_cell', lambda result: None)\n",
    "swallow_errors_with_dunder": "import builtins\nbuiltins.__dict__['AssertionError'] = Warning\n",
    "always_equal_int": ("class Anything(int):\n    def __eq__(self, other):\n        return True\n\n"
                         "def steps_per_epoch(n_samples, batch_size=None):\n    return Anything(0)\n"),
    "obfuscated_eval": "f = __builtins__['ev' + 'al']\nsteps_per_epoch = f('lambda n, b=None: 0')\n",
    "string_format_escape": "leak = '{0.__class__.__mro__}'.format(0)\n",
    "sqlite_update_own_rows": ("import sqlite3\ndb = sqlite3.connect('../../../gradebook.db')\n"
                               "db.execute('UPDATE grade SET auto_score = 1')\ndb.commit()\n"),
    "detached_rewriter": ("import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; "
                          "time.sleep(3)'], start_new_session=True)\n"),
    "generator_frame_globals": "g = (x for x in [0])\nglobals_ = g.gi_frame.f_globals\n",
    # reading the test's names: the test cell's variables (examples, pairs, got, rng) are not in the kernel
    "read_test_globals": (
        "def steps_per_epoch(n_samples, batch_size=None):\n"
        "    for name in ('examples', 'pairs', 'triples', 'defaults', 'got'):\n"
        "        try:\n            rows = {'examples': examples, 'pairs': pairs}[name]\n"
        "        except (NameError, KeyError):\n            continue\n"
        "        for row in rows:\n"
        "            if len(row) == 3 and tuple(row[:2]) == (n_samples, batch_size):\n"
        "                return row[2]\n"
        "    return 0\n"),
    "read_reference_name": (
        "def steps_per_epoch(n_samples, batch_size=None):\n    try:\n        return reference(n_samples, batch_size)\n"
        "    except NameError:\n        return 0\n"),
    # the policy's old leaks, by class
    "match_class_keyword": (
        "def steps_per_epoch(n_samples, batch_size=None):\n    match steps_per_epoch:\n"
        "        case object(__globals__=found):\n            return found['steps_per_epoch'](n_samples, batch_size)\n"
        "    return 0\n"),
    "attribute_chain_attrgetter": (
        "import operator\nread = operator.attrgetter('_' + '_globals_' + '_')\n"
        "def steps_per_epoch(n_samples, batch_size=None):\n    return read(steps_per_epoch).get('x', 0)\n"),
    "numpy_file_reader": ("import numpy as np\nsolution = np.fromregex('../../../solutions/ex01_counting_steps/"
                          "ex01_counting_steps.ipynb', 'return (.*)', [('line', 'U200')])\n"),
    "dynamic_type": "Cheat = type('Cheat', (int,), {'_' + '_eq_' + '_': lambda self, other: True})\n",
    "self_outside_method": "def patch(self):\n    self.allclose = lambda *a, **k: True\n",
    "method_called_on_module": ("import numpy as np\nclass Patcher:\n    def apply(self):\n"
                                "        self.allclose = lambda *a, **k: True\nPatcher.apply(np)\n"),
    # a lookup table of every visible case, and a wrong formula elsewhere
    "visible_lookup_table": (
        "def steps_per_epoch(n_samples, batch_size=None):\n"
        "    table = {(100, 100): 1, (100, 10): 10, (100, 1): 100, (1000, 20): 50, (8000, 10): 800,\n"
        "             (6, 6): 1, (6, 3): 2, (7, 3): 3, (10, 4): 3, (1001, 20): 51, (100, None): 4,\n"
        "             (6, None): 1}\n"
        "    return table.get((n_samples, batch_size), 0)\n\n"
        "def total_steps(n_samples, batch_size=None, epochs=1):\n"
        "    table = {(1000, 20, 10): 500, (8000, 10, 20): 16000, (13, 1, 200): 2600, (6, 3, 10): 20,\n"
        "             (7, 3, 2): 6, (10, 4, 5): 15}\n"
        "    return table.get((n_samples, batch_size, epochs), 0)\n\n"
        "def last_batch_size(n_samples, batch_size=None):\n"
        "    table = {(7, 3): 1, (10, 4): 2, (1001, 20): 1, (6, 3): 3, (1000, 20): 20, (100, None): 4}\n"
        "    return table.get((n_samples, batch_size), 0)\n"),
}


def cheat_case(trick: str) -> dict:
    return {"replace": dict(WRONG), "add": [trick]}


HONEST = {  # graded in the same run: their scores must not move
    "a_honest": {"score": 7.0},
    "m_floor": {"edit": {"steps_per_epoch": [("(n_samples + batch_size - 1) // batch_size",
                                              "n_samples // batch_size")]}, "score": 2.0},
    "z_honest": {"score": 7.0},
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    require_sandbox()
    return new_course(tmp_path_factory.mktemp("security"), assignments=[ASSIGNMENT])


def fingerprint(folder: pathlib.Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_cheats_earn_nothing_and_honest_scores_stay(course):
    cases = {**HONEST, **{f"cheat_{name}": cheat_case(trick) for name, trick in CHEATS.items()}}
    got = autograde(course, ASSIGNMENT, cases)
    time.sleep(4)  # a process left behind would act now
    got = scores(course, ASSIGNMENT, cases)
    for student, case in HONEST.items():
        assert got[student]["score"] == case["score"], student
    earned = {student: got[student]["score"] for student in cases if student.startswith("cheat_")}
    assert earned == dict.fromkeys(earned, 0.0)


def test_a_policy_violation_is_reported_with_its_line_and_rule(course):
    folder = course / "autograded" / "cheat_import_reference" / ASSIGNMENT
    if not folder.exists():
        test_cheats_earn_nothing_and_honest_scores_stay(course)
    nb = read(folder / f"{ASSIGNMENT}.ipynb")
    blocked = [c for c in nb.cells if c.cell_type == "code" and "breaks the grading policy" in c.source]
    assert blocked, "the cheating cell should have been replaced by the policy's message"
    assert "line 1: import of 'steps_per_epoch' from 'course_utils.reference.batching' is not allowed" in blocked[0].source


# the sandbox alone: the policy switched off --------------------------------------------------------

SABOTAGE = {  # a correct answer, then code that tries to harm others (each guarded, so only harm counts)
    "overwrite_classmates": (
        "import glob\nfor path in glob.glob('../../../**/*.ipynb', recursive=True) + "
        "glob.glob('/work/**/submitted/**/*.ipynb', recursive=True):\n"
        "    try:\n        open(path, 'w').write('{}')\n    except OSError:\n        pass\n"),
    "gradebook_update": (
        "import sqlite3\ntry:\n    db = sqlite3.connect('../../../gradebook.db')\n"
        "    db.execute('UPDATE grade SET auto_score = 0')\n    db.commit()\nexcept Exception:\n    pass\n"),
    "gradebook_lock": (
        "import sqlite3, subprocess, sys\n"
        "code = ('import sqlite3, time\\nc = sqlite3.connect(\"../../../gradebook.db\", timeout=0)\\n'\n"
        "        'c.execute(\"BEGIN EXCLUSIVE\")\\ntime.sleep(60)\\n')\n"
        "subprocess.Popen([sys.executable, '-c', code], start_new_session=True)\n"),
    "detached_rewriter": (
        "import subprocess, sys\n"
        "code = ('import time, sqlite3\\ntime.sleep(3)  # course-sabotage-marker\\n'\n"
        "        'c = sqlite3.connect(\"../../../gradebook.db\")\\nc.execute(\"UPDATE grade SET auto_score=0\")\\n'\n"
        "        'c.commit()\\n')\n"
        "subprocess.Popen([sys.executable, '-c', code], start_new_session=True)\n"),
    "write_course_utils": (
        "import course_utils, os\npath = os.path.join(os.path.dirname(course_utils.__file__), 'reference', 'batching.py')\n"
        "try:\n    open(path, 'a').write('\\nsteps_per_epoch = lambda *a, **k: 0\\n')\nexcept OSError:\n    pass\n"),
    "network": ("import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
                "    raise SystemExit('network reached')\nexcept OSError:\n    pass\n"),
    "memory_hog": "try:\n    hog = bytearray(16 * 2**30)\nexcept MemoryError:\n    pass\n",
    "fork_bomb": ("import os, time\nfor _ in range(5000):\n    try:\n        if os.fork() == 0:\n"
                  "            time.sleep(30)\n            os._exit(0)\n    except OSError:\n        break\n"),
    "output_flood": "for _ in range(50_000):\n    print('x' * 200)\n",
    "plant_symlinks": (
        "import glob, os\nfor name in glob.glob('*.ipynb'):\n    os.remove(name)\n"
        "    os.symlink('../../../gradebook.db', name)  # the grader writes the graded notebook here\n"
        "os.symlink('../../../submitted', 'submitted')\n"),
    "kill_everything": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(-1, signal.SIGKILL)\n",
    "ignore_sigint_and_spin": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n",
}
"""Each follows a correct answer: full marks (7), since the harm comes after the answers and the tests."""

OBSERVATION = "application/vnd.course-utils.observation+json"
FORGE = (  # publish answers of its own, then stop the test's own request before it answers
    "def {name}(n_samples, batch_size=None, epochs=1):\n"
    "    from IPython.display import publish_display_data\n"
    "    publish_display_data({{{mime!r}: {{'token': 'guess', 'results': [3] * 200}}}})\n"
    "    {ending}\n")
STEAL_TOKEN = (  # read the request's token from the calling frames and answer in its name
    "import json, sys\n"
    "from IPython.display import publish_display_data\n"
    "def steps_per_epoch(n_samples, batch_size=None):\n"
    "    frame = sys._getframe(1)\n"
    "    while frame is not None and 'token' not in frame.f_locals:\n"
    "        frame = frame.f_back\n"
    "    if frame is None:\n"
    "        return 0\n"
    "    calls = json.loads(frame.f_locals['request'])['calls']\n"
    "    answers = [-(-c['args'][0] // 32) for c in calls]  # a guess: without a reference, no better\n"
    f"    publish_display_data({{{OBSERVATION!r}: {{'token': frame.f_locals['token'], 'results': answers}}}})\n"
    "    raise KeyboardInterrupt\n")
KERNEL_ATTACKS = {  # with the policy off, on top of wrong answers: each must earn nothing
    **{f"forge_then_{ending.split('(')[0].split()[-1].lower()}": FORGE.format(
        name="steps_per_epoch", mime=OBSERVATION, ending=ending)
       for ending in ("raise KeyboardInterrupt", "raise SystemExit(0)", "raise GeneratorExit", "return 0")},
    "forge_with_the_stolen_token": STEAL_TOKEN,
    "scan_kernel_memory_for_expected_values": (
        "import gc\n"
        "def steps_per_epoch(n_samples, batch_size=None):\n"
        "    for obj in gc.get_objects():\n"
        "        if isinstance(obj, list) and obj and isinstance(obj[0], tuple) and len(obj[0]) == 3:\n"
        "            for row in obj:\n"
        "                if tuple(row[:2]) == (n_samples, batch_size):\n"
        "                    return row[2]\n"
        "    return 0\n"),
    "import_the_references": (
        "try:\n    from course_utils.reference.batching import steps_per_epoch, total_steps\nexcept ImportError:\n    pass\n"
        "try:\n    from course_utils import steps_per_epoch\nexcept ImportError:\n    pass\n"),
    "import_the_tests": (
        "import importlib\nfor name in ('course_utils.grading.checks', 'course_utils.grading.trusted.judge',\n"
        "             'course_utils.grading.observe', 'course_utils.reference.batching'):\n"
        "    try:\n        importlib.import_module(name)\n        raise SystemExit('imported ' + name)\n"
        "    except ImportError:\n        pass\n"),
    "patch_the_publisher": (
        "import IPython.display as display\nreal = display.publish_display_data\n"
        "def forged(data, *args, **kwargs):\n"
        "    for value in data.values():\n"
        "        if isinstance(value, dict) and 'results' in value:\n"
        "            value['results'] = [1] * len(value['results'])\n"
        "    return real(data, *args, **kwargs)\n"
        "display.publish_display_data = forged\n"),
}

COPIERS = {  # wrong answers that would become right if the sandbox let them read someone else's
    "copy_the_solution": EXEC_NOTEBOOK.format(path=SOLUTION_PATH),
    "copy_a_classmate": EXEC_NOTEBOOK.format(path=CLASSMATE_PATH),
}


@pytest.fixture(scope="module")
def unguarded_course(tmp_path_factory):
    """The course with PolicyCheck switched off, so that only the sandbox stands in the way."""
    require_sandbox()
    return new_unguarded_course(tmp_path_factory.mktemp("sandbox-only"), ASSIGNMENT)


def test_sabotage_harms_no_one_and_the_run_finishes(unguarded_course):
    course = unguarded_course
    cases = {**HONEST, **{f"sabotage_{name}": {"add": [code]} for name, code in SABOTAGE.items()},
             **{f"copier_{name}": {"replace": dict(WRONG), "add": [f"try:\n    exec({code!r})\nexcept OSError:\n    pass\n"]}
                for name, code in COPIERS.items()},
             **{f"kernel_{name}": {"replace": dict(WRONG), "add": [code]} for name, code in KERNEL_ATTACKS.items()}}
    hand_in(course, ASSIGNMENT, cases)
    before = fingerprint(course / "submitted") | {"course_utils": fingerprint(ROOT / "course_utils")["reference/batching.py"]}
    result = nbgrader_ok(course, "autograde", ASSIGNMENT, "--force", "--SandboxedExecute.notebook_timeout=60")
    time.sleep(5)  # anything left behind would act now
    got = scores(course, ASSIGNMENT, cases)
    for student, case in HONEST.items():
        assert got[student]["score"] == case["score"], (student, result.stderr[-3000:])
    for student in cases:
        if student.startswith("sabotage_"):
            assert got[student]["score"] == 7.0, (student, got[student])
        if student.startswith(("copier_", "kernel_")):
            assert got[student]["score"] == 0.0, (student, got[student])
    after = fingerprint(course / "submitted") | {"course_utils": fingerprint(ROOT / "course_utils")["reference/batching.py"]}
    assert after == before
    leftover = subprocess.run(["pgrep", "-f", "course-sabotage-marker"], capture_output=True, text=True)
    assert leftover.stdout == "", "a process started by a submission outlived its kernel"


def test_without_bubblewrap_autograde_refuses_and_says_how_to_install(tmp_path, monkeypatch):
    from course_utils.grading.trusted.preprocessors import SandboxedExecute

    executor = SandboxedExecute()
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    nb = nbformat.v4.new_notebook()
    with pytest.raises(RuntimeError, match="install_system_packages.sh") as error:
        executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert "allow_unsandboxed" in str(error.value)


# the judge alone: a kernel whose own verdicts lie ----------------------------------------------------


def test_the_judge_decides_even_when_the_kernel_reports_success(course, tmp_path):
    """With the policy off, a cell makes every test print nothing in the kernel; the judge still fails them."""
    require_sandbox()
    trick = ("from IPython import get_ipython\n"
             "ip = get_ipython()\n"
             "ip.set_custom_exc((Exception,), lambda *args, **kwargs: None)\n")  # swallow every error
    config = course / "nbgrader_config.py"
    original = config.read_text()
    config.write_text(original + (
        "\nc.Autograde.sanitize_preprocessors = [p for p in c.Autograde.sanitize_preprocessors "
        "if p is not PolicyCheck]\n"))
    try:
        got = autograde(course, ASSIGNMENT, {"judge_swallowed_errors": {"replace": dict(WRONG), "add": []},
                                             "judge_swallowed_errors_hooked": {
                                                 "replace": {**WRONG, FUNCTIONS[0]: trick + WRONG[FUNCTIONS[0]]}}},
                        "--student=judge_*")
    finally:
        config.write_text(original)
    assert got["judge_swallowed_errors"]["score"] == 0.0
    assert got["judge_swallowed_errors_hooked"]["score"] == 0.0
    assert solution_code(ASSIGNMENT)  # the solution is there to be copied, and was not


def test_validate_names_the_line_and_rule_a_cell_breaks(tmp_path):
    """The student sees the policy at Validate, before handing in (no sandbox needed there)."""
    from grading_harness import make_submission, nbgrader

    release = read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    case = {"replace": {"steps_per_epoch": "from course_utils.reference.batching import steps_per_epoch\n"}}
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    nbformat.write(make_submission(release, ASSIGNMENT, case), str(path))
    result = nbgrader(ROOT, "validate", str(path), cwd=ROOT)
    assert "VALIDATION FAILED" in result.stdout, result.stdout + result.stderr[-2000:]
    said = " ".join(line.strip(" #") for line in result.stdout.splitlines())  # the report wraps long lines
    assert "line 1: import of 'steps_per_epoch' from 'course_utils.reference.batching' is not allowed" in said
    assert "this cell must define 'steps_per_epoch' itself" in result.stdout


def test_what_lives_under_tmp_stays_visible_in_the_sandbox(tmp_path):
    """/tmp is the kernel's scratch space, mounted first: a venv or course under /tmp is still seen."""
    require_sandbox()
    from course_utils.grading.trusted.sandbox import Sandbox

    shown = tmp_path / "environment"
    shown.mkdir()
    (shown / "marker.txt").write_text("here")
    work, sockets, scratch = (tmp_path / name for name in ("work", "sockets", "scratch"))
    for folder in (work, sockets, scratch):
        folder.mkdir()
    import sys

    code = f"import os; print(open({str(shown / 'marker.txt')!r}).read(), os.listdir('/tmp'))"
    command = Sandbox(read_only=(str(shown),)).command([sys.executable, "-c", code], workdir=str(work),
                                                         socket_dir=str(sockets), scratch_dir=str(scratch))
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("here"), result.stdout


def test_the_kernel_gets_the_thread_counts_it_is_given_and_no_other_variables(tmp_path, monkeypatch):
    """threads > 0 sets NumPy's and TensorFlow's thread counts; 0 passes the grader's own through."""
    require_sandbox()
    import json
    import sys

    from course_utils.grading.trusted.sandbox import THREAD_ENV, Limits, Sandbox

    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "do-not-leak")
    seen = {}
    for threads in (0, 3):
        folders = [tmp_path / f"{name}{threads}" for name in ("work", "sockets", "scratch")]
        for folder in folders:
            folder.mkdir()
        command = Sandbox(limits=Limits(threads=threads)).command(
            [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
            workdir=str(folders[0]), socket_dir=str(folders[1]), scratch_dir=str(folders[2]))
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        seen[threads] = json.loads(result.stdout)
    assert seen[0]["OMP_NUM_THREADS"] == "7" and "TF_NUM_INTRAOP_THREADS" not in seen[0]
    assert {name: seen[3].get(name) for name in THREAD_ENV} == {name: "3" for name in THREAD_ENV}
    assert "GRADER_SECRET_TOKEN" not in seen[0] and "GRADER_SECRET_TOKEN" not in seen[3]


# limits: a result or a print that would stall or flood the grader -------------------------------------

FLOODS = {  # with the policy on: plain Python, each losing only the tests it touches
    "huge_result": {"replace": {"steps_per_epoch": (  # huge for the tests' inputs, not for the "try it" cell
        "def steps_per_epoch(n_samples, batch_size=None):\n"
        "    return 'x' * 40_000_000 if n_samples not in (1000, 8000, 7) else 1\n")},
                    "score": 2.0},  # Part A and total_steps (which calls it) lose; Part C keeps its 2 points
    "huge_print_in_a_try_cell": {"replace": {"steps_per_epoch": "def steps_per_epoch(n_samples, batch_size=None):\n"
                                                                "    return 'x' * 40_000_000\n"},
                                 "score": 0.0},  # its "try it" cell prints 120 MB: the kernel is stopped there
    "print_flood_after_the_answers": {"append": {"last_batch_size": "\nprint('x' * 300_000_000)\n"},
                                      "score": 5.0},  # the kernel is stopped there: Part C's tests do not run
    "print_flood_during_a_test": {"replace": {"last_batch_size": (
        "def last_batch_size(n_samples, batch_size=None):\n    print('y' * 20_000_000)\n"
        "    batch_size = batch_size or 32\n    return n_samples % batch_size or batch_size\n")},
        "score": 5.0},
}


def test_a_stalling_result_or_a_flood_loses_only_its_tests_and_the_grader_stays_small(course):
    cases = {**HONEST, **{f"flood_{name}": case for name, case in FLOODS.items()}}
    hand_in(course, ASSIGNMENT, cases)
    started = time.monotonic()
    result, peak_mb = nbgrader_measured(course, "autograde", ASSIGNMENT, "--force")
    seconds = time.monotonic() - started
    got = scores(course, ASSIGNMENT, cases)
    assert {student: got[student]["score"] for student in cases} == {
        student: case["score"] for student, case in cases.items()}, result.stderr[-3000:]
    assert 0 < peak_mb < 600, f"the grading process peaked at {peak_mb} MB"
    assert seconds < 600, f"{len(cases)} submissions took {seconds:.0f} s: something stalled"
    graded = read(course / "autograded" / "flood_print_flood_after_the_answers" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    reasons = [o.get("evalue", "") for c in graded.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert any("larger than" in reason for reason in reasons), reasons


# the sandbox sees only the kernel side of course_utils ------------------------------------------------


def in_sandbox(tmp_path: pathlib.Path, code: str, sandbox=None) -> subprocess.CompletedProcess:
    import sys

    from course_utils.grading.trusted.sandbox import Sandbox

    folders = [tmp_path / name for name in ("work", "sockets", "scratch")]
    for folder in folders:
        folder.mkdir(exist_ok=True)
    command = (sandbox or Sandbox()).command([sys.executable, "-c", code], workdir=str(folders[0]),
                                             socket_dir=str(folders[1]), scratch_dir=str(folders[2]))
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


IMPORTS = (
    "import importlib\n"
    "for name in ('course_utils.grading.kernel.respond', 'course_utils.grading.observe', 'course_utils.grading.trusted.judge',"
    " 'course_utils.grading.checks', 'course_utils.reference.batching', 'course_utils.reference.gd'):\n"
    "    try:\n        importlib.import_module(name)\n        print('imported', name)\n"
    "    except ImportError:\n        print('missing', name)\n")


def test_a_kernel_imports_the_kernel_side_and_no_reference_however_course_utils_was_found(tmp_path, monkeypatch):
    require_sandbox()
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # course_utils found through PYTHONPATH by the grader
    result = in_sandbox(tmp_path, IMPORTS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:6] == [
        "imported course_utils.grading.kernel.respond", "missing course_utils.grading.observe",
        "missing course_utils.grading.trusted.judge", "missing course_utils.grading.checks",
        "missing course_utils.reference.batching", "missing course_utils.reference.gd"]


def test_an_installed_course_utils_is_hidden_from_the_kernel(tmp_path, monkeypatch):
    """A regular install puts course_utils in site-packages, which the kernel mounts: it sees an empty folder."""
    require_sandbox()
    import shutil

    from course_utils.grading.trusted import sandbox

    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "course_utils", site / "course_utils", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sandbox, "_package_dir", lambda: site / "course_utils")
    sandbox.kernel_site.cache_clear()
    try:
        code = (f"import os\nprint(sorted(os.listdir({str(site / 'course_utils')!r})))\n" + IMPORTS)
        result = in_sandbox(tmp_path, code, sandbox.Sandbox(read_only=(str(site),)))
    finally:
        sandbox.kernel_site.cache_clear()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "[]" and lines[1] == "imported course_utils.grading.kernel.respond"
    assert all(line.startswith("missing") for line in lines[2:7]), lines


def test_autograde_stops_loudly_when_a_kernel_cannot_import_what_it_needs(tmp_path):
    require_sandbox()
    from course_utils.grading.trusted.preprocessors import SandboxedExecute

    nb = nbformat.v4.new_notebook(metadata={"course": {"kernel_modules": ["course_utils.no_such_module"]}})
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    with pytest.raises(RuntimeError, match="cannot grade in this sandbox: a kernel in the sandbox cannot import"):
        SandboxedExecute().preprocess(nb, {"metadata": {"path": str(tmp_path)}})


def test_no_kernel_site_defines_a_graded_function_of_any_assignment():
    """What an assignment's given cells need of course_utils comes without the answers (definitions filtered)."""
    import ast

    from course_utils.grading.trusted import sandbox
    from grading_harness import ASSIGNMENTS, course_metadata, solution_code

    twins = {"BatchLossRecorder", "StepCounter", "count_steps", "steps_per_epoch", "total_steps",
             "linear_mse_gradient", "gradient_descent"}  # course_utils' own versions of graded answers
    for assignment in ASSIGNMENTS:
        graded = twins | set(solution_code(assignment))
        site = pathlib.Path(sandbox.kernel_site(tuple(sorted(course_metadata(assignment).get("kernel_modules", ())))))
        for path in site.rglob("*.py"):
            defined = {n.name for n in ast.parse(path.read_text()).body
                       if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            assert not defined & graded, f"{assignment}: {path.relative_to(site)} defines {defined & graded}"
