"""Every list of the lessons and exercises agrees with the course manifest, course.toml.

The manifest (lesson number, slug, title, exercise; each exercise's facts) is the
reference. Held against it: the lesson notebooks and the solutions/ and exercises/
folders; the README's map of the course; the course map notebook's two tables
(lessons/00_course-map.ipynb); the table of docs/checking_your_answers.md (exercise,
lesson to read first, points); the instructor guide's table (exercise, points, needs
Keras); the exercise each lesson's last cell names first; and, in solutions/ and
exercises/, each exercise's header line ``Lesson: [NN title](../../lessons/...)`` and
``metadata.course``. The manifest's points are the graded cells' points in solutions/.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from course_utils.authoring import manifest
from notebook_reading import read

ROOT = pathlib.Path(__file__).resolve().parents[2]
LINK = re.compile(r"^\[(?P<text>[^\]]+)\]\((?P<target>[^)]+)\)$")
COURSE = manifest.load(ROOT)
LESSONS = [lesson for lesson in COURSE.lessons if lesson.number > 0]  # lesson 0 is the map itself
EXERCISES = [lesson.exercise.id for lesson in LESSONS]


def path(lesson) -> str:
    return f"lessons/{lesson.number:02d}_{lesson.slug}.ipynb"


def table(text: str, header: list[str]) -> list[list[str]]:
    """The rows (cells stripped) of the Markdown table whose header row is ``header``."""
    lines = text.splitlines()
    heading = "| " + " | ".join(header) + " |"
    start = [i for i, line in enumerate(lines) if line.strip() == heading]
    assert len(start) == 1, f"expected one table headed {heading!r}, found {len(start)}"
    rows = []
    for line in lines[start[0] + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def link(cell: str) -> tuple[str, str]:
    match = LINK.match(cell)
    assert match, f"expected a Markdown link [text](target), got {cell!r}"
    return match["text"], match["target"]


def course_map() -> str:
    notebook = read(ROOT / "lessons" / "00_course-map.ipynb")
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def source_notebook(exercise: str):
    return read(ROOT / "solutions" / exercise / f"{exercise}.ipynb")


def points(exercise: str) -> float:
    return sum(cell.metadata.get("nbgrader", {}).get("points", 0) for cell in source_notebook(exercise).cells
               if cell.metadata.get("nbgrader", {}).get("grade"))


def test_the_manifest_lists_every_lesson_and_exercise_once_in_order():
    assert [lesson.number for lesson in COURSE.lessons] == list(range(len(COURSE.lessons)))
    assert COURSE.lessons[0].exercise is None and all(lesson.exercise for lesson in LESSONS)
    lessons = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    assert [path(lesson) for lesson in COURSE.lessons] == lessons
    for folder in ("solutions", "exercises"):
        found = sorted(p.name for p in (ROOT / folder).iterdir() if p.is_dir() and not p.name.startswith("."))
        assert EXERCISES == found, f"{folder}/ has {found}"


def test_the_readme_agrees():
    rows = table((ROOT / "README.md").read_text(encoding="utf-8"), ["#", "lesson", "what you learn", "exercise"])
    assert [(int(number), link(title), learn) for number, title, learn, _ in rows] == [
        (lesson.number, (lesson.title, path(lesson)), lesson.learn) for lesson in COURSE.lessons]
    assert [exercise for *_, exercise in rows][0] == ""
    assert [link(exercise) for *_, exercise in rows[1:]] == [
        (exercise, f"exercises/{exercise}/{exercise}.ipynb") for exercise in EXERCISES]


def test_the_course_map_notebook_agrees():
    text = course_map()
    lessons = table(text, ["#", "lesson", "the idea", "exercise after it"])
    assert [(int(n), *link(cell), exercise) for n, cell, _idea, exercise in lessons] == [
        (lesson.number, lesson.title, path(lesson).removeprefix("lessons/"), lesson.exercise.id)
        for lesson in LESSONS]
    exercises = table(text, ["exercise", "after lesson", "the skill"])
    assert [(*link(cell), int(after)) for cell, after, _skill in exercises] == [
        (lesson.exercise.id, f"../exercises/{lesson.exercise.id}/{lesson.exercise.id}.ipynb", lesson.number)
        for lesson in LESSONS]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: path(lesson))
def test_each_lesson_ends_with_its_exercise(lesson):
    notebook = read(ROOT / path(lesson))
    last = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"][-1]
    named = re.findall(r"exercises/(ex\d\d_\w+)/\1\.ipynb", last)
    assert named[:1] == [lesson.exercise.id], f"{path(lesson)}: its last cell names {named}"


def test_checking_your_answers_lists_every_exercise_after_its_lesson():
    rows = table((ROOT / "docs" / "checking_your_answers.md").read_text(encoding="utf-8"),
                 ["exercise", "lesson to read first", "points"])
    expected = [((lesson.exercise.id, f"../exercises/{lesson.exercise.id}/{lesson.exercise.id}.ipynb"),
                 (f"{lesson.number:02d} {lesson.title}", f"../{path(lesson)}"), lesson.exercise.points)
                for lesson in LESSONS]
    assert [(link(exercise), link(lesson), float(pts)) for exercise, lesson, pts in rows] == expected


def test_the_instructor_guide_lists_every_exercise_with_its_points():
    rows = table((ROOT / "docs" / "instructor_guide.md").read_text(encoding="utf-8"),
                 ["id", "skill", "points", "needs Keras"])
    expected = [(lesson.exercise.id, lesson.exercise.points, "yes" if lesson.exercise.needs_keras else "no")
                for lesson in LESSONS]
    assert [(exercise.strip("`"), float(pts), keras) for exercise, _skill, pts, keras in rows] == expected


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_manifests_points_are_the_graded_cells_points(exercise):
    assert COURSE.assignments[EXERCISES.index(exercise)].points == points(exercise)


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.exercise.id)
def test_each_exercise_states_the_manifests_facts(lesson, folder):
    exercise = lesson.exercise
    notebook = read(ROOT / folder / exercise.id / f"{exercise.id}.ipynb")
    course = dict(notebook.metadata["course"])
    assert course.pop("kernel_modules", []) == list(exercise.kernel_modules)
    assert course == {"allowed_imports": list(exercise.allowed_imports), "cell_timeout": exercise.cell_timeout,
                      "lesson": path(lesson), "needs_keras": exercise.needs_keras}
    header = re.search(r"^Lesson: (\[.+?\]\(.+?\))\.?$", notebook.cells[0].source, re.M)
    assert header, f"{folder}/{exercise.id}: no 'Lesson: [NN title](path)' line in the first cell"
    assert link(header.group(1)) == (f"{lesson.number:02d} {lesson.title}", f"../../{path(lesson)}")
