"""`make lab`, as the README says to run it, serves the course on 127.0.0.1, for root too.

The tests run the real `make lab`, with LAB_ARGS for what a user on a remote machine
would add (no browser, a port) plus 127.0.0.1 only, as whatever user runs the tests
(root in CI containers). They use the environment the tests run in (`VENV=`) and
`make -o <stamp>`, so make never reinstalls, even while pyproject.toml is newer than
the stamp. Jupyter's folders go to a temporary HOME. Each server is stopped the way
Ctrl-C stops it in a terminal, by a signal to make's whole process group, and the
tests check that nothing of that group is left. What the two commands install (the
course for `make lab`, the test tools on top for `make test`, each stage announced,
pip's progress shown) is read from make's dry run, which installs nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from grading_harness import skip_or_fail
from other_users import as_user

ROOT = pathlib.Path(__file__).resolve().parents[2]
COURSE_MAP = "lessons/00_course-map.ipynb"
ROOT_NOTICE = "Running as root (as in a container): starting JupyterLab with --allow-root."
START_TIMEOUT = 120  # seconds for JupyterLab to answer; it usually takes a few
STOP_TIMEOUT = 60  # seconds for the process group to end after SIGTERM; it usually takes one
MAKE = shutil.which("make")
VENV = pathlib.Path(sys.prefix)
# The Makefile's own spelling when the tests run from the repository's .venv (`make test`).
VENV_ARG = ".venv" if VENV.resolve() == (ROOT / ".venv").resolve() else str(VENV)
# Never through an HTTP proxy from the environment: the server is on 127.0.0.1.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))

pytestmark = pytest.mark.skipif(MAKE is None, reason="`make` is not installed (the README's `make lab` needs it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(home: pathlib.Path) -> dict:
    """The tests' environment with Jupyter's folders in ``home``, and nothing from an enclosing make or Jupyter."""
    outer = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS"}
    env = {key: value for key, value in os.environ.items() if key not in outer and not key.startswith("JUPYTER")}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
        IPYTHONDIR=str(home / ".ipython"),
    )
    return env


def _group_members(pgid: int) -> list[str]:
    """Live (not zombie) processes in the process group, as 'pid command'."""
    proc = pathlib.Path("/proc")
    if not proc.is_dir():  # no /proc: ask the kernel whether the group still exists
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [f"process group {pgid}"]
    members = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        state, _ppid, group = text[text.rindex(")") + 2 :].split()[:3]
        if int(group) == pgid and state != "Z":
            members.append(f"{stat.parent.name} {command.strip()}")
    return members


class Lab:
    """A running `make lab`: its process (leader of its own process group), port and log."""

    def __init__(self, process: subprocess.Popen, port: int, log: pathlib.Path):
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, what: str, found):
        """Polls ``found()`` until it returns something, make exits, or START_TIMEOUT passes."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"make lab exited with {self.process.returncode} before {what}:\n{self.output()[-4000:]}")
            result = found()
            if result:
                return result
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {START_TIMEOUT} s:\n{self.output()[-4000:]}")
            time.sleep(0.5)

    def get(self, path: str, token: str):
        """GET ``path`` with the token; returns (status, body). An HTTP error status raises HTTPError."""
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"token {token}"})
        with HTTP.open(request, timeout=30) as response:
            return response.status, response.read().decode()

    def wait_until_up(self, token: str) -> None:
        def answers():
            try:
                return self.get("/api/status", token)[0] == 200
            except urllib.error.HTTPError:
                raise  # the server answers, but refuses: no point in waiting
            except OSError:  # not listening yet
                return False

        self.wait_for(f"answer from JupyterLab on {self.url}", answers)

    def stop(self) -> list[str]:
        """SIGTERM to the whole process group, as Ctrl-C reaches all of a terminal's foreground group.

        Returns the processes still there after STOP_TIMEOUT (then kills them); [] when all ended.
        """
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while True:
            self.process.poll()  # reaps make once it ends
            left = _group_members(pgid)
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if left:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        return left


@contextlib.contextmanager
def make_lab(tmp_path: pathlib.Path, home: pathlib.Path, lab_args: list, user: str | None = None):
    """Runs `make lab LAB_ARGS="--no-browser <127.0.0.1, a free port> <lab_args>"` in the repository."""
    port = _free_port()
    args = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    command = [MAKE, "-o", f"{VENV_ARG}/.installed", f"VENV={VENV_ARG}", "lab",
               f"LAB_ARGS={shlex.join(args + lab_args)}"]  # fmt: skip
    if user is not None:  # as the user, with HOME the temporary one and this Python reachable
        entry = pwd.getpwnam(user)
        command = as_user(str(entry.pw_uid), str(entry.pw_gid), ["env", f"HOME={home}", *command],
                          tmp_path / "python-view")  # fmt: skip
    log = tmp_path / "make-lab.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=_environment(home), stdin=subprocess.DEVNULL,
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    lab = Lab(process, port, log)
    try:
        yield lab
    finally:
        lab.stop()  # after a failure; a passing test has stopped it already and checked the stop


def _check_course_served(lab: Lab, token: str) -> None:
    """The course map as the server gives it is the repository's, and its links to exercises/ can open."""
    status, body = lab.get(f"/api/contents/{COURSE_MAP}", token)
    served = json.loads(body)
    assert status == 200 and served["type"] == "notebook" and served["name"] == "00_course-map.ipynb"
    on_disk = json.loads((ROOT / COURSE_MAP).read_text(encoding="utf-8"))
    disk_sources = ["".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                    for cell in on_disk["cells"]]  # fmt: skip
    assert [cell["source"] for cell in served["content"]["cells"]] == disk_sources
    # The server's root is the repository, as on Binder: the map's ../exercises/ links resolve.
    status, body = lab.get("/api/contents/exercises?content=0", token)
    assert status == 200 and json.loads(body)["type"] == "directory"
    status, page = lab.get(f"/lab/tree/{COURSE_MAP}", token)
    assert status == 200 and COURSE_MAP in page, page[:2000]


def _check_stopped(lab: Lab) -> None:
    left = lab.stop()
    assert not left, f"left running {STOP_TIMEOUT} s after SIGTERM to make's process group: {left}"


def _lines(lab: Lab) -> list[str]:
    return [line.strip() for line in lab.output().splitlines()]


def test_make_lab_serves_the_course_map(tmp_path):
    token = secrets.token_hex(16)
    with make_lab(tmp_path, tmp_path / "home", [f"--IdentityProvider.token={token}"]) as lab:
        lab.wait_until_up(token)
        _check_course_served(lab, token)
        # The address is in the log for whoever has no browser (a token set in config shows as "...").
        assert f"http://127.0.0.1:{lab.port}/lab?token=" in lab.output()
        assert (ROOT_NOTICE in _lines(lab)) == (os.geteuid() == 0), lab.output()[:3000]
        _check_stopped(lab)


def test_make_lab_prints_the_url_to_open(tmp_path):
    """Without a browser, the URL JupyterLab prints (its port, the token it chose) opens the course."""
    with make_lab(tmp_path, tmp_path / "home", []) as lab:
        pattern = re.compile(rf"http://127\.0\.0\.1:{lab.port}/lab\?token=([0-9a-f]+)")
        url = lab.wait_for("URL with a token in the output", lambda: pattern.search(lab.output()))
        token = url.group(1)
        lab.wait_until_up(token)
        with HTTP.open(url.group(0), timeout=30) as response:  # exactly what the user pastes
            assert response.status == 200
        _check_course_served(lab, token)
        _check_stopped(lab)


def test_make_lab_as_an_ordinary_user(tmp_path):
    """When the tests run as root, the same check as user nobody: no --allow-root, and no notice."""
    if os.geteuid() != 0:
        pytest.skip(f"the tests run as an ordinary user (uid {os.geteuid()}) already: the tests above cover it")
    missing = [tool for tool in ("unshare", "setpriv") if shutil.which(tool) is None]
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        missing.append("the user nobody")
    if missing:
        skip_or_fail(f"{', '.join(missing)} missing: run `bash .ci/install_system_packages.sh`",
                     "make lab as an ordinary user")
    home = pathlib.Path(tempfile.mkdtemp(prefix="make-lab-nobody-"))  # pytest's tmp_path is root's only
    try:
        os.chown(home, nobody.pw_uid, nobody.pw_gid)
        token = secrets.token_hex(16)
        with make_lab(tmp_path, home, [f"--IdentityProvider.token={token}"], user="nobody") as lab:
            lab.wait_until_up(token)
            _check_course_served(lab, token)
            assert ROOT_NOTICE not in _lines(lab) and "--allow-root" not in lab.output(), lab.output()[:3000]
            _check_stopped(lab)
    finally:
        shutil.rmtree(home, ignore_errors=True)


# What `make lab` and `make test` install, read from make's dry run (`make -n`: nothing is run) ----------


def _dry_run(target: str, venv: pathlib.Path) -> str:
    done = subprocess.run([MAKE, "-n", f"VENV={venv}", target], cwd=ROOT, env=_environment(venv.parent / "home"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_lab_installs_what_the_course_needs_with_progress(tmp_path):
    """On a fresh machine: a line per stage, pip's own output (no --quiet), and no test tools."""
    lab = _dry_run("lab", tmp_path / "venv")
    installs = [line for line in lab.splitlines() if "pip install" in line]
    assert installs == [f"{tmp_path}/venv/bin/python -m pip install --upgrade pip",
                        f"{tmp_path}/venv/bin/python -m pip install -e ."], lab
    assert "--quiet" not in lab and "-q " not in lab and "[test]" not in lab
    stages = re.findall(r"^echo \"==> \[(\d)/3\]", lab, re.M)
    assert stages == ["1", "2", "3"], lab
    assert lab.index("[1/3]") < lab.index("-m venv") < lab.index("[2/3]") < lab.index("[3/3]") < lab.index("jupyter lab")


def test_make_test_adds_the_test_tools_once(tmp_path):
    venv = tmp_path / "venv"
    fresh = _dry_run("test", venv)
    assert "pip install -e .\n" in fresh and 'pip install -e ".[test]"' in fresh and "--quiet" not in fresh
    # After `make lab`: `make test` installs only the test tools; after both, nothing.
    venv.mkdir()
    later = time.time() + 60  # newer than pyproject.toml
    (venv / ".installed").touch()
    os.utime(venv / ".installed", (later, later))
    after_lab = _dry_run("test", venv)
    assert "-m venv" not in after_lab and "pip install -e .\n" not in after_lab
    assert 'pip install -e ".[test]"' in after_lab
    assert "pip install" not in _dry_run("lab", venv)
    (venv / ".installed-test").touch()
    os.utime(venv / ".installed-test", (later + 1, later + 1))
    assert "pip install" not in _dry_run("test", venv)


def test_the_readme_states_the_size_of_the_environment():
    """The README's figure for `.venv/` after `make test` is within a quarter of the real one, where it can be measured."""
    stated = re.search(r"`\.venv/` takes about (\d+(?:\.\d)?) GB after `make lab` and (\d+(?:\.\d)?) GB after `make test`",
                       (ROOT / "README.md").read_text(encoding="utf-8"))
    assert stated, "the README should say how much disk .venv takes after `make lab` and after `make test`"
    assert float(stated.group(1)) < float(stated.group(2))
    if VENV.resolve() != (ROOT / ".venv").resolve() or shutil.which("du") is None:
        pytest.skip(f"the tests run from {VENV}, not the repository's .venv that `make test` makes: nothing to measure")
    kib = int(subprocess.run(["du", "-sk", str(VENV)], capture_output=True, text=True, check=True).stdout.split()[0])
    measured = kib / 1024**2  # GiB, as `du -sh` shows it
    assert abs(measured - float(stated.group(2))) <= 0.25 * measured, (
        f".venv takes {measured:.1f} GB, the README says {stated.group(2)} GB")
