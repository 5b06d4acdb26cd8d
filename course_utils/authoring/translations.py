"""The Korean edition: ``ko/`` generated from the English notebooks and ``translations/ko/``.

English is the source. ``translations/ko/lessons/<stem>.md`` translates ``lessons/<stem>.ipynb``,
``translations/ko/exercises/<id>.md`` translates ``exercises/<id>/<id>.ipynb`` and
``translations/ko/exercises/_shared.md`` the markdown cells that several exercises share.
A translation file starts with an HTML comment saying what it translates, then holds blocks::

    <!-- en:0123456789ab -->
    Korean Markdown for one English markdown cell

The 12 hex digits are :func:`cell_hash` of the English cell: when the English cell changes,
its block no longer matches (a *stale* block) and the cell is reported until it is translated
again. The Korean notebook is the English one with each markdown cell replaced by its block,
so the code cells, and every cell's id and metadata, are the English ones. Generated cells are
not translated by hand: an exercise's "How this notebook works" cell is
:func:`course_utils.authoring.how_it_works.text_ko` of the same facts as the English one.

    python -m course_utils.authoring.translations build           # write ko/
    python -m course_utils.authoring.translations build --check   # exit 1, naming each stale file
    python -m course_utils.authoring.translations status          # what needs translating
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import difflib
import hashlib
import pathlib
import posixpath
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
LANGUAGE = "ko"
SOURCES = pathlib.PurePosixPath("translations", LANGUAGE)
EDITION = pathlib.PurePosixPath(LANGUAGE)
SHARED = "_shared"
SHARED_FILE = SOURCES / "exercises" / f"{SHARED}.md"
MARKER = re.compile(r"^<!-- en:([0-9a-f]{12}) -->$")
MARKER_LIKE = re.compile(r"^\s*<!--\s*en\s*:", re.I)
LINK = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
STATUS_COMMAND = "python -m course_utils.authoring.translations status"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


class TranslationError(ValueError):
    """A malformed translation file: the message names the file and the line."""


def cell_hash(source: str) -> str:
    """The marker of an English markdown cell: sha256 of its stripped source, first 12 hex digits."""
    return hashlib.sha256(source.strip().encode()).hexdigest()[:12]


# translation files --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Block:
    key: str
    text: str
    path: str
    line: int  # of the marker, 1-based


def parse(text: str, name: str) -> list[Block]:
    """The blocks of a translation file's ``text``; ``name`` is the file named in errors."""
    lines = text.splitlines()
    if not lines or not lines[0].lstrip().startswith("<!--"):
        raise TranslationError(f"{name}:1: a translation file starts with an HTML comment saying what it "
                               f"translates (<!-- Korean translation of ... -->), found {lines[0] if lines else ''!r}")
    end = next((i for i, line in enumerate(lines) if "-->" in line), None)
    if end is None:
        raise TranslationError(f"{name}:1: the opening HTML comment is never closed with -->")
    blocks, key, start, body = [], None, 0, []

    def close() -> None:
        if key is None:
            return
        if not "\n".join(body).strip():
            raise TranslationError(f"{name}:{start}: block en:{key} is empty (write the Korean text under the "
                                   "marker, or delete the marker)")
        blocks.append(Block(key, "\n".join(body).strip(), name, start))

    for number, line in enumerate(lines[end + 1:], start=end + 2):
        match = MARKER.match(line)
        if match:
            close()
            key, start, body = match.group(1), number, []
        elif MARKER_LIKE.match(line):
            raise TranslationError(f"{name}:{number}: malformed marker {line.strip()!r}: a marker is a line "
                                   "'<!-- en:' + 12 lowercase hex digits + ' -->', alone on its line")
        elif key is None:
            if line.strip():
                raise TranslationError(f"{name}:{number}: text before the first '<!-- en:... -->' marker: "
                                       f"{line.strip()[:60]!r}")
        else:
            body.append(line)
    close()
    seen: dict[str, Block] = {}
    for block in blocks:
        if block.key in seen and seen[block.key].text != block.text:
            raise TranslationError(f"{name}:{block.line}: block en:{block.key} again, with another text than "
                                   f"at line {seen[block.key].line}: keep one")
        seen.setdefault(block.key, block)
    return blocks


def read_blocks(root: pathlib.Path, relative: pathlib.PurePosixPath) -> list[Block]:
    path = root / relative
    return parse(path.read_text(encoding="utf-8"), str(relative)) if path.exists() else []


# the editions' files ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Edition:
    """One notebook in both editions: its English file, its Korean file and its translation files."""

    english: pathlib.PurePosixPath
    korean: pathlib.PurePosixPath
    sources: tuple[pathlib.PurePosixPath, ...]  # its own file first

    @property
    def exercise(self) -> bool:
        return self.english.parts[0] == "exercises"


def editions(root: pathlib.Path = ROOT) -> list[Edition]:
    """Every English lesson and exercise notebook, with where its Korean edition lives."""
    found = []
    for path in sorted((root / "lessons").glob("*.ipynb")):
        english = pathlib.PurePosixPath("lessons", path.name)
        found.append(Edition(english, EDITION / english, (SOURCES / "lessons" / f"{path.stem}.md",)))
    for path in sorted((root / "exercises").glob("*/*.ipynb")):
        if path.stem != path.parent.name:
            continue
        english = pathlib.PurePosixPath("exercises", path.parent.name, path.name)
        found.append(Edition(english, EDITION / english, (SOURCES / "exercises" / f"{path.stem}.md", SHARED_FILE)))
    return found


def orphans(root: pathlib.Path = ROOT) -> list[str]:
    """Translation files and Korean notebooks with no English notebook."""
    known = {e.korean for e in editions(root)} | {s for e in editions(root) for s in e.sources}
    found = [*(root / SOURCES).glob("*/*.md"), *(root / EDITION).glob("lessons/*.ipynb"),
             *(root / EDITION).glob("exercises/*/*.ipynb")]
    return sorted(str(p.relative_to(root).as_posix()) for p in found
                  if pathlib.PurePosixPath(p.relative_to(root).as_posix()) not in known)


# one notebook -------------------------------------------------------------------------------------

def generated(cell, nb) -> str | None:
    """The Korean text of a cell the course generates (not translated by hand), or None."""
    from course_utils.authoring import how_it_works

    if cell.metadata.get("nbgrader", {}).get("grade_id") == how_it_works.CELL_ID:
        return how_it_works.text_ko(nb.metadata.get("course", {}))
    return None


def rewrite_links(text: str, english: pathlib.PurePosixPath, korean: pathlib.PurePosixPath,
                  in_edition) -> str:
    """Links of a cell of ``english`` as seen from ``korean``: to the Korean file where there is one,
    else to the English file (``../docs/x.md`` from lessons/ becomes ``../../docs/x.md`` from ko/lessons/)."""

    def fix(match: re.Match) -> str:
        target = match.group(2)
        path, hashmark, anchor = target.partition("#")
        if not path or re.match(r"^[a-z][a-z0-9+.-]*:", path, re.I) or path.startswith("/"):
            return match.group(0)
        reached = pathlib.PurePosixPath(posixpath.normpath(posixpath.join(str(english.parent), path)))
        destination = EDITION / reached if in_edition(reached) else reached
        relative = posixpath.relpath(str(destination), str(korean.parent))
        return f"{match.group(1)}{relative}{hashmark}{anchor}{match.group(3)}"

    return LINK.sub(fix, text)


def korean_notebook(english_nb, blocks: dict[str, Block], edition: Edition, in_edition) -> tuple[object, list]:
    """The Korean notebook and the English markdown cells left untranslated, as ``(index, source)``."""
    nb = copy.deepcopy(english_nb)
    nb.metadata["course"] = {**english_nb.metadata.get("course", {}), "language": LANGUAGE}
    missing = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = generated(cell, english_nb)
        if text is None:
            block = blocks.get(cell_hash(cell.source))
            if block is None:
                missing.append((index, cell.source))
                continue
            text = rewrite_links(block.text, edition.english, edition.korean, in_edition)
        cell.source = text
        _update_checksum(cell)
    return nb, missing


def _update_checksum(cell) -> None:
    """A locked nbgrader cell carries the checksum of its own text: Validate checks it (nbgrader.utils)."""
    meta = cell.metadata.get("nbgrader", {})
    if "checksum" in meta:
        from nbgrader.utils import compute_checksum

        meta["checksum"] = compute_checksum(cell)


def _blocks_of(root: pathlib.Path, edition: Edition) -> dict[str, Block]:
    found: dict[str, Block] = {}
    for source in reversed(edition.sources):  # its own file wins over _shared.md
        found.update({b.key: b for b in read_blocks(root, source)})
    return found


def _in_edition(root: pathlib.Path):
    korean = {e.english for e in editions(root)}
    return lambda path: path in korean


def translate(english_nb, edition: Edition, root: pathlib.Path = ROOT) -> tuple[object, list]:
    """:func:`korean_notebook` of ``english_nb`` with the blocks of ``edition``'s translation files."""
    return korean_notebook(english_nb, _blocks_of(root, edition), edition, _in_edition(root))


def render(root: pathlib.Path, edition: Edition) -> tuple[str, list]:
    """The Korean notebook's file text and the cells left in English."""
    import nbformat

    nb, missing = translate(nbformat.read(str(root / edition.english), as_version=4), edition, root)
    return nbformat.writes(nb) + "\n", missing


def build(root: pathlib.Path = ROOT, check: bool = False, report=print) -> list[str]:
    """Write (or, with ``check``, compare) every Korean notebook; the files that were (or are) stale.

    A markdown cell with no valid block keeps its English text, and is reported.
    """
    stale = []
    for edition in editions(root):
        text, missing = render(root, edition)
        for index, source in missing:
            report(f"{edition.korean}: cell {index} kept in English (no block en:{cell_hash(source)} in "
                   f"{' or '.join(map(str, edition.sources))}): {_first_line(source)}")
        path = root / edition.korean
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(str(edition.korean))
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    extra = [p for p in orphans(root) if p.startswith(f"{EDITION}/")]
    if not check:
        for name in extra:
            (root / name).unlink()
    return stale + extra


# what needs translating ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Problem:
    kind: str  # "missing", "untranslated", "stale", "generated"
    file: str  # the translation file
    message: str


def _first_line(source: str) -> str:
    line = source.strip().splitlines()[0] if source.strip() else ""
    return line[:80] + ("…" if len(line) > 80 else "")


def _quote(source: str) -> str:
    return "\n".join(f"      > {line}" for line in source.strip().splitlines())


def _english_cells(root: pathlib.Path, english: pathlib.PurePosixPath) -> list[tuple[str, str, bool]]:
    """``(hash, source, generated)`` of each markdown cell of an English notebook, in order."""
    import nbformat

    nb = nbformat.read(str(root / english), as_version=4)
    return [(cell_hash(c.source), c.source, generated(c, nb) is not None) for c in nb.cells
            if c.cell_type == "markdown"]


def english_markdown(root: pathlib.Path, edition: Edition) -> dict[str, str]:
    """The hash and source of each English markdown cell that a block translates (not the generated ones)."""
    return {key: source for key, source, gen in _english_cells(root, edition.english) if not gen}


def _duties(cells_of: dict) -> dict[pathlib.PurePosixPath, list[tuple[str, str, str]]]:
    """For each translation file, the English cells it must translate: ``(hash, source, where)``.

    A lesson's file: all of the lesson's markdown cells. An exercise's cell that several exercises
    share belongs to ``_shared.md``, any other to the exercise's own file. Generated cells: none.
    """
    counts: dict[str, int] = {}
    for edition, cells in cells_of.items():
        for key in {k for k, _, gen in cells if edition.exercise and not gen}:
            counts[key] = counts.get(key, 0) + 1
    duties: dict[pathlib.PurePosixPath, list] = {SHARED_FILE: []}
    for edition, cells in cells_of.items():
        own = duties.setdefault(edition.sources[0], [])
        for index, (key, source, gen) in enumerate(cells):
            duty = (key, source, f"markdown cell {index} of {edition.english}")
            if gen or (edition.exercise and key in {k for k, _, _ in duties[SHARED_FILE]}):
                continue
            (duties[SHARED_FILE] if edition.exercise and counts[key] > 1 else own).append(duty)
    return duties


def problems(root: pathlib.Path = ROOT) -> list[Problem]:
    """Every English markdown cell without a valid block, every block still in English, every block
    that matches no English cell (stale) and every block of a generated cell."""
    cells_of = {e: _english_cells(root, e.english) for e in editions(root)}
    generated_keys = {k for cells in cells_of.values() for k, _, gen in cells if gen}
    shared_keys = {b.key for b in read_blocks(root, SHARED_FILE)}
    found = []
    for name, duties in _duties(cells_of).items():
        if not (root / name).exists():
            if duties:
                found.append(Problem("missing", str(name), f"{name} does not exist: it translates "
                                     f"{len(duties)} English markdown cells"))
            continue
        applies = {k for e, cells in cells_of.items() if name in e.sources for k, _, _ in cells} - generated_keys
        blocks = read_blocks(root, name)
        present = ({b.key for b in blocks} | (shared_keys if name.parent.name == "exercises" else set())) & applies
        found += [Problem("missing", str(name), f"{name}: no block en:{key} for the {where}:\n" + _quote(source))
                  for key, source, where in duties if key not in present]
        found += [Problem("untranslated", str(name), f"{name}:{b.line}: block en:{b.key} has no Korean text yet: "
                          f"{_first_line(b.text)}") for b in blocks if b.key in applies and not HANGUL.search(b.text)]
        found += _unmatched(name, blocks, duties, applies, generated_keys)
    return found


def _unmatched(name, blocks: list[Block], duties: list, applies: set[str], generated_keys: set[str]) -> list[Problem]:
    """Blocks of generated cells, and stale blocks paired with the English cell now at their place."""
    found, wanted = [], [k for k, _, _ in duties]
    keys = [b.key for b in blocks]
    for opcode, i1, i2, j1, j2 in difflib.SequenceMatcher(None, keys, wanted, autojunk=False).get_opcodes():
        for i, block in enumerate(blocks[i1:i2], start=i1):
            if block.key in generated_keys:
                found.append(Problem("generated", str(name), f"{name}:{block.line}: block en:{block.key} translates "
                                     "a generated cell (How this notebook works): its Korean text is "
                                     "course_utils/authoring/how_it_works.text_ko; delete the block"))
            elif block.key not in applies:
                j = j1 + (i - i1) if opcode == "replace" and j1 + (i - i1) < j2 else None
                now = (f"the English cell at that position is now en:{wanted[j]}:\n" + _quote(duties[j][1])
                       if j is not None else "no English cell is at that position now (removed?)")
                found.append(Problem("stale", str(name), f"{name}:{block.line}: block en:{block.key} matches no "
                                     f"English cell (stale); {now}"))
    return found


# checks of the Korean edition (tests/authoring/test_korean_edition.py) -------------------------------------

INLINE = {"code blocks": re.compile(r"^```.*?^```", re.M | re.S), "display math": re.compile(r"\$\$.+?\$\$", re.S),
          "inline code": re.compile(r"(?<!`)(?:``(?!`).+?``|`[^`]+`)(?!`)", re.S), "math": re.compile(r"(?<!\$)\$[^$\n]+\$(?!\$)"),
          "link targets": re.compile(r"\]\(([^)\s]+)")}
FIXED_HEADINGS = (  # an English cell's line matching the first, its Korean block must have a line matching the second
    (r"^\*\*What you'll learn\*\*", r"^\*\*이번 장에서 배울 내용\*\*"),
    (r"^\*\*What you'll need\*\*", r"^\*\*필요한 것\*\*"),
    (r"^#+ Summary\b", r"^#+ 정리"),
    (r"^#+ What next\b", r"^#+ 다음 단계"),
    (r"^#+ .*\bPart ([A-Z])\b", r"^#+ .*파트 {0}"),
    (r"^#+ .*\bExercise (\d+)\b", r"^#+ .*연습 문제 {0}"),
    (r"^#+ .*\bStep (\d+)\b", r"^#+ .*단계 {0}"),
    (r"^(?:\*\*)?Try it(?:\*\*)?:", r"^(?:\*\*)?해 보기"),
)


def differences(english_nb, korean_nb) -> list[str]:
    """How a Korean notebook differs from its English one beyond its markdown text (should be nothing).

    The cells' types, ids and metadata, the code cells' source, and the notebook's metadata
    (``metadata.course.language`` is ``"ko"``) must be the English ones; a locked nbgrader cell's
    checksum is the one of its own text (nbgrader computes it the same way for both).
    """
    found = []
    want = copy.deepcopy(english_nb.metadata)
    want["course"] = {**want.get("course", {}), "language": LANGUAGE}
    if korean_nb.metadata != want:
        found.append(f"notebook metadata: {dict(korean_nb.metadata)} instead of {dict(want)}")
    if len(korean_nb.cells) != len(english_nb.cells):
        return found + [f"{len(korean_nb.cells)} cells instead of the English {len(english_nb.cells)}"]
    for index, (en, ko) in enumerate(zip(english_nb.cells, korean_nb.cells)):
        where = f"cell {index} ({en.get('id')})"
        if (ko.cell_type, ko.get("id")) != (en.cell_type, en.get("id")):
            found.append(f"{where}: {ko.cell_type} {ko.get('id')!r} instead of {en.cell_type} {en.get('id')!r}")
            continue
        if en.cell_type != "markdown" and ko.source != en.source:
            found.append(f"{where}: the code differs from the English cell:\n{ko.source}\n--- English:\n{en.source}")
        meta = copy.deepcopy(ko.metadata)
        if en.cell_type == "markdown" and "checksum" in meta.get("nbgrader", {}):
            from nbgrader.utils import compute_checksum

            if meta["nbgrader"]["checksum"] != compute_checksum(ko):
                found.append(f"{where}: nbgrader checksum is not the checksum of its Korean text")
            meta["nbgrader"]["checksum"] = en.metadata["nbgrader"]["checksum"]
        if meta != en.metadata:
            found.append(f"{where}: metadata {dict(meta)} instead of {dict(en.metadata)}")
    return found


def block_problems(english: str, korean: str) -> list[str]:
    """What a Korean block lacks: Hangul, the English cell's code, math and link targets, a fixed heading."""
    found = [] if HANGUL.search(korean) else ["no Hangul: the block is not translated"]
    headings = [(line, english, korean) for line in FIXED_HEADINGS]
    for name, pattern in INLINE.items():  # each kind found in what is left after the ones before it
        want = sorted(" ".join(m.group(0).split()) for m in pattern.finditer(english))  # a span may wrap
        got = sorted(" ".join(m.group(0).split()) for m in pattern.finditer(korean))
        english, korean = pattern.sub(" ", english), pattern.sub(" ", korean)
        if want != got:
            lost = sorted({x for x in want if want.count(x) > got.count(x)})
            added = sorted({x for x in got if got.count(x) > want.count(x)})
            found.append(f"{name} differ from the English cell's: missing {lost}, not in English {added}")
    for (english_line, korean_line), english_text, korean_text in headings:
        for match in re.finditer(english_line, english_text, re.M):
            wanted = korean_line.format(*match.groups())
            if not re.search(wanted, korean_text, re.M):
                found.append(f"the English {match.group(0)!r} needs its fixed Korean heading ({wanted!r})")
    return found


GLOSSARY = SOURCES / "glossary.toml"


def glossary(root: pathlib.Path = ROOT) -> list[dict]:
    """The terms of ``translations/ko/glossary.toml``: en, ko, and optional also, row, notes."""
    import tomllib

    path = root / GLOSSARY
    terms = tomllib.loads(path.read_text(encoding="utf-8")).get("term", [])
    for number, term in enumerate(terms, start=1):
        if not isinstance(term.get("en"), str) or not isinstance(term.get("ko"), str):
            raise TranslationError(f"{GLOSSARY}: term {number} ({term}) needs strings 'en' and 'ko'")
    return terms


def _words(text: str) -> str:
    """The prose of a cell: code, math and link targets removed (in INLINE's order: code blocks first)."""
    for pattern in INLINE.values():
        text = pattern.sub(" ", text)
    return text


def glossary_problems(english: str, korean: str, terms: list[dict]) -> list[str]:
    """The glossary terms the English cell uses whose Korean term (or an alternative) the block lacks."""
    prose = _words(english)
    found = []
    for term in terms:
        words = r"[\s-]?".join(re.escape(w) for w in re.split(r"[\s-]+", term["en"]))
        pattern = re.compile(rf"(?<![\w-]){words}(?:s|es)?(?![\w-])", re.I)
        if pattern.search(prose):
            accepted = [term["ko"], *term.get("also", [])]  # "가중치 갱신" also as "가중치를 … 갱신"
            if pattern.search(_words(korean)):  # kept in English: a quoted title or note, "학습률(learning rate)"
                continue
            if not any(all(word in korean for word in form.split()) for form in accepted):
                found.append(f"the English cell says {term['en']!r}: the Korean uses none of {accepted}")
    return found


def content_problems(root: pathlib.Path = ROOT) -> list[Problem]:
    """Each translated block's :func:`block_problems` and :func:`glossary_problems`."""
    import nbformat

    terms, found = glossary(root), []
    for edition in editions(root):
        english = english_markdown(root, edition)
        for source in edition.sources:
            for block in read_blocks(root, source):
                if block.key in english and HANGUL.search(block.text):
                    for text in [*block_problems(english[block.key], block.text),
                                 *glossary_problems(english[block.key], block.text, terms)]:
                        found.append(Problem("check", str(source), f"{source}:{block.line}: block en:{block.key}: {text}"))
    return list(dict.fromkeys(found))  # _shared.md's blocks once


# command line -------------------------------------------------------------------------------------

def status(root: pathlib.Path = ROOT, out=print) -> int:
    found = problems(root) + content_problems(root)
    for problem in found:
        out(problem.message)
    for name in orphans(root):
        if name.startswith(str(SOURCES)):
            out(f"{name}: translates no English notebook (delete it, or add its English one)")
    counts = {kind: sum(p.kind == kind for p in found) for kind in ("missing", "untranslated", "stale", "generated")}
    out(f"{counts['missing']} English cells without a block, {counts['untranslated']} blocks still in English, "
        f"{counts['stale']} stale blocks, {counts['generated']} blocks of generated cells, "
        f"{sum(p.kind == 'check' for p in found)} blocks to check (inline code, math, links, headings, glossary)")
    return 1 if found or any(n.startswith(str(SOURCES)) for n in orphans(root)) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.authoring.translations",
                                     description="The Korean edition: ko/ from the English notebooks and "
                                                 "translations/ko/.")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT, help="the course's folder")
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="write ko/ (with --check: exit 1 naming each stale file)")
    build_parser.add_argument("--check", action="store_true")
    commands.add_parser("status", help="what needs translating: missing and stale blocks")
    args = parser.parse_args(argv)
    try:
        if args.command == "status":
            return status(args.root)
        stale = build(args.root, check=args.check, report=lambda line: print(line, file=sys.stderr))
    except TranslationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name in stale:
        print(("stale: " if args.check else "wrote ") + name)
    if args.check and stale:
        print("run: python -m course_utils.authoring.translations build", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
