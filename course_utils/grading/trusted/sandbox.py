"""A kernel in a sandbox: bubblewrap (Debian's ``bubblewrap``) around ipykernel, with resource limits.

Trusted side. Inside the sandbox a submission's kernel has no network, sees the
system's programs and libraries and the Python environment read-only, and can
write only its own working copy and a scratch ``/tmp``; the course's other
folders (``solutions/``, ``submitted/``, the gradebook, the repository) are not
there at all. Of ``course_utils`` it sees only a *kernel site*
(:func:`kernel_site`): the kernel side of grading and the modules the
assignment's given cells use, mounted at :data:`KERNEL_SITE` and first on
``PYTHONPATH``; the real package is hidden wherever it is installed
(editable, in site-packages, or on ``PYTHONPATH``), so no reference answer and no
test is importable. It runs in its own PID namespace, so every
process it starts is killed when it ends, and under limits on memory, CPU time,
processes, open files and file size. It is started with ``transport="ipc"``
(Unix sockets in a folder shared with the sandbox): TCP cannot cross into a
network namespace of its own.
"""

from __future__ import annotations

import ast
import atexit
import functools
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

INSTALL_HINT = "install it with `bash .ci/install_system_packages.sh` (Debian's bubblewrap package)"

ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf", "localtime",
             "alternatives", "fonts", "mime.types")
"""What of /etc a kernel needs: the loader's cache, user names, time zone; not the rest."""

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt/conda")

THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
              "TF_NUM_INTEROP_THREADS")
"""Thread counts of NumPy's BLAS and TensorFlow in the kernel. With ``Limits.threads`` > 0 all are set
to it: ``SandboxedExecute`` gives each kernel a share of the cores among the kernels alive at once (the
one grading, its warm spare, the other workers'), so that they do not fight over the cores (Dask sets
them to 1 in its workers for the same reason). With 0 they pass through from the grader's environment."""

PASS_ENV = ("LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ", *THREAD_ENV)
"""Environment variables a kernel keeps; all others (tokens, passwords, database URLs) are dropped."""


KERNEL_SITE = "/course-kernel"
"""Where the kernel site is mounted inside the sandbox (first on the kernel's ``PYTHONPATH``)."""

KERNEL_PACKAGE = "course_utils.grading.kernel"
"""What every graded kernel imports: the kernel side of grading."""


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    """Per-kernel limits, applied with ``prlimit`` inside the sandbox."""

    memory_bytes: int = 4 * 2**30  # address space: TensorFlow needs about 2 GiB of it
    cpu_seconds: int = 900
    processes: int = 512  # tasks (threads count too) of the sandbox's user
    open_files: int = 1024
    file_bytes: int = 64 * 2**20
    threads: int = 0  # of NumPy's BLAS and TensorFlow (THREAD_ENV; 0: as the grader's environment says)

    def prlimit_args(self) -> list[str]:
        return [f"--as={self.memory_bytes}", f"--cpu={self.cpu_seconds}", f"--nproc={self.processes}",
                f"--nofile={self.open_files}", f"--fsize={self.file_bytes}", "--core=0"]


@dataclass(frozen=True)
class Sandbox:
    """How to wrap a kernel command: what it may read, what it may write, its limits."""

    limits: Limits = field(default_factory=Limits)
    read_only: tuple[str, ...] = ()
    bwrap: str = "bwrap"
    kernel_modules: tuple[str, ...] = ()  # course_utils modules the given cells import (besides the kernel side)

    def available(self) -> str | None:
        """None when the sandbox works here, else the reason it does not."""
        if shutil.which(self.bwrap) is None:
            return f"bubblewrap ({self.bwrap}) is not installed: {INSTALL_HINT}"
        if shutil.which("prlimit") is None:
            return "prlimit (util-linux) is not installed"
        return None

    def command(self, argv: list[str], *, workdir: str, socket_dir: str, scratch_dir: str,
                work_copy: str | None = None) -> list[str]:
        """``argv`` run in the sandbox, in ``workdir`` (writable), with ``socket_dir`` shared for the kernel's sockets.

        With ``work_copy``, that folder is what the kernel sees (and writes) at ``workdir``'s path:
        the real ``workdir`` is then never touched, so nothing the kernel leaves there (a symbolic
        link to the gradebook, say) can mislead the grading process that writes into it afterwards.
        """
        args = [shutil.which(self.bwrap) or self.bwrap, "--unshare-all", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", "--clearenv"]
        for name, value in self.environment(self.limits.threads).items():
            args += ["--setenv", name, value]
        # /tmp first: the environment, the course or the sockets may live under /tmp, mounted over it
        args += ["--proc", "/proc", "--dev", "/dev", "--bind", scratch_dir, "/tmp"]
        args += self._system_binds()
        mounted = sorted(set(self.read_only) | set(python_paths()))
        for path in mounted:
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
        package = os.path.realpath(_package_dir())
        if any(package == m or package.startswith(m.rstrip("/") + "/") for m in map(os.path.realpath, mounted)):
            args += ["--tmpfs", package, "--remount-ro", package]  # an installed course_utils: hidden
        args += ["--ro-bind", kernel_site(tuple(sorted(self.kernel_modules))), KERNEL_SITE]
        args += ["--bind", socket_dir, socket_dir, "--bind", work_copy or workdir, workdir]
        args += ["--chdir", workdir, "--", shutil.which("prlimit") or "prlimit", *self.limits.prlimit_args(), "--"]
        return args + list(argv)

    @staticmethod
    def environment(threads: int = 0) -> dict[str, str]:
        env = {name: os.environ[name] for name in PASS_ENV if name in os.environ}
        if threads > 0:
            env.update({name: str(threads) for name in THREAD_ENV})
        env.update(HOME="/tmp", PATH=f"{pathlib.Path(sys.executable).parent}:/usr/bin:/bin", PYTHONPATH=KERNEL_SITE,
                   MPLCONFIGDIR="/tmp/matplotlib", KERAS_HOME="/tmp/keras", TF_CPP_MIN_LOG_LEVEL="3",
                   PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1")
        env.setdefault("LANG", "C.UTF-8")
        return env

    @staticmethod
    def _system_binds() -> list[str]:
        args = []
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for name in ETC_FILES:
            path = os.path.join("/etc", name)
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
        return args


    def kernel_problem(self) -> str | None:
        """None when a kernel in this sandbox can import the kernel side and its modules, else why not."""
        return _kernel_problem(self)


def python_paths() -> list[str]:
    """The interpreter's prefixes (a venv's python links to its base)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    real = {os.path.realpath(p) for p in paths}
    return sorted(paths | real)


def _package_dir() -> pathlib.Path:
    import course_utils

    return pathlib.Path(course_utils.__file__).resolve().parent


_MINIMAL_INIT = '''"""The part of course_utils a graded kernel sees (see course_utils.grading.trusted.sandbox)."""\n'''


def needed_modules(modules) -> list[str]:
    """``modules`` and every ``course_utils`` module they import (by ``import`` or by name in a string).

    An entry may name only some of a module's definitions: ``"course_utils.experiments.keras_tools:dense_model"``.
    """
    package, found, todo = _package_dir(), set(), [KERNEL_PACKAGE, *(m.split(":")[0] for m in modules)]
    while todo:
        name = todo.pop()
        path = _module_path(package, name)
        if name in found or path is None or not name.startswith("course_utils."):
            continue
        found.add(name)
        if path.is_dir() and name != KERNEL_PACKAGE:
            continue  # a package such as course_utils.reference: its (minimal) __init__, not its modules
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        for file in files:
            todo += _imports_of(file.read_text()) + ([f"{name}.{file.stem}"] if path.is_dir() else [])
    return sorted(found)


def _module_path(package: pathlib.Path, name: str) -> pathlib.Path | None:
    relative = pathlib.Path(*name.split(".")[1:])
    for path in (package / relative, (package / relative).with_suffix(".py")):
        if path.exists():
            return path
    return None


def _imports_of(source: str) -> list[str]:
    names = re.findall(r"[\"'](course_utils(?:\.\w+)+)[\"']", source)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return [n for n in names if n.startswith("course_utils.")]


@functools.lru_cache(maxsize=None)
def kernel_site(modules: tuple[str, ...] = ()) -> str:
    """A folder holding the part of course_utils a graded kernel may import: the kernel side and ``modules``.

    Made once per grading process (and removed when it ends); packages get a
    minimal ``__init__.py``, so importing ``course_utils`` there imports nothing else.
    """
    package, site = _package_dir(), pathlib.Path(tempfile.mkdtemp(prefix="course-kernel-site-"))
    atexit.register(shutil.rmtree, site, True)
    only = {m.split(":")[0]: set(m.split(":")[1].split(",")) - {""} for m in modules if ":" in m}
    for name in needed_modules(modules):
        source = _module_path(package, name)
        target = site / source.relative_to(package.parent)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            for item in source.iterdir() if name == KERNEL_PACKAGE else ():
                if item.is_file() and item.suffix in (".py", ".npz"):
                    shutil.copy(item, target / item.name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            text = source.read_text()
            target.write_text(only_definitions(text, only[name]) if name in only else text)
    if any(name == "course_utils.reference.datasets" for name in needed_modules(modules)):
        shutil.copytree(package / "reference" / "data", site / "course_utils" / "reference" / "data",
                        dirs_exist_ok=True)
    for folder in [site / "course_utils", *(p for p in (site / "course_utils").rglob("*") if p.is_dir())]:
        if not (folder / "__init__.py").exists() or folder.name in ("course_utils", "grading"):
            (folder / "__init__.py").write_text(_MINIMAL_INIT)
    return str(site)


def only_definitions(source: str, keep: set[str]) -> str:
    """``source`` without the public functions and classes that neither ``keep`` nor a kept one uses.

    So that a module the given cells need (``keras_tools`` for ``dense_model``) brings no reference
    answer along (its ``BatchLossRecorder``); imports, constants and the statements that run at import
    stay, with every definition they or the kept ones use.
    """
    tree = ast.parse(source)
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    definitions = {node.name: node for node in tree.body if isinstance(node, kinds)}
    at_import = {n.id for node in tree.body if not isinstance(node, kinds) for n in ast.walk(node)
                 if isinstance(n, ast.Name)}
    wanted = set(keep) | (at_import & set(definitions))
    todo = list(wanted)
    while todo:
        node = definitions.get(todo.pop())
        for used in (n.id for n in ast.walk(node) if isinstance(n, ast.Name)) if node else ():
            if used in definitions and used not in wanted:
                wanted.add(used)
                todo.append(used)
    tree.body = [node for node in tree.body if not isinstance(node, kinds) or node.name in wanted]
    return ast.unparse(tree) + "\n"


@functools.lru_cache(maxsize=None)
def _kernel_problem(sandbox: "Sandbox") -> str | None:
    imports = ", ".join([f"{KERNEL_PACKAGE}.respond", *(m.split(":")[0] for m in sandbox.kernel_modules)])
    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryDirectory() as sockets, \
            tempfile.TemporaryDirectory() as scratch:
        command = sandbox.command([sys.executable, "-c", f"import {imports}"], workdir=work, socket_dir=sockets,
                                  scratch_dir=scratch)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        return f"a kernel in the sandbox cannot import {imports}: {result.stderr.strip()[-1500:]}"
    return None


DEMO = """
import os, socket, sys
def attempt(what, action):
    try:
        found = action()
        shown = f": sees only {sorted(found)[:5]}" if isinstance(found, list) else ""
        print(f"ALLOWED  {what}{shown}")
    except Exception as error:
        print(f"refused  {what}: {type(error).__name__}: {error}")
attempt("connect to 1.1.1.1:80 (network)", lambda: socket.create_connection(("1.1.1.1", 80), timeout=3))
for path in sys.argv[1:]:
    attempt(f"read {path}", lambda: open(path, "rb").read(1) if os.path.isfile(path) else os.listdir(path))
attempt("write into the working copy", lambda: open("sandbox-demo.txt", "w").write("ok"))
attempt("write into the course's python environment", lambda: open(os.path.join(sys.prefix, "x"), "w"))
"""


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.grading.trusted.sandbox [PATH ...]``: show what a kernel in the sandbox can and cannot do."""
    import subprocess
    import tempfile

    paths = argv if argv is not None else sys.argv[1:]
    sandbox = Sandbox()
    reason = sandbox.available()
    if reason:
        print(f"The sandbox cannot run here: {reason}")
        return 1
    paths = paths or [p for p in ("gradebook.db", "solutions", "submitted", os.path.expanduser("~")) if os.path.exists(p)]
    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryDirectory() as sockets, \
            tempfile.TemporaryDirectory() as scratch:
        argv = [sys.executable, "-c", DEMO, *[os.path.abspath(p) for p in paths]]
        command = sandbox.command(argv, workdir=work, socket_dir=sockets, scratch_dir=scratch)
        print(f"A student's code, run in the grading sandbox from {os.getcwd()}:")
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
