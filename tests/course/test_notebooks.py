"""Every lesson runs top to bottom in a fresh kernel; every committed notebook is clean."""

import pathlib

import pytest

from course_utils.authoring import manifest
from course_utils.authoring import execute
from notebook_reading import markdown_of, read

ROOT = pathlib.Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
ALL_NOTEBOOKS = sorted(p for folder in ("lessons", "solutions", "exercises", "ko") for p in (ROOT / folder).rglob("*.ipynb"))


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_notebooks_have_no_outputs_or_execution_counts(path):
    nb = read(path)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; strip them before committing"


@pytest.mark.parametrize("path", [p for p in LESSONS if p.name[:2] != "00"], ids=lambda p: p.name)
def test_lesson_has_the_course_shape(path):
    text = markdown_of(read(path))
    assert "What you'll learn" in text and "What you'll need" in text and "Summary" in text


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_runs_top_to_bottom(path):
    nb = execute.executed(path)  # run once per change and cached: the site build reuses it (course_utils.authoring)
    errors = [
        f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors, errors


def test_the_lessons_are_numbered_in_order():
    numbers = [p.name[:2] for p in LESSONS]
    assert numbers == [f"{lesson.number:02d}" for lesson in manifest.load().lessons], numbers


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_lines_fit_in_88_columns(path):
    nb = read(path)
    long_lines = [
        f"cell {i}, {len(line)} columns: {line}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line) > 88
    ]
    assert not long_lines, f"{path.name}: code lines longer than 88 columns (reflow them):\n" + "\n".join(long_lines)
