"""JupyterLab on 127.0.0.1 (token, temp copy of the course, the Binder settings) and headless Chromium.

Skips cleanly without /usr/bin/chromium (Debian's ``chromium``) or the
``playwright`` package; CI installs both (.ci/install_system_packages.sh and
the test extra). Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest
from notebook_reading import read

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# Test-only JupyterLab settings: render every cell (no windowing), so the test sees all outputs.
TEST_OVERRIDES = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}
EXPLORER_CELL = "from course_utils.experiments.explorer import explore_batch_size\n\nexplore_batch_size()"
# Fills the place of a lesson or an exercise while it is being written (see course_copy).
FALLBACK_LESSON_CELLS = [
    "import matplotlib.pyplot as plt\nfrom course_utils.experiments.plotting import plot_batch_assignment\n\n"
    "plot_batch_assignment(n_samples=10, batch_size=4)\nplt.show()",
    EXPLORER_CELL,
]
PROGRESS_CELLS = [
    # course_utils' bar: 5000 steps per epoch take long enough for several carriage-return redraws.
    "from course_utils import SGD, Dense, fit\nfrom course_utils.reference.datasets import linear_regression\n\n"
    "X, y = linear_regression(n_samples=5000)\n"
    "history = fit(Dense(1, rng=0), X, y, loss='mse', optimizer=SGD(0.01), batch_size=1, epochs=2, rng=0)",
    "history = fit(Dense(1, rng=0), X, y, loss='mse', optimizer=SGD(0.01), batch_size=1, epochs=2, rng=0, verbose=0)",
    "from course_utils.experiments.keras_tools import dense_model\n\nmodel = dense_model(1)\n"
    "model.compile(optimizer='sgd', loss='mse')\nkeras_history = model.fit(X, y, batch_size=32, epochs=2, verbose=1)",
    "keras_history = model.fit(X, y, batch_size=32, epochs=2, verbose=0)",
]


# ex01 with a wrong Part A (floor division drops the last partial batch): Validate and Run All must show Parts B, C.
WRONG_PART_A = {"edit": {"steps_per_epoch": [("n_samples + batch_size - 1) // batch_size", "n_samples) // batch_size")]}}


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium (skipped without it)")


def _notebook(cells: list, metadata: list | None = None) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    for cell, cell_metadata in zip(notebook.cells, metadata or []):
        cell.metadata.update(cell_metadata)
    return notebook


def _fallback_exercise() -> nbformat.NotebookNode:
    """A release-style nbgrader notebook: an unanswered solution cell and its graded test."""
    nbgrader = {"schema_version": 3, "locked": False, "points": 0}
    return _notebook(
        ["def add(a, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()", "assert add(1, 2) == 3"],
        [
            {"nbgrader": {**nbgrader, "grade": False, "solution": True, "task": False, "grade_id": "add"}},
            {"nbgrader": {**nbgrader, "grade": True, "solution": False, "task": False, "locked": True,
                          "grade_id": "test_add", "points": 1}},
        ],
    )


def _first(pattern: str, root: pathlib.Path):
    found = sorted(root.glob(pattern))
    return found[0] if found else None


@pytest.fixture(scope="session")
def playwright_api():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (.ci/install_system_packages.sh)")
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


@pytest.fixture(scope="session")
def course_copy(tmp_path_factory) -> dict:
    """A temp copy of the course; returns the notebook paths the tests open, relative to it.

    Lesson 1 and one exercise come from the repository; while they are being
    written, small stand-ins take their place. A lesson without the explorer
    gets an explorer cell appended (in the copy only).
    """
    course = tmp_path_factory.mktemp("course")
    for name in ("lessons", "exercises", "README.md", "nbgrader_config.py"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, course / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        elif source.exists():
            shutil.copy2(source, course / name)
    (course / "lessons").mkdir(exist_ok=True)
    lesson = _first("lessons/01_*.ipynb", course)
    if lesson is None:
        lesson = course / "lessons" / "01_stand-in.ipynb"
        nbformat.write(_notebook(FALLBACK_LESSON_CELLS), lesson)
    notebook = read(lesson)
    if not any("explore_batch_size" in cell.source for cell in notebook.cells):
        notebook.cells.append(nbformat.v4.new_code_cell(EXPLORER_CELL))
        nbformat.write(notebook, lesson)
    exercise = _first("exercises/*/*.ipynb", course)
    if exercise is None:
        exercise = course / "exercises" / "ex00_stand_in" / "ex00_stand_in.ipynb"
        exercise.parent.mkdir(parents=True)
        nbformat.write(_fallback_exercise(), exercise)
    wrong_part_a = None
    release = course / "exercises" / "ex01_counting_steps" / "ex01_counting_steps.ipynb"
    if release.exists():
        sys.path.insert(0, str(ROOT / "tests"))
        from grading_harness import make_submission

        wrong_part_a = release.with_name("wrong_part_a.ipynb")
        nbformat.write(make_submission(read(release), "ex01_counting_steps", WRONG_PART_A),
                       wrong_part_a)
    progress = course / "progress-bars.ipynb"
    nbformat.write(_notebook(PROGRESS_CELLS), progress)
    return {
        "root": course,
        "lesson": lesson.relative_to(course).as_posix(),
        "exercise": exercise.relative_to(course).as_posix(),
        "progress": progress.relative_to(course).as_posix(),
        "wrong_part_a": wrong_part_a.relative_to(course).as_posix() if wrong_part_a else None,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _jupyter_dirs(base: pathlib.Path) -> dict:
    """Fresh Jupyter folders, with binder-settings/ laid over them as postBuild lays it over Binder's prefix."""
    config_path, settings = base / "binder-etc", base / "app-settings"
    shutil.copytree(ROOT / "binder-settings" / "etc" / "jupyter", config_path)
    shutil.copytree(ROOT / "binder-settings" / "share" / "jupyter" / "lab" / "settings", settings)
    (settings / "overrides.d" / "zzz-browser-test.json").write_text(json.dumps(TEST_OVERRIDES))
    # The kernel loads course_utils.grading.runall, as the course's environment does (docs/checking_your_answers.md):
    # a failing test cell shows its failure and Run All goes on. The environment's own file when there is one.
    profile = base / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    shutil.copy(ROOT / "binder-settings" / "etc" / "ipython" / "ipython_kernel_config.json", profile)
    env = {
        "JUPYTER_CONFIG_DIR": base / "user-config",
        "JUPYTER_DATA_DIR": base / "user-data",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "JUPYTER_CONFIG_PATH": config_path,
        "IPYTHONDIR": base / "ipython",
    }
    return {"env": {key: str(value) for key, value in env.items()}, "settings": settings}


@pytest.fixture(scope="session")
def lab(course_copy, playwright_api, tmp_path_factory) -> dict:
    """A JupyterLab server on 127.0.0.1 with a token, serving the temp copy; yields its URL and token."""
    base = tmp_path_factory.mktemp("jupyter")
    dirs = _jupyter_dirs(base)
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course_copy['root']}",
        f"--LabApp.app_settings_dir={dirs['settings']}", "--ServerApp.allow_root=True",  # CI containers run as root
    ]  # fmt: skip
    log = open(base / "jupyterlab.log", "w")
    server = subprocess.Popen(command, env={**os.environ, **dirs["env"]}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/api/status?token={token}", server, base / "jupyterlab.log")
        yield {"url": url, "token": token, "log": base / "jupyterlab.log"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(base / "jupyterlab.log", ARTIFACTS / "jupyterlab.log")


def _wait_until_up(status_url: str, server: subprocess.Popen, log_path: pathlib.Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(status_url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {timeout} s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def browser_context(playwright_api, tmp_path_factory):
    """Headless Debian Chromium (no browser download) with a fresh profile."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(30_000)
        yield context
        context.close()


@pytest.fixture
def page(browser_context, request):
    """A new tab; a screenshot of it lands in test-artifacts/browser/ when the test ends, pass or fail."""
    page = browser_context.new_page()
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"))
    finally:
        page.close()
