"""Reading the course's notebooks in tests: a lesson by its number, its cells, its text, a function it defines.

Every reader takes a *notebook*: a lesson's number (``3`` is ``lessons/03_*.ipynb``), a path to an
``.ipynb`` file, or a notebook already read (``nbformat.NotebookNode``). Functions a lesson defines are
taken from its cells with ``ast`` (the definition only, not the calls around it) and compiled on their own,
so a test can call the lesson's own code.
"""

from __future__ import annotations

import ast
import pathlib

import nbformat
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"


def lesson_path(number: int) -> pathlib.Path:
    """The path of lesson ``number``'s notebook, ``lessons/NN_<slug>.ipynb``."""
    found = sorted(LESSONS.glob(f"{number:02d}_*.ipynb"))
    assert len(found) == 1, f"lessons/ should hold one notebook numbered {number:02d}, found {found}"
    return found[0]


def read(notebook) -> nbformat.NotebookNode:
    """The notebook (a lesson's number, a path, or a notebook already read) as nbformat 4."""
    if isinstance(notebook, nbformat.NotebookNode):
        return notebook
    path = lesson_path(notebook) if isinstance(notebook, int) else notebook
    return nbformat.read(str(path), as_version=4)


def _name(notebook) -> str:
    if isinstance(notebook, int):
        return f"lesson {notebook}"
    if isinstance(notebook, nbformat.NotebookNode):
        return "the notebook"
    return pathlib.Path(notebook).name


def code_cells(notebook) -> list[str]:
    """The sources of the notebook's code cells, in order."""
    return [cell.source for cell in read(notebook).cells if cell.cell_type == "code"]


def markdown_cells(notebook) -> list[str]:
    """The sources of the notebook's Markdown cells, in order."""
    return [cell.source for cell in read(notebook).cells if cell.cell_type == "markdown"]


def code_of(notebook) -> str:
    """All the notebook's code, its code cells joined by newlines."""
    return "\n".join(code_cells(notebook))


def markdown_of(notebook) -> str:
    """All the notebook's prose, its Markdown cells joined by newlines."""
    return "\n".join(markdown_cells(notebook))


def function_from(notebook, name: str, **namespace):
    """The function ``name`` defined at the top level of one of the notebook's code cells, compiled on its own.

    Its globals are ``namespace`` (``np`` is NumPy unless ``namespace`` says otherwise); nothing else of the
    notebook runs.
    """
    for source in code_cells(notebook):
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                namespace = {"np": np, **namespace}
                exec(compile(ast.Module(body=[node], type_ignores=[]), _name(notebook), "exec"), namespace)
                return namespace[name]
    raise AssertionError(f"{_name(notebook)} defines no function {name!r}")


def cell_defining(notebook, variable: str) -> str:
    """The source of the first code cell that assigns ``variable`` (alone or in a tuple)."""
    for source in code_cells(notebook):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == variable
                or isinstance(t, ast.Tuple) and any(isinstance(e, ast.Name) and e.id == variable for e in t.elts)
                for t in node.targets
            ):
                return source
    raise AssertionError(f"no code cell of {_name(notebook)} assigns {variable!r}")
