"""Every lesson notebook is what its text source generates (``make lessons``), as for exercises/.

``lessons/source/NN_slug.md`` (jupytext MyST Markdown) generates ``lessons/NN_slug.ipynb``:
the committed notebook must be exactly that (cells, metadata, bytes), clean, and every lesson
must have a source and every source a lesson. Editing a source changes that notebook only.
Nothing is written into the repository: the editing tests work on a copy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils.authoring import lesson_sources
from notebook_reading import read

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
SOURCES = sorted((LESSONS / "source").glob("*.md"))


def comparable(cell) -> tuple:
    return (cell.cell_type, cell.source, dict(cell.metadata))


def first_difference(committed, generated) -> str | None:
    """Where two notebooks' cells first differ, in words; None when they do not."""
    for index, (old, new) in enumerate(zip(committed.cells, generated.cells)):
        if comparable(old) != comparable(new):
            if (old.cell_type, old.metadata) != (new.cell_type, new.metadata):
                return (f"cell {index}: committed {old.cell_type} {dict(old.metadata)}, "
                        f"generated {new.cell_type} {dict(new.metadata)}")
            a, b = old.source.splitlines(keepends=True), new.source.splitlines(keepends=True)
            number = next((n for n, pair in enumerate(zip(a, b)) if pair[0] != pair[1]), min(len(a), len(b)))
            a, b = (lines[number] if number < len(lines) else "(end of cell)" for lines in (a, b))
            return f"cell {index} ({old.cell_type}), line {number + 1}: committed {a!r}, the source generates {b!r}"
    if len(committed.cells) != len(generated.cells):
        return f"the committed notebook has {len(committed.cells)} cells, the source generates {len(generated.cells)}"
    return None


def test_every_lesson_has_a_source_and_every_source_a_lesson():
    lessons = {p.stem for p in LESSONS.glob("*.ipynb")}
    sources = {p.stem for p in SOURCES}
    assert lessons, "no lesson notebooks found in lessons/"
    assert not lessons - sources, f"lessons without a source in lessons/source/: {sorted(lessons - sources)}"
    assert not sources - lessons, f"sources without a lesson (run `make lessons`): {sorted(sources - lessons)}"
    assert not list((LESSONS / "source").glob("*.ipynb")), "lessons/source/ holds text sources only"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_lesson_is_what_its_source_generates(source):
    notebook = lesson_sources.notebook_of(source)
    assert notebook.exists(), f"{source.name} has no lesson {notebook.name}: run `make lessons`"
    committed = read(notebook)
    text = lesson_sources.generate(source, committed)
    generated = nbformat.reads(text, as_version=4)
    where = first_difference(committed, generated)
    assert where is None, f"{notebook.name} is out of date with {source.name}: {where}; run `make lessons` and commit"
    assert committed.metadata == generated.metadata, (
        f"{notebook.name}: notebook metadata {dict(committed.metadata)} but {source.name}'s header gives "
        f"{dict(generated.metadata)}; run `make lessons`"
    )
    assert notebook.read_text(encoding="utf-8") == text, (
        f"{notebook.name}: same cells as {source.name} but not written as `make lessons` writes it "
        "(cell ids or JSON layout); run `make lessons` and commit"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_generated_notebooks_have_no_outputs_or_execution_counts(source):
    nb = json.loads(lesson_sources.generate(source))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    dirty = [i for i, c in enumerate(code) if c["outputs"] or c["execution_count"] is not None]
    assert not dirty, f"{source.name}: generated code cells {dirty} carry outputs or execution counts"
    assert all(c.get("id") for c in nb["cells"]), f"{source.name}: a generated cell has no id"


@pytest.fixture
def lessons_copy(tmp_path) -> Path:
    """A copy of lessons/ (notebooks and sources) to regenerate in."""
    copy = tmp_path / "lessons"
    (copy / "source").mkdir(parents=True)
    for path in LESSONS.glob("*.ipynb"):
        shutil.copy(path, copy / path.name)
    for path in SOURCES:
        shutil.copy(path, copy / "source" / path.name)
    return copy


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.ipynb"))}


def test_regenerating_unchanged_sources_writes_nothing(lessons_copy):
    before = _bytes(lessons_copy)
    assert lesson_sources.regenerate(lessons_copy, out=lambda line: None) == []
    assert _bytes(lessons_copy) == before


def test_regenerating_from_scratch_is_deterministic_and_equals_the_lessons_but_for_ids(lessons_copy):
    for path in lessons_copy.glob("*.ipynb"):
        path.unlink()
    lines = []
    written = lesson_sources.regenerate(lessons_copy, out=lines.append)
    assert len(written) == len(SOURCES) == len(lines)
    first = _bytes(lessons_copy)
    assert lesson_sources.regenerate(lessons_copy, out=lambda line: None) == []
    assert _bytes(lessons_copy) == first, "a second regeneration changed the bytes"
    for name, data in first.items():
        fresh, committed = json.loads(data), json.loads((LESSONS / name).read_text(encoding="utf-8"))
        ids = [c.pop("id") for c in fresh["cells"]]
        assert len(set(ids)) == len(ids), f"{name}: generated cell ids repeat"
        for cell in committed["cells"]:
            cell.pop("id")
        assert fresh == committed, f"{name}: generated from scratch, it differs from the committed lesson"


def test_editing_a_source_changes_exactly_that_notebook(lessons_copy):
    source = lessons_copy / "source" / SOURCES[3].name
    notebook = lesson_sources.notebook_of(source)
    before = _bytes(lessons_copy)
    old = read(notebook)
    edited = next(i for i, c in enumerate(old.cells) if c.cell_type == "markdown" and i > 0)
    line = old.cells[edited].source.splitlines()[0]
    text = source.read_text(encoding="utf-8")
    assert text.count(line) == 1, f"pick a line that occurs once in {source.name}"
    source.write_text(text.replace(line, line + " (edited)"), encoding="utf-8")

    assert lesson_sources.regenerate(lessons_copy, out=lambda line: None) == [notebook]
    after = _bytes(lessons_copy)
    assert [name for name in before if before[name] != after[name]] == [notebook.name]
    new = read(notebook)
    assert [i for i, (a, b) in enumerate(zip(old.cells, new.cells)) if a.source != b.source] == [edited]
    assert new.cells[edited].source.startswith(line + " (edited)")
    assert [c.id for c in new.cells] == [c.id for c in old.cells], "an edit moved the cells' ids"


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda text: text + "\n```{code-cell}\nx = 1\n", "never closed"),
        (lambda text: text.replace("\n+++\n", '\n+++ {"tags": \n', 1), "not readable as MyST"),
        (lambda text: text.split("\n---\n", 1)[1], "no kernelspec"),
    ],
    ids=["unclosed fence", "bad cell options", "no header"],
)
def test_a_malformed_source_is_named_in_the_error(lessons_copy, capsys, damage, expected):
    source = lessons_copy / "source" / SOURCES[1].name
    source.write_text(damage(source.read_text(encoding="utf-8")), encoding="utf-8")
    before = _bytes(lessons_copy)
    assert lesson_sources.main(["--lessons", str(lessons_copy)]) == 2
    error = capsys.readouterr().err
    assert source.name in error and expected in error
    assert _bytes(lessons_copy) == before


def test_a_lesson_without_a_source_is_refused(lessons_copy, capsys):
    (lessons_copy / "source" / SOURCES[2].name).unlink()
    assert lesson_sources.main(["--lessons", str(lessons_copy)]) == 2
    assert lesson_sources.notebook_of(SOURCES[2]).name in capsys.readouterr().err


def test_check_reports_a_stale_lesson_without_writing(lessons_copy, capsys):
    notebook = lessons_copy / lesson_sources.notebook_of(SOURCES[5]).name
    nb = read(notebook)
    nb.cells[0].source += "\nA line typed into the notebook, not into its source."
    nbformat.write(nb, notebook)
    stale = notebook.read_bytes()
    assert lesson_sources.main(["--check", "--lessons", str(lessons_copy)]) == 1
    assert f"{notebook.name}: out of date" in capsys.readouterr().out
    assert notebook.read_bytes() == stale


def test_cell_and_notebook_metadata_survive_the_round_trip_through_text(tmp_path):
    """A lesson with tags, slide and nbgrader metadata, and course metadata, converts to text and back exactly."""
    v4 = nbformat.v4
    nb = v4.new_notebook(metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "course": {"lesson": 99, "exercise": "ex99_example"},
    })
    nb.cells = [
        v4.new_markdown_cell("# A lesson\n\nText.", metadata={"slideshow": {"slide_type": "slide"}}),
        v4.new_markdown_cell("Second markdown cell, right after the first."),
        v4.new_code_cell("x = 1\n\n\ny = 2", metadata={"tags": ["hide-input"]}),
        v4.new_code_cell("assert x == 1", metadata={
            "nbgrader": {"grade": True, "grade_id": "x-is-one", "locked": True, "points": 1, "solution": False},
        }),
        v4.new_markdown_cell("```python\nnot code: a fence inside markdown\n```"),
    ]
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"
    (tmp_path / "lessons").mkdir()
    notebook = tmp_path / "lessons" / "99_example.ipynb"
    notebook.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")

    source = lesson_sources.to_source(notebook)
    assert source == tmp_path / "lessons" / "source" / "99_example.md"
    assert "x = 1" in source.read_text(encoding="utf-8")
    committed = read(notebook)
    assert lesson_sources.generate(source, committed) == notebook.read_text(encoding="utf-8")
    fresh = nbformat.reads(lesson_sources.generate(source), as_version=4)
    assert fresh.metadata == nb.metadata
    assert [comparable(c) for c in fresh.cells] == [comparable(c) for c in nb.cells]


def test_a_misnamed_source_and_a_second_conversion_are_refused(lessons_copy, capsys):
    (lessons_copy / "source" / "Lesson 10.md").write_text(SOURCES[1].read_text(encoding="utf-8"), encoding="utf-8")
    assert lesson_sources.main(["--lessons", str(lessons_copy)]) == 2
    error = capsys.readouterr().err
    assert "'Lesson 10.md'" in error and "NN_slug.md" in error
    (lessons_copy / "source" / "Lesson 10.md").unlink()

    notebook = lessons_copy / lesson_sources.notebook_of(SOURCES[1]).name
    source = lesson_sources.source_of(notebook)
    before = source.read_bytes()
    assert lesson_sources.main(["--convert", str(notebook)]) == 2
    assert f"{source} exists already" in capsys.readouterr().err
    assert source.read_bytes() == before
    assert lesson_sources.main(["--convert", str(lessons_copy / "99_missing.ipynb")]) == 2
    assert "99_missing.ipynb" in capsys.readouterr().err
