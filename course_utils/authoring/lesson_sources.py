"""Lessons kept as text: ``lessons/source/NN_slug.md`` generates ``lessons/NN_slug.ipynb``.

A lesson's source is jupytext's MyST Markdown (``md:myst``, the format of numpy-tutorials and
the one Jupyter Book reads): a YAML header with the notebook's metadata (kernelspec,
language_info, ...), markdown as it is, each code cell in a ```` ```{code-cell} ```` fence and
``+++`` between two markdown cells; a cell's metadata (tags, slides, nbgrader) stands in YAML
above its code or as ``+++ {...}`` above its markdown. The header's ``notebook_metadata_filter: all``
and ``cell_metadata_filter: all`` tell jupytext (here and in JupyterLab) to keep every piece of
metadata, so nothing is lost between the text and the notebook. The ``.ipynb`` a student opens
is generated from it and committed without outputs; ``make lessons`` (``python -m
course_utils.authoring.lesson_sources``) regenerates every lesson and ``tests/authoring/test_lesson_sources.py``
fails when one is out of date.

Cell ids are not in the text, so the generated notebook takes them as ``jupytext --update``
does: each cell keeps the id of the committed notebook's cell it matches (jupytext's own
matching, ``map_outputs_to_inputs``: same type and content first, then position), and a cell
with no match (a new or rewritten cell) gets an id derived from the lesson's name, the cell's
position and its text. Nothing is random, so regenerating twice gives the same bytes and an
unchanged source leaves the committed notebook byte-identical (no churn in git), and an edited
cell keeps its id. The notebook is written as nbformat writes it (JSON, indent 1, sorted keys)
with a final newline, as the lessons were written before.

The assignment sources in ``solutions/`` stay ``.ipynb``. nbgrader's source format is the
notebook: ``nbgrader generate_assignment`` reads each cell's grading metadata from it (grade_id,
points, grade/solution/locked/task, schema_version, and editable/deletable on locked cells) and
writes the checksums into the release and the gradebook; JupyterLab's create-assignment toolbar
edits that metadata in the notebook. Every cell of a solution carries such a block, so as MyST
each cell would open with six to nine lines of YAML that nbgrader cannot read: a second generated
layer (text -> solutions/*.ipynb -> exercises/*.ipynb) before every nbgrader command, and edits
made with the toolbar lost unless copied back by hand. The gain, text diffs of the exercises'
prose and code, is small beside that: the exercises are short, and
``tests/grading/test_grading_pipeline.py`` already checks that ``exercises/`` is what
nbgrader generates from ``solutions/``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import map_outputs_to_inputs

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
FORMAT = "md:myst"
NAME = re.compile(r"\d\d_[a-z0-9-]+")
FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")


class SourceError(ValueError):
    """A lesson source that cannot be read; the message names the file."""


def source_of(notebook: Path) -> Path:
    """``lessons/NN_slug.ipynb`` -> ``lessons/source/NN_slug.md``."""
    return notebook.parent / "source" / f"{notebook.stem}.md"


def notebook_of(source: Path) -> Path:
    """``lessons/source/NN_slug.md`` -> ``lessons/NN_slug.ipynb``."""
    return source.parent.parent / f"{source.stem}.ipynb"


def sources(lessons: Path = LESSONS) -> list[Path]:
    """The lesson sources, in order (``lessons/source/NN_slug.md``); SourceError for a misnamed one."""
    found = sorted((lessons / "source").glob("*.md"))
    for path in found:
        if not NAME.fullmatch(path.stem):
            raise SourceError(
                f"{path}: a lesson source is named NN_slug.md (two digits, '_', lowercase words joined "
                f"by '-', e.g. 03_compare-gradient-descent-variants.md), not {path.name!r}"
            )
    return found


def notebooks(lessons: Path = LESSONS) -> list[Path]:
    """The lesson notebooks, in order (``lessons/NN_slug.ipynb``)."""
    return sorted(p for p in lessons.glob("*.ipynb") if NAME.fullmatch(p.stem))


def _unclosed_fence(text: str) -> int | None:
    """The line number of a code fence that is never closed, or None."""
    opened = None
    for number, line in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(line)
        if not fence:
            continue
        if opened is None:
            opened, marker = number, fence.group(1)
        elif fence.group(1).startswith(marker) and not fence.group(2).strip():
            opened = None
    return opened


def read_source(source: Path) -> nbformat.NotebookNode:
    """The notebook a MyST source holds; SourceError naming the file when it is malformed."""
    text = source.read_text(encoding="utf-8")
    line = _unclosed_fence(text)
    if line is not None:
        raise SourceError(f"{source}: the code fence opened at line {line} is never closed (```)")
    try:
        nb = jupytext.reads(text, fmt=FORMAT)
    except Exception as error:  # YAML or JSON in the header or in a cell's options
        raise SourceError(f"{source}: not readable as MyST Markdown: {error}") from error
    if "kernelspec" not in nb.metadata:
        raise SourceError(
            f"{source}: the header (the --- block at the top) has no kernelspec; "
            "copy the header of another lesson source"
        )
    return nb


def _derived_id(name: str, index: int, cell) -> str:
    digest = hashlib.sha1(f"{name}\0{index}\0{cell.cell_type}\0{cell.source}".encode()).hexdigest()
    return digest[:8]


def generate(source: Path, committed: nbformat.NotebookNode | None = None) -> str:
    """The ``.ipynb`` text that ``source`` generates, with cell ids taken from ``committed``."""
    nb = read_source(source)
    nb.metadata.pop("jupytext", None)
    old = committed.cells if committed is not None else []
    matches = map_outputs_to_inputs(nb.cells, old) if old else [None] * len(nb.cells)
    used = set()
    for index, (cell, match) in enumerate(zip(nb.cells, matches)):
        cell.id = old[match].id if match is not None and "id" in old[match] else None
        if cell.id is None or cell.id in used:
            cell.id = _derived_id(source.stem, index, cell)
            while cell.id in used:
                cell.id = _derived_id(cell.id, index, cell)
        used.add(cell.id)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.nbformat, nb.nbformat_minor = 4, 5
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        raise SourceError(f"{source}: does not make a valid notebook: {error.message}") from error
    return nbformat.writes(nb, version=4) + "\n"


def expected(source: Path) -> str:
    """What ``make lessons`` writes for ``source``, given the notebook committed now."""
    notebook = notebook_of(source)
    try:
        committed = nbformat.read(notebook, as_version=4) if notebook.exists() else None
    except Exception as error:  # not JSON, or not a notebook
        raise SourceError(f"{notebook}: not readable as a notebook ({error}); delete it, run make lessons") from error
    return generate(source, committed)


def to_source(notebook: Path) -> Path:
    """Write the MyST source of an existing notebook (once, when a lesson moves to text)."""
    source = source_of(notebook)
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise SourceError(f"--convert takes an existing lesson notebook lessons/NN_slug.ipynb, not {str(notebook)!r}")
    if source.exists():
        raise SourceError(f"{source} exists already: edit it, and run make lessons to regenerate {notebook.name}")
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["jupytext"] = {"notebook_metadata_filter": "all", "cell_metadata_filter": "all"}
    source.parent.mkdir(exist_ok=True)
    source.write_text(jupytext.writes(nb, fmt=FORMAT), encoding="utf-8")
    return source


def regenerate(lessons: Path = LESSONS, check: bool = False, out=print) -> list[Path]:
    """Regenerate every lesson notebook from its source; the notebooks that changed (or would)."""
    orphans = [nb for nb in notebooks(lessons) if not source_of(nb).exists()]
    if orphans:
        raise SourceError(
            "lesson notebooks without a source: "
            + ", ".join(str(p) for p in orphans)
            + f" (write lessons/source/<name>.md, or convert once: python -m {__spec__.name} --convert NOTEBOOK)"
        )
    changed = []
    all_sources = sources(lessons)
    for number, source in enumerate(all_sources, start=1):
        notebook = notebook_of(source)
        text = expected(source)
        same = notebook.exists() and notebook.read_text(encoding="utf-8") == text
        if not same:
            changed.append(notebook)
            if not check:
                notebook.write_text(text, encoding="utf-8")
        status = "unchanged" if same else ("out of date" if check else "written")
        out(f"[{number}/{len(all_sources)}] {source.relative_to(lessons.parent)} -> {notebook.name}: {status}")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a notebook is out of date")
    parser.add_argument("--convert", metavar="NOTEBOOK", type=Path, help="write the source of NOTEBOOK and stop")
    parser.add_argument("--lessons", type=Path, default=LESSONS, help="the lessons folder (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.convert:
            print(f"wrote {to_source(args.convert)}")
            return 0
        changed = regenerate(args.lessons, check=args.check)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check and changed:
        print("out of date: run `make lessons` and commit the notebooks", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
