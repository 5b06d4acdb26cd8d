"""Execute a notebook once and keep the result: a cache shared by the tests and the website.

:func:`executed` runs a notebook top to bottom in a fresh ``python3`` kernel (cwd = its
folder, 300 s per cell, as tests/course/test_notebooks.py always did) and stores the executed copy
in ``_build/executed/``, named by the notebook's stem and a hash of what its outputs depend
on: the notebook's bytes, every file of ``course_utils/`` that a lesson may import or load
(code and data; not ``grading/`` nor ``authoring/``: see ``NOT_FOR_LESSONS``), and the
versions of Python and of the libraries that compute the outputs. The next
call with the same inputs reads the copy back instead of running it again, so one change to
one lesson re-executes that lesson only, and a ``make test`` run that checks every lesson and
builds the site executes each lesson once.

A notebook whose run ends in an error (``CellExecutionError``, a timeout, a dead kernel) is
not cached: the error propagates, and the next call runs it again.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import sys
import tempfile
from importlib import metadata

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[2]
CACHE = ROOT / "_build" / "executed"
TIMEOUT_S = 300
KERNEL = "python3"
# Subpackages no lesson imports: the test-cell API and grading (changed often, and only for the exercises),
# and the maintainers' tools (this module among them).
NOT_FOR_LESSONS = ("grading", "authoring")
# Libraries whose version changes what a lesson prints or draws.
LIBRARIES = ("numpy", "matplotlib", "keras", "tensorflow", "ipykernel", "nbclient")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _course_utils_files() -> list[pathlib.Path]:
    source = ROOT / "course_utils"
    return sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.relative_to(source).parts[0] not in NOT_FOR_LESSONS)


def key(path: pathlib.Path | str) -> str:
    """The hash of what the executed notebook depends on (16 hex digits)."""
    digest = hashlib.sha256(pathlib.Path(path).read_bytes())
    for file in _course_utils_files():
        digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0" + file.read_bytes())
    versions = [sys.version.split()[0], *(f"{name}={_version(name)}" for name in LIBRARIES)]
    digest.update("\n".join(versions).encode())
    return digest.hexdigest()[:16]


def cached_path(path: pathlib.Path | str, cache: pathlib.Path | str = CACHE) -> pathlib.Path:
    """Where the executed copy of ``path`` is (or will be) kept."""
    path = pathlib.Path(path)
    return pathlib.Path(cache) / f"{path.stem}-{key(path)}.ipynb"


def _run(path: pathlib.Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=TIMEOUT_S, kernel_name=KERNEL,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def executed(path: pathlib.Path | str, cache: pathlib.Path | str = CACHE) -> nbformat.NotebookNode:
    """The notebook at ``path`` with its outputs: from the cache, or executed now and cached."""
    path = pathlib.Path(path).resolve()
    if path.suffix != ".ipynb" or not path.is_file():
        raise FileNotFoundError(f"path: expected an existing .ipynb notebook, got {str(path)!r}")
    target = cached_path(path, cache)
    if target.exists():
        return nbformat.read(target, as_version=4)
    nb = _run(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f"{path.stem}-{'?' * 16}.ipynb"):  # older versions of this notebook
        stale.unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=target.parent, suffix=".tmp", delete=False,
                                     encoding="utf-8") as handle:
        nbformat.write(nb, handle)
    os.chmod(handle.name, 0o644)  # as any file written by the user (mkstemp makes it 0600)
    os.replace(handle.name, target)  # atomic: a reader sees the whole notebook or none
    return nb
