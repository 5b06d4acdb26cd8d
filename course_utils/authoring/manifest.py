"""The course manifest, ``course.toml``: the lessons in order and each exercise's facts.

:func:`load` reads it. ``python -m course_utils.authoring.manifest --write`` writes the copies
that are plain generated text: the README's map of the course, the table of
docs/checking_your_answers.md, each solutions/ notebook's ``metadata.course`` (what
the grader reads) and ``Lesson:`` line, its "How this notebook works" cell
(``course_utils.authoring.how_it_works``), then exercises/ with ``nbgrader
generate_assignment``. ``--check`` names every copy that differs, file and fact, and
exits 1. tests/authoring/test_course_lists.py holds the other lists (the course map notebook,
the instructor guide) to the manifest.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
MANIFEST = "course.toml"
LESSON_LINE = re.compile(r"^Lesson: \[.*?\]\(.*?\)\.?$", re.M)
IN_ALL = re.compile(r"\((\d+(?:\.\d+)?) in all\)")


class ManifestError(ValueError):
    """course.toml (or a file the writer needs) is not as expected; the message says where."""


@dataclass(frozen=True)
class Assignment:
    """An exercise: solutions/<id>/<id>.ipynb, released as exercises/<id>/<id>.ipynb."""

    id: str
    lesson: int  # the number of the lesson it follows
    needs_keras: bool
    allowed_imports: tuple[str, ...]
    kernel_modules: tuple[str, ...]
    cell_timeout: int  # seconds one cell may run when graded
    points: float  # the graded cells' total


@dataclass(frozen=True)
class Lesson:
    """A lesson: lessons/NN_slug.ipynb, and the exercise it leads to (None for the map)."""

    number: int
    slug: str
    title: str
    learn: str
    exercise: Assignment | None

    @property
    def path(self) -> str:
        return f"lessons/{self.number:02d}_{self.slug}.ipynb"

    @property
    def label(self) -> str:
        return f"{self.number:02d} {self.title}"


@dataclass(frozen=True)
class Course:
    """The lessons in order; ``assignments`` are their exercises, in the same order."""

    lessons: tuple[Lesson, ...]

    @property
    def assignments(self) -> tuple[Assignment, ...]:
        return tuple(lesson.exercise for lesson in self.lessons if lesson.exercise)

    def lesson_of(self, assignment: Assignment) -> Lesson:
        return self.lessons[assignment.lesson]


# reading ---------------------------------------------------------------------------------------

TEXT, SLUG, EXERCISE_ID = r"[^|\n]+", r"[a-z0-9]+(-[a-z0-9]+)*", r"ex\d\d_[a-z0-9_]+"
LESSON_KEYS = {"number": "its place in the list, from 0", "slug": "lower-case words joined by '-'",
               "title": "one line of text, no '|'", "learn": "one line of text, no '|'", "exercise": "a table"}
EXERCISE_KEYS = {"id": "ex<NN>_<name>, lower case", "needs_keras": "true or false",
                 "allowed_imports": "a list of module names", "kernel_modules": "a list of module names",
                 "cell_timeout": "a whole number of seconds above 0", "points": "a number above 0"}


def _get(table: dict, key: str, where: str, accepted: dict, ok, default=None):
    """``table[key]`` if ``ok(value)``; otherwise an error naming the key, the value and what is accepted."""
    if key not in table:
        if default is not None:
            return default
        raise ManifestError(f"{where}: {key!r} is missing ({accepted[key]})")
    value = table[key]
    if not ok(value):
        raise ManifestError(f"{where}: {key!r} must be {accepted[key]}, got {value!r}")
    return value


def _unknown(table: dict, accepted: dict, where: str) -> None:
    unknown = sorted(set(table) - set(accepted))
    if unknown:
        raise ManifestError(f"{where}: unknown key {unknown[0]!r}; accepted: {', '.join(accepted)}")


def _text(pattern: str):
    return lambda value: isinstance(value, str) and re.fullmatch(pattern, value) is not None


def _names(value) -> bool:
    return isinstance(value, list) and all(isinstance(name, str) and name for name in value)


def _assignment(table, number: int, where: str) -> Assignment:
    if not isinstance(table, dict):
        raise ManifestError(f"{where}: must be a table [lesson.exercise], got {table!r}")
    _unknown(table, EXERCISE_KEYS, where)
    k = EXERCISE_KEYS
    return Assignment(
        id=_get(table, "id", where, k, _text(EXERCISE_ID)),
        lesson=number,
        needs_keras=_get(table, "needs_keras", where, k, lambda v: isinstance(v, bool)),
        allowed_imports=tuple(_get(table, "allowed_imports", where, k, _names)),
        kernel_modules=tuple(_get(table, "kernel_modules", where, k, _names, default=[])),
        cell_timeout=_get(table, "cell_timeout", where, k, lambda v: type(v) is int and v > 0),
        points=_get(table, "points", where, k, lambda v: type(v) in (int, float) and v > 0),
    )


def load(root: pathlib.Path | str = ROOT) -> Course:
    """The course in ``root/course.toml``; :class:`ManifestError` names the file, entry and key at fault."""
    path = pathlib.Path(root) / MANIFEST
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such file (the course manifest)") from None
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(f"{path}: not valid TOML: {error}") from None
    _unknown(data, {"lesson": "[[lesson]] entries", "course": "[course] (course_utils/authoring/site.py)"},
             str(path))
    entries = data.get("lesson")
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{path}: expected [[lesson]] entries, got {entries!r}")
    lessons, ids = [], set()
    for place, table in enumerate(entries):
        where = f"{path}, [[lesson]] number {place}"
        if not isinstance(table, dict):
            raise ManifestError(f"{where}: must be a table [[lesson]], got {table!r}")
        _unknown(table, LESSON_KEYS, where)
        number = _get(table, "number", where, {"number": f"{place}, its place in the list (from 0)"},
                      lambda v, place=place: type(v) is int and v == place)
        exercise = table.get("exercise")
        lesson = Lesson(
            number=number,
            slug=_get(table, "slug", where, LESSON_KEYS, _text(SLUG)),
            title=_get(table, "title", where, LESSON_KEYS, _text(TEXT)),
            learn=_get(table, "learn", where, LESSON_KEYS, _text(TEXT)),
            exercise=None if exercise is None else _assignment(exercise, number, f"{where}, its exercise"),
        )
        if lesson.exercise and lesson.exercise.id in ids:
            raise ManifestError(f"{where}, its exercise: 'id' {lesson.exercise.id!r} is already another lesson's")
        ids.update([lesson.exercise.id] if lesson.exercise else [])
        lessons.append(lesson)
    return Course(tuple(lessons))


# the copies ------------------------------------------------------------------------------------

def metadata(course: Course, assignment: Assignment) -> dict:
    """The solutions notebook's ``metadata.course``: what the grader reads."""
    facts = {"allowed_imports": list(assignment.allowed_imports), "cell_timeout": assignment.cell_timeout,
             "kernel_modules": list(assignment.kernel_modules), "lesson": course.lesson_of(assignment).path,
             "needs_keras": assignment.needs_keras}
    return {key: value for key, value in facts.items() if key != "kernel_modules" or value}


def lesson_line(course: Course, assignment: Assignment) -> str:
    lesson = course.lesson_of(assignment)
    return f"Lesson: [{lesson.label}](../../{lesson.path})."


def _link(text: str, target: str) -> str:
    return f"[{text}]({target})"


def readme_rows(course: Course) -> list[tuple[str, list[str]]]:
    """The README's map of the course: each row with what it is about."""
    return [(f"lesson {lesson.number}", [
        str(lesson.number), _link(lesson.title, lesson.path), lesson.learn,
        _link(lesson.exercise.id, f"exercises/{lesson.exercise.id}/{lesson.exercise.id}.ipynb")
        if lesson.exercise else ""]) for lesson in course.lessons]


def checking_rows(course: Course) -> list[tuple[str, list[str]]]:
    """docs/checking_your_answers.md's table: exercise, lesson to read first, points."""
    return [(a.id, [_link(a.id, f"../exercises/{a.id}/{a.id}.ipynb"),
                    _link(course.lesson_of(a).label, f"../{course.lesson_of(a).path}"), f"{a.points:g}"])
            for a in course.assignments]


TABLES = {"README.md": ("| # | lesson | what you learn | exercise |", readme_rows),
          "docs/checking_your_answers.md": ("| exercise | lesson to read first | points |", checking_rows)}


def _line(cells: list[str]) -> str:
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


def _table_span(lines: list[str], header: str, name: str) -> tuple[int, int]:
    """Where the table headed ``header`` is: its header line, and the blank line (or end) after it."""
    starts = [i for i, line in enumerate(lines) if line.strip() == header]
    if len(starts) != 1:
        raise ManifestError(f"{name}: expected one table headed {header!r}, found {len(starts)}")
    end = next((i for i in range(starts[0], len(lines)) if not lines[i].strip()), len(lines))
    return starts[0], end


def write_table(root: pathlib.Path, course: Course, name: str) -> bool:
    """Rewrite the table of ``name`` between its header and the next blank line; True if the file changed."""
    path, (header, rows) = root / name, TABLES[name]
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    start, end = _table_span(lines, header, name)
    columns = header.count("|") - 1
    table = [header, "|" + "---|" * columns, *(_line(row) for _, row in rows(course))]
    new = "\n".join(lines[:start] + table + lines[end:])
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def check_table(root: pathlib.Path, course: Course, name: str) -> list[str]:
    """How the table of ``name`` differs from the manifest, one line per cell."""
    header, rows = TABLES[name]
    lines = (root / name).read_text(encoding="utf-8").split("\n")
    start, end = _table_span(lines, header, name)
    found = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines[start + 2:end]]
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    problems = []
    expected = rows(course)
    for (row, want), got in zip(expected, found):
        for column, a, b in zip(columns, want, got + [""] * len(columns)):
            if a != b:
                problems.append(f"{name}: the table's row of {row}, column {column!r}, is {b!r}, "
                                f"the manifest gives {a!r}")
    if len(found) != len(expected):
        problems.append(f"{name}: the table headed {header!r} has {len(found)} rows, "
                        f"the manifest gives {len(expected)}")
    return problems


def _points(nb) -> float:
    return sum(cell.metadata.get("nbgrader", {}).get("points", 0) for cell in nb.cells
               if cell.metadata.get("nbgrader", {}).get("grade"))


def check_notebook(root: pathlib.Path, course: Course, assignment: Assignment, folder: str) -> list[str]:
    """How the solutions/ (or exercises/) notebook differs from the manifest, one line per fact."""
    import nbformat
    from course_utils.authoring import how_it_works

    name = f"{folder}/{assignment.id}/{assignment.id}.ipynb"
    if not (root / name).exists():
        return [f"{name}: missing (the manifest lists {assignment.id})"]
    nb = nbformat.read(str(root / name), as_version=4)
    problems = []
    want, got = metadata(course, assignment), nb.metadata.get("course", {})
    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            problems.append(f"{name}: metadata.course.{key} is {got.get(key, 'missing')!r}, "
                            f"the manifest gives {want.get(key, 'none')!r}")
    header = LESSON_LINE.search(nb.cells[0].source) if nb.cells else None
    if not header or header.group(0) != lesson_line(course, assignment):
        problems.append(f"{name}: the first cell's lesson line is {header.group(0) if header else 'missing'!r}, "
                        f"the manifest gives {lesson_line(course, assignment)!r}")
    if folder == "solutions":
        total = _points(nb)
        if total != assignment.points:
            problems.append(f"{name}: points: the graded cells' points add up to {total:g}, "
                            f"the manifest gives {assignment.points:g}")
        in_all = IN_ALL.search(nb.cells[0].source) if nb.cells else None
        if in_all and float(in_all.group(1)) != assignment.points:
            problems.append(f"{name}: points: the first cell says {in_all.group(0)!r}, "
                            f"the manifest gives {assignment.points:g}")
        cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == how_it_works.CELL_ID]
        if [c.source for c in cells] != [how_it_works.text(want)]:
            problems.append(f"{name}: allowed_imports: the 'How this notebook works' cell is not "
                            "course_utils.authoring.how_it_works.text of the manifest's facts")
    return problems


def _inventory(root: pathlib.Path, course: Course) -> list[str]:
    """Lesson notebooks and exercise folders that the manifest lacks, or that are missing."""
    problems = []
    found = {p.relative_to(root).as_posix() for p in (root / "lessons").glob("[0-9][0-9]_*.ipynb")}
    listed = {lesson.path for lesson in course.lessons}
    problems += [f"{path}: missing (the manifest lists it)" for path in sorted(listed - found)]
    problems += [f"{path}: not in the manifest ({MANIFEST})" for path in sorted(found - listed)]
    ids = {a.id for a in course.assignments}
    for folder in ("solutions", "exercises"):
        folders = (root / folder).iterdir() if (root / folder).is_dir() else ()
        names = {p.name for p in folders if p.is_dir() and not p.name.startswith(".")}
        problems += [f"{folder}/{name}/: not in the manifest ({MANIFEST})" for name in sorted(names - ids)]
    return problems


def check(root: pathlib.Path | str = ROOT) -> list[str]:
    """Every copy that differs from the manifest, as 'file: fact ...' lines (empty: all agree)."""
    root = pathlib.Path(root)
    course = load(root)
    problems = _inventory(root, course)
    for name in TABLES:
        problems += check_table(root, course, name)
    for assignment in course.assignments:
        for folder in ("solutions", "exercises"):
            problems += check_notebook(root, course, assignment, folder)
    return problems


def _write_solutions(root: pathlib.Path, course: Course, assignment: Assignment) -> bool:
    """metadata.course, the lesson line and the "How this notebook works" cell; True if any changed."""
    import nbformat
    from course_utils.authoring import how_it_works

    path = root / "solutions" / assignment.id / f"{assignment.id}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    before = nbformat.writes(nb)
    nb.metadata["course"] = metadata(course, assignment)
    first = nb.cells[0]
    if LESSON_LINE.search(first.source):
        first.source = LESSON_LINE.sub(lambda _: lesson_line(course, assignment), first.source, count=1)
    else:  # after the title
        title, _, rest = first.source.partition("\n")
        first.source = f"{title}\n\n{lesson_line(course, assignment)}\n{rest}"
    changed = nbformat.writes(nb) != before
    if changed:
        nbformat.write(nb, str(path))
    return how_it_works.update(str(path)) or changed


def generate_assignment(root: pathlib.Path, assignment_id: str) -> None:
    """exercises/<id>/ from solutions/<id>/ with nbgrader (a throwaway gradebook)."""
    bin_dirs = [str(root / ".venv" / "bin"), os.path.dirname(sys.executable)]
    env = {**os.environ, "PATH": os.pathsep.join([*bin_dirs, os.environ.get("PATH", "")])}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment_id, "--force",
                        f"--CourseDirectory.db_url=sqlite:///{tmp}/{assignment_id}.db"],
                       cwd=root, env=env, check=True)


def write(root: pathlib.Path | str = ROOT) -> list[str]:
    """Write every generated copy from the manifest; the files written."""
    root = pathlib.Path(root)
    course = load(root)
    written = [name for name in TABLES if write_table(root, course, name)]
    for assignment in course.assignments:
        name = f"solutions/{assignment.id}/{assignment.id}.ipynb"
        if not (root / name).exists():
            raise ManifestError(f"{name}: missing (the manifest lists {assignment.id}); write it first")
        changed = _write_solutions(root, course, assignment)
        written += [name] if changed else []
        if changed or check_notebook(root, course, assignment, "exercises"):
            generate_assignment(root, assignment.id)
            written.append(f"exercises/{assignment.id}/")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.authoring.manifest", description=__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="name every copy that differs (exit 1)")
    action.add_argument("--write", action="store_true", help="write the generated copies, then check")
    parser.add_argument("--root", default=str(ROOT), help="the repository root (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.write:
            for name in write(args.root):
                print(f"wrote {name}")
        problems = check(args.root)
    except ManifestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"error: {' '.join(error.cmd[2:5])} failed (exit {error.returncode})", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} differences from {MANIFEST}" +
              ("; the rest are not generated: fix them by hand" if args.write else "; run --write"),
              file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
