"""The classroom loop through nbgrader's exchange, with real, separate Unix users.

docs/instructor_guide.md, section 2a, marks its commands ``exchange-admin`` (run as root),
``exchange-instructor`` (run from a copy of the course) and ``exchange-student`` (run by
each of two students, new Unix users made for the test, in their own home folders). The
test runs them in order, as written, with two substitutions: the exchange and the
``/etc/jupyter`` it configures live in a temporary folder (made every user's
``JUPYTER_CONFIG_PATH``). Between the blocks it does what students do by hand: answer
the fetched notebook. Then it checks what the guide says: scores, feedback, and that a
student can read neither another's submission nor anyone's feedback, nor hand in under
another's name.

Creating users needs root: CI runs as root; elsewhere the test skips (under ``CI=true``
it fails). The Python the course's environment was made from may live in a folder other
users cannot enter (pyenv under /root, mode 700): tests/other_users.py lets the students
run it without seeing anything else of that folder. The user ids, the file modes and the
exchange are the real ones.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import pwd
import shutil
import subprocess
import sys
import tempfile

import nbformat
import pytest
from grading_harness import (BLOCK, ROOT, blocks, course_copy, make_submission, read, require_sandbox, scores,
                             skip_or_fail)
from other_users import as_user

GUIDE = ROOT / "docs" / "instructor_guide.md"
ASSIGNMENT = "ex01_counting_steps"
STUDENTS = {  # user name -> the case they hand in (see tests/grading_cases/ex01_counting_steps.py)
    "nbx-alice": {},
    "nbx-bob": {"edit": {"steps_per_epoch": [("(n_samples + batch_size - 1) // batch_size", "n_samples // batch_size")]}},
}
EXPECTED = {"nbx-alice": 7.0, "nbx-bob": 2.0}
VENV_BIN = pathlib.Path(sys.executable).parent


def require_root_and_useradd() -> None:
    reason = None
    if os.geteuid() != 0:
        reason = f"creating the students' Unix users needs root (running as uid {os.geteuid()}); CI runs as root"
    elif not all(shutil.which(tool) for tool in ("useradd", "userdel", "setpriv", "unshare")):
        reason = "useradd/userdel (passwd) or setpriv/unshare (util-linux) is missing: run `bash .ci/install_system_packages.sh`"
    skip_or_fail(reason, "the exchange with real users")


class Classroom:
    """A temporary exchange, course copy and student users; removed on exit."""

    def __init__(self, base: pathlib.Path):
        self.base = base
        self.exchange = base / "exchange"
        self.etc_jupyter = base / "etc-jupyter"
        self.course = course_copy(base / "course")
        self.homes = base / "home"
        self.stash = base / "python-view"
        for folder in (self.homes, self.stash):
            folder.mkdir(mode=0o755)
        os.chmod(base, 0o711)  # others may pass through, not list
        os.chmod(self.course, 0o700)  # the instructor's: students must not read it

    def env(self, home: pathlib.Path, user: str) -> dict[str, str]:
        return {"HOME": str(home), "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
                "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
                "JUPYTER_CONFIG_PATH": str(self.etc_jupyter)}  # fmt: skip

    def substitute(self, code: str) -> str:
        return code.replace("/srv/nbgrader/exchange", str(self.exchange)).replace("/etc/jupyter", str(self.etc_jupyter))

    def add_student(self, name: str) -> pathlib.Path:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            subprocess.run(["userdel", name], check=True)  # left over from an interrupted run
        home = self.homes / name
        subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/sh",
                        "--user-group", name], check=True, capture_output=True)  # fmt: skip
        home.mkdir(mode=0o700)
        user = pwd.getpwnam(name)
        os.chown(home, user.pw_uid, user.pw_gid)
        return home

    def as_root(self, code: str) -> subprocess.CompletedProcess:
        return self._check(subprocess.run(["bash", "-e", "-c", self.substitute(code)], cwd=self.base,
                                          capture_output=True, text=True, timeout=60), code)  # fmt: skip

    def as_instructor(self, code: str) -> subprocess.CompletedProcess:
        env = dict(self.env(pathlib.Path(os.environ.get("HOME", "/root")), pwd.getpwuid(os.geteuid()).pw_name))
        result = subprocess.run(["bash", "-e", "-c", self.substitute(code)], cwd=self.course, env=env,
                                capture_output=True, text=True, timeout=900)  # fmt: skip
        return self._check(result, code)

    def as_student(self, name: str, code: str, check: bool = True) -> subprocess.CompletedProcess:
        home = self.homes / name
        command = as_user(name, name, ["bash", "-e", "-c", self.substitute(code)], self.stash, cwd=home)
        result = subprocess.run(command, env=self.env(home, name), capture_output=True, text=True, timeout=300)
        return self._check(result, code) if check else result

    @staticmethod
    def _check(result: subprocess.CompletedProcess, code: str) -> subprocess.CompletedProcess:
        assert result.returncode == 0, f"the guide's block failed:\n{code}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
        return result


@pytest.fixture
def classroom():
    require_root_and_useradd()
    require_sandbox()
    base = pathlib.Path(tempfile.mkdtemp(prefix="exchange-"))  # pytest's tmp_path is root's only
    room = Classroom(base)
    try:
        yield room
    finally:
        for name in STUDENTS:
            subprocess.run(["userdel", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def answer(room: Classroom, name: str) -> None:
    """What a student does by hand after fetching: write their answers into the notebook."""
    path = room.homes / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nbformat.write(make_submission(read(path), ASSIGNMENT, STUDENTS[name]), str(path))
    user = pwd.getpwnam(name)
    os.chown(path, user.pw_uid, user.pw_gid)


def test_the_guide_marks_the_classroom_loop():
    kinds = [who for who in ("exchange-admin", "exchange-instructor", "exchange-student") if blocks(GUIDE, who)]
    assert kinds == ["exchange-admin", "exchange-instructor", "exchange-student"]
    commands = " ".join(code for who in kinds for _, code in blocks(GUIDE, who))
    for step in ("release_assignment", "fetch_assignment", "submit", "collect", "course_utils.grading.trusted.autograde",
                 "generate_feedback", "release_feedback", "fetch_feedback"):
        assert step in commands, step


def test_the_classroom_loop_runs_as_written_with_real_users(classroom):
    room = classroom
    homes = {name: room.add_student(name) for name in STUDENTS}
    for who, code in ordered_blocks():
        if who == "exchange-admin":
            room.as_root(code)
        elif who == "exchange-instructor":
            room.as_instructor(code)
        else:
            for name in STUDENTS:
                result = room.as_student(name, code)
                if "nbgrader list" in code:
                    assert f"{ASSIGNMENT}" in result.stdout + result.stderr, result.stderr
                if "fetch_assignment" in code:
                    answer(room, name)

    got = scores(room.course, ASSIGNMENT, STUDENTS)
    assert {name: found["score"] for name, found in got.items()} == EXPECTED
    for name in STUDENTS:
        [fetched] = (homes[name] / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")
        html = fetched.read_text()
        assert f"Score: {EXPECTED[name]} / 7.0" in html, name
        others = [other for other in STUDENTS if other != name]
        assert not any(other in html for other in others), f"{name}'s feedback names another student"
    bob = next((homes["nbx-bob"] / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")).read_text()
    assert "is the last partial batch counted?" in bob  # the failed test's message reaches the student
    assert "BEGIN HIDDEN TESTS" not in bob and "### BEGIN" not in bob

    _students_cannot_read_each_other(room)
    _a_submission_under_another_name_is_not_collected(room)


def ordered_blocks() -> list[tuple[str, str]]:
    """``(who, code)`` of the guide's exchange blocks, in the order they appear."""
    return [(m["who"], m["body"]) for m in BLOCK.finditer(GUIDE.read_text()) if m["who"].startswith("exchange-")]


PROBE = """
import os, sys
for path in sys.argv[1:]:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").close()
        print("READ", path)
    except OSError as error:
        print("DENIED", path, type(error).__name__)
"""


def _students_cannot_read_each_other(room: Classroom) -> None:
    course_dir = room.exchange / "batches-epochs-steps"
    alice_submission = next((course_dir / "inbound").glob(f"nbx-alice+{ASSIGNMENT}+*"))
    feedback_files = list((course_dir / "feedback").glob("*.html"))
    assert len(feedback_files) == 2
    targets = [course_dir / "inbound", course_dir / "feedback", room.homes / "nbx-alice",
               room.course, room.course / "gradebook.db", room.base]  # fmt: skip
    code = f"python -c '{PROBE}' " + " ".join(f"'{t}'" for t in targets)
    probe = room.as_student("nbx-bob", code).stdout
    for target in targets:
        assert f"DENIED {target} PermissionError" in probe, probe
    # what a student may read: the release, and only by exact names they cannot learn
    assert f"READ {course_dir / 'outbound' / ASSIGNMENT}" in room.as_student(
        "nbx-bob", f"python -c '{PROBE}' '{course_dir / 'outbound' / ASSIGNMENT}'").stdout
    assert alice_submission.name.count("+") == 3  # user+assignment+time+random: not guessable


def _a_submission_under_another_name_is_not_collected(room: Classroom) -> None:
    """bob hands in a blank notebook as alice; collect skips it and keeps alice's own."""
    mine = room.course / "submitted" / "nbx-alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    alices = mine.read_text()
    blank = room.homes / "nbx-bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nbformat.write(read(room.course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), str(blank))
    os.chown(blank, pwd.getpwnam("nbx-bob").pw_uid, pwd.getpwnam("nbx-bob").pw_gid)
    room.as_student("nbx-bob", f"nbgrader submit {ASSIGNMENT} --student=nbx-alice")
    impostor = [p for p in (room.exchange / "batches-epochs-steps" / "inbound").glob(f"nbx-alice+{ASSIGNMENT}+*")
                if p.stat().st_uid == pwd.getpwnam("nbx-bob").pw_uid]
    assert len(impostor) == 1, "bob's submission as alice should be in the inbound folder"
    collected = room.as_instructor(f"nbgrader collect {ASSIGNMENT} --update")
    assert "Not collected" in collected.stderr and "handed in by user 'nbx-bob'" in collected.stderr, collected.stderr
    assert mine.read_text() == alices, "alice's collected submission must still be her own"


def test_collect_takes_each_students_newest_genuine_submission(tmp_path):
    """Owned by another user, a newer submission is skipped; an older genuine one is collected instead."""
    if os.geteuid() != 0:
        pytest.skip("giving files to other users needs root; CI runs as root")
    genuine, impostor = pwd.getpwnam("nobody"), pwd.getpwnam("daemon")
    inbound = tmp_path / "exchange" / "batches-epochs-steps" / "inbound"
    inbound.mkdir(parents=True)
    handed_in = {"2026-03-01 10:00:00.000000 UTC": genuine, "2026-03-02 10:00:00.000000 UTC": impostor}
    for when, owner in handed_in.items():
        folder = inbound / f"nobody+{ASSIGNMENT}+{when}+{owner.pw_name}"
        folder.mkdir()
        (folder / f"{ASSIGNMENT}.ipynb").write_text(owner.pw_name)
        (folder / "timestamp.txt").write_text(when)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    (tmp_path / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "collect", ASSIGNMENT, f"--Exchange.root={tmp_path / 'exchange'}",
         "--CourseDirectory.course_id=batches-epochs-steps"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "handed in by user 'daemon'" in result.stderr, result.stderr
    collected = tmp_path / "submitted" / "nobody" / ASSIGNMENT
    assert (collected / f"{ASSIGNMENT}.ipynb").read_text() == "nobody"
    assert (collected / "timestamp.txt").read_text() == "2026-03-01 10:00:00.000000 UTC"
