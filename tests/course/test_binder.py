"""Binder: postBuild runs cleanly in a fresh virtual environment, and the self-learner settings are real.

binder-settings/ mirrors an environment's prefix; postBuild installs course_utils
and copies binder-settings/ over the prefix. (environment.yml against
pyproject.toml is tests/course/test_environment.py's job.)
"""

import importlib
import json
import os
import pathlib
import re
import shutil
import secrets
import socket
import stat
import subprocess
import sys
import time
import urllib.request
import venv

import jsonschema
import pytest
from jupyter_core.paths import jupyter_path
from jupyter_server.services.config.manager import ConfigManager

ROOT = pathlib.Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "binder-settings"
PAGE_CONFIG = SETTINGS / "etc/jupyter/labconfig/page_config.d/zz-self-learner.json"
SERVER_CONFIG = SETTINGS / "etc/jupyter/jupyter_server_config.d/zz-self-learner.json"
KERNEL_CONFIG = SETTINGS / "etc/jupyter/jupyter_server_config.json"  # the *.d folders are read for extensions only
OVERRIDES = SETTINGS / "share/jupyter/lab/settings/overrides.d/zz-self-learner.json"
INSTRUCTOR_PLUGINS = {"formgrader", "create-assignment", "course-list", "assignment-list", "menu"}


def _json(path: pathlib.Path) -> dict:
    return json.loads(path.read_text())


def _installed_lab_plugin_ids(package: str) -> set[str]:
    """Plugin ids that appear in an installed prebuilt lab extension's JavaScript."""
    text = ""
    for base in jupyter_path("labextensions"):
        for script in (pathlib.Path(base) / package / "static").glob("*.js"):
            text += script.read_text(errors="replace")
    return set(re.findall(re.escape(package) + r":[a-z][a-z-]*", text))


def _schema(plugin_id: str) -> dict:
    package, plugin = plugin_id.split(":")
    for base in jupyter_path("lab"):
        path = pathlib.Path(base) / "schemas" / package / f"{plugin}.json"
        if path.exists():
            return _json(path)
    raise AssertionError(f"no settings schema for {plugin_id}")


def test_every_settings_file_is_json():
    files = sorted(SETTINGS.rglob("*"))
    assert {PAGE_CONFIG, SERVER_CONFIG, KERNEL_CONFIG, OVERRIDES} <= set(files)
    for path in (f for f in files if f.is_file()):
        assert path.suffix == ".json", f"{path}: only JSON settings belong in binder-settings/"
        _json(path)


def test_page_config_hides_real_instructor_plugins_and_keeps_validate():
    disabled = _json(PAGE_CONFIG)["disabledExtensions"]
    plugins = _installed_lab_plugin_ids("@jupyter/nbgrader")
    assert "@jupyter/nbgrader:validate-assignment" in plugins, f"nbgrader's lab plugins not found: {plugins}"
    assert set(disabled) <= plugins, f"not plugins of the installed nbgrader: {set(disabled) - plugins}"
    assert {name.split(":")[1] for name, off in disabled.items() if off} == INSTRUCTOR_PLUGINS
    assert "@jupyter/nbgrader:validate-assignment" not in disabled


def test_server_config_turns_off_real_instructor_endpoints_and_keeps_validate():
    extensions = _json(SERVER_CONFIG)["ServerApp"]["jpserver_extensions"]
    for module in extensions:
        loaded = importlib.import_module(module)
        assert hasattr(loaded, "_jupyter_server_extension_points") or hasattr(loaded, "load_jupyter_server_extension")
    assert extensions == {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False,
        "nbgrader.server_extensions.assignment_list": False,
        "nbgrader.server_extensions.validate_assignment": True,
    }


CULLING = {"cull_idle_timeout": 1200, "cull_interval": 120, "cull_connected": True, "cull_busy": False}


def test_idle_kernels_are_culled_with_real_kernel_manager_settings():
    """20 idle minutes shut a kernel down, open notebook or not, never while it runs a cell (postBuild says why)."""
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from traitlets.config import Config

    settings = _json(KERNEL_CONFIG)["MappingKernelManager"]
    assert settings == CULLING
    assert set(settings) <= set(AsyncMappingKernelManager.class_traits(config=True))
    manager = AsyncMappingKernelManager(config=Config({"MappingKernelManager": settings}))
    assert {key: getattr(manager, key) for key in settings} == CULLING
    assert 0 < manager.cull_interval < manager.cull_idle_timeout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_server_with_the_binder_settings_culls_idle_kernels(tmp_path):
    """A real Jupyter server reading binder-settings/ starts its kernel culler with those settings."""
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path / "home"
    env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER")}
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_CONFIG_PATH=str(SETTINGS / "etc" / "jupyter"))
    log = tmp_path / "server.log"
    with open(log, "wb") as stream:
        server = subprocess.Popen([sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
                                   f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
                                   f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}"],
                                  env=env, stdout=stream, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
    try:
        deadline = time.monotonic() + 90
        while True:  # the culler starts with the first kernel
            assert server.poll() is None, log.read_text()
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/api/kernels", data=b"{}", headers=headers)
                with opener.open(request, timeout=30) as response:
                    assert response.status == 201
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        expected = ["Culling kernels with idle durations > 1200 seconds at 120 second intervals",
                    "Culling kernels even with connected clients"]
        while not all(line in log.read_text() for line in expected):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        assert "Culling kernels even if busy" not in log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_overrides_are_valid_settings_of_real_plugins():
    for plugin_id, settings in _json(OVERRIDES).items():
        properties = _schema(plugin_id)["properties"]
        for key, value in settings.items():
            assert key in properties, f"{plugin_id} has no setting {key!r}"
            jsonschema.validate(value, properties[key])


def test_post_build_is_an_executable_bash_script():
    script = ROOT / "postBuild"
    assert script.stat().st_mode & stat.S_IXUSR, "postBuild must be executable (git update-index --chmod=+x)"
    assert script.read_text().startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(script)], check=True)


@pytest.fixture(scope="module")
def fresh_binder_prefix(tmp_path_factory):
    """A fresh venv (standing in for Binder's conda env, nbgrader's own server config in place); postBuild run twice.

    postBuild's pip step builds course_utils with build isolation, so it needs
    the package registry (for setuptools), as Binder's build does.
    """
    base = tmp_path_factory.mktemp("binder")
    repo, prefix = base / "repo", base / "env"
    repo.mkdir()
    for name in ("postBuild", "pyproject.toml", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, repo / name)
    for name in ("course_utils", "binder-settings"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    venv.create(prefix, with_pip=True)
    nbgrader_json = pathlib.Path(sys.prefix, "etc/jupyter/jupyter_server_config.d/nbgrader.json")
    server_d = prefix / "etc/jupyter/jupyter_server_config.d"
    server_d.mkdir(parents=True)
    shutil.copy2(nbgrader_json, server_d / "nbgrader.json")  # as `pip install nbgrader` leaves it
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{prefix / 'bin'}{os.pathsep}{env['PATH']}"
    for run in (1, 2):  # a second run must succeed too (Binder rebuilds, people rerun it)
        result = subprocess.run([str(repo / "postBuild")], cwd=base, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"postBuild run {run} failed:\n{result.stdout}\n{result.stderr}"
    return {"prefix": prefix, "repo": repo, "output": result.stdout}


def test_post_build_installs_course_utils_editable(fresh_binder_prefix):
    python = fresh_binder_prefix["prefix"] / "bin" / "python"
    origin = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('course_utils').origin)"],
                            cwd=fresh_binder_prefix["prefix"], capture_output=True, text=True, check=True).stdout.strip()
    assert pathlib.Path(origin) == fresh_binder_prefix["repo"] / "course_utils" / "__init__.py"


def test_post_build_settings_win_over_nbgrader_defaults(fresh_binder_prefix):
    etc = fresh_binder_prefix["prefix"] / "etc" / "jupyter"
    server = ConfigManager(read_config_path=[str(etc)]).get("jupyter_server_config")["ServerApp"]["jpserver_extensions"]
    assert server["nbgrader.server_extensions.formgrader"] is False
    assert server["nbgrader.server_extensions.validate_assignment"] is True
    assert _json(etc / "jupyter_server_config.json")["MappingKernelManager"] == CULLING
    page = ConfigManager(read_config_path=[str(etc / "labconfig")]).get("page_config")
    assert page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True
    overrides = fresh_binder_prefix["prefix"] / "share/jupyter/lab/settings/overrides.d/zz-self-learner.json"
    assert _json(overrides) == _json(OVERRIDES)


def test_every_kernel_loads_the_run_all_extension():
    """binder-settings/ (postBuild) and .venv (make) give kernels course_utils.grading.runall."""
    config = _json(SETTINGS / "etc" / "ipython" / "ipython_kernel_config.json")
    assert config["InteractiveShellApp"]["extensions"] == ["course_utils.grading.runall"]
    makefile = (ROOT / "Makefile").read_text()
    assert "binder-settings/etc/ipython/ipython_kernel_config.json" in makefile
    assert "$(VENV)/etc/ipython/ipython_kernel_config.json" in makefile


def test_a_kernel_of_the_environment_has_the_run_all_extension_loaded(tmp_path):
    """What `make lab`/`make test` install: a new kernel of the course's environment loads the extension."""
    import sys

    import nbformat
    from nbclient import NotebookClient

    if not (pathlib.Path(sys.prefix) / "etc" / "ipython" / "ipython_kernel_config.json").exists():
        pytest.skip("the environment has no kernel config: run the tests with `make test`, which installs it")
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("print(sorted(get_ipython().extension_manager.loaded))"))
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert "course_utils.grading.runall" in nb.cells[0].outputs[0]["text"]
