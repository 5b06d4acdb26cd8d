"""The course manifest (course.toml): read with clear errors, its copies written and checked.

Adding a lesson is run here as the README's maintainers' part says, in a copy of the
repository's files: one ``[[lesson]]`` entry and its notebook, then
``python -m course_utils.authoring.manifest --write``; a copy that drifts makes ``--check`` fail,
naming the file and the fact. The time limits: nbgrader's Validate limit is
``limits.DEFAULT_CELL_TIMEOUT``, and no assignment's ``cell_timeout`` exceeds it.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

from course_utils.authoring import manifest
from course_utils.grading.trusted import limits

ROOT = pathlib.Path(__file__).resolve().parents[2]

LESSON = """
[[lesson]]
number = 0
slug = "course-map"
title = "course map"
learn = "where everything is"
"""
EXERCISE = """
[[lesson]]
number = 1
slug = "count-batches"
title = "Count batches"
learn = "batches"

[lesson.exercise]
id = "ex01_counting"
needs_keras = false
allowed_imports = ["math", "numpy"]
cell_timeout = 10
points = 7
"""


def run(*args: str, root: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course_utils.authoring.manifest", *args, "--root", str(root)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.fixture
def copy(tmp_path):
    """The files the manifest writes or checks, copied: course.toml, README, docs, lessons, exercises."""
    for name in ("course.toml", "README.md", "docs/checking_your_answers.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "lessons").mkdir()
    for lesson in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"):
        shutil.copy(lesson, tmp_path / "lessons" / lesson.name)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_the_manifest_reads_as_the_course():
    course = manifest.load()
    assert course.lessons[0].path == "lessons/00_course-map.ipynb" and course.lessons[0].exercise is None
    ex03 = course.assignments[2]
    assert (ex03.id, ex03.lesson, ex03.cell_timeout, ex03.needs_keras) == ("ex03_update_loops", 3, 10, False)
    assert course.lesson_of(ex03).label == "03 Compare the gradient-descent variants"
    assert "course_utils.reference.batching:minibatches" in ex03.kernel_modules


@pytest.mark.parametrize("text, names", [
    (LESSON + "number = 0\n", ["not valid TOML"]),
    (LESSON.replace('title = "course map"\n', ""), ["[[lesson]] number 0", "'title' is missing"]),
    (LESSON.replace("number = 0", "number = 1"), ["'number' must be 0", "got 1"]),
    (LESSON.replace('slug = "course-map"', 'slug = "Course Map"'), ["'slug'", "lower-case", "'Course Map'"]),
    (LESSON + 'colour = "red"\n', ["unknown key 'colour'", "accepted: number, slug"]),
    (LESSON + EXERCISE.replace("cell_timeout = 10", 'cell_timeout = "10"'),
     ["[[lesson]] number 1, its exercise", "'cell_timeout' must be a whole number of seconds", "got '10'"]),
    (LESSON + EXERCISE.replace("needs_keras = false\n", ""), ["its exercise", "'needs_keras' is missing"]),
    (LESSON + EXERCISE + EXERCISE.replace("number = 1", "number = 2"), ["'id' 'ex01_counting' is already"]),
    ('title = "a course"\n', ["unknown key 'title'"]),
    ("lesson = [1]\n", ["[[lesson]] number 0: must be a table", "got 1"]),
    (LESSON.replace('"course map"', '"course | map"'), ["'title' must be one line of text, no '|'"]),
])
def test_a_bad_manifest_is_named_with_its_key(tmp_path, text, names):
    (tmp_path / "course.toml").write_text(text, encoding="utf-8")
    with pytest.raises(manifest.ManifestError) as error:
        manifest.load(tmp_path)
    assert str(tmp_path / "course.toml") in str(error.value)
    for name in names:
        assert name in str(error.value)


def test_no_manifest_is_named(tmp_path):
    with pytest.raises(manifest.ManifestError, match="course.toml: no such file"):
        manifest.load(tmp_path)


def test_the_repository_agrees_with_its_manifest():
    result = run("--check", root=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_adding_a_lesson_is_one_entry_and_one_notebook(copy):
    """The README's procedure: the lesson's notebook, one [[lesson]] entry, --write; then --check passes."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Read a training log")])
    nbformat.write(notebook, str(copy / "lessons" / "10_read-a-training-log.ipynb"))
    with (copy / "course.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[[lesson]]\nnumber = 10\nslug = "read-a-training-log"\ntitle = "Read a training log"\n'
                   'learn = "what each number of a Keras log counts"\n')
    before = run("--check", root=copy)
    assert before.returncode == 1 and "README.md: the table headed" in before.stdout, before.stdout
    checking = (copy / "docs" / "checking_your_answers.md").read_text(encoding="utf-8")

    written = run("--write", root=copy)

    assert written.returncode == 0, written.stdout + written.stderr
    assert written.stdout.splitlines() == ["wrote README.md"]
    readme = (copy / "README.md").read_text(encoding="utf-8").splitlines()
    row = readme.index("| 9 | [Add momentum and Adam](lessons/09_add-momentum-and-adam.ipynb) | momentum and Adam "
                       "from scratch against Keras 3; momentum at the same rate hovers farther with batch 1; "
                       "Adam's per-parameter step; bias correction switched off | "
                       "[ex09_momentum_adam](exercises/ex09_momentum_adam/ex09_momentum_adam.ipynb) |")
    assert readme[row + 1:row + 3] == [
        "| 10 | [Read a training log](lessons/10_read-a-training-log.ipynb) | what each number of a Keras log "
        "counts | |", ""]
    assert (copy / "README.md").read_text(encoding="utf-8").replace(readme[row + 1] + "\n", "") == (
        ROOT / "README.md").read_text(encoding="utf-8")
    assert (copy / "docs" / "checking_your_answers.md").read_text(encoding="utf-8") == checking
    assert run("--check", root=copy).returncode == 0


def test_a_lesson_notebook_missing_from_the_manifest_is_named(copy):
    shutil.copy(copy / "lessons" / "09_add-momentum-and-adam.ipynb", copy / "lessons" / "10_extra.ipynb")
    result = run("--check", root=copy)
    assert result.returncode == 1
    assert "lessons/10_extra.ipynb: not in the manifest (course.toml)" in result.stdout


def test_a_copy_that_drifts_fails_the_check_naming_file_and_fact(copy):
    readme = (copy / "README.md").read_text(encoding="utf-8")
    (copy / "README.md").write_text(readme.replace("[Choose a batch size](", "[Pick a batch size]("),
                                    encoding="utf-8")
    source = copy / "solutions" / "ex04_keras_fit" / "ex04_keras_fit.ipynb"
    nb = json.loads(source.read_text(encoding="utf-8"))
    nb["metadata"]["course"]["cell_timeout"] = 30
    source.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    toml = (copy / "course.toml").read_text(encoding="utf-8")
    (copy / "course.toml").write_text(toml.replace("points = 10", "points = 11"), encoding="utf-8")

    result = run("--check", root=copy)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert ("README.md: the table's row of lesson 6, column 'lesson', is "
            "'[Pick a batch size](lessons/06_choose-a-batch-size.ipynb)', the manifest gives "
            "'[Choose a batch size](lessons/06_choose-a-batch-size.ipynb)'") in lines
    assert ("solutions/ex04_keras_fit/ex04_keras_fit.ipynb: metadata.course.cell_timeout is 30, "
            "the manifest gives 120") in lines
    assert ("solutions/ex03_update_loops/ex03_update_loops.ipynb: points: the graded cells' points add up to 10, "
            "the manifest gives 11") in lines
    assert ("docs/checking_your_answers.md: the table's row of ex03_update_loops, column 'points', is '10', "
            "the manifest gives '11'") in lines
    assert ("solutions/ex03_update_loops/ex03_update_loops.ipynb: points: the first cell says '(10 in all)', "
            "the manifest gives 11") in lines
    assert len(lines) == 5, lines


def test_writing_a_table_leaves_the_rest_of_the_file(copy):
    path = copy / "docs" / "checking_your_answers.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("| 8 |\n", "| 80 |\n").replace("| 7 |", "| 70 |"), encoding="utf-8")
    course = manifest.load(copy)
    assert manifest.write_table(copy, course, "docs/checking_your_answers.md")
    assert path.read_text(encoding="utf-8") == text
    assert not manifest.write_table(copy, course, "docs/checking_your_answers.md")


def test_nbgraders_validate_limit_is_the_grading_default_and_above_every_assignments():
    script = ("from traitlets.config.loader import PyFileConfigLoader; "
              "print(PyFileConfigLoader('nbgrader_config.py', path='.').load_config().ExecutePreprocessor.timeout)")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert int(shown.stdout.split()[-1]) == limits.DEFAULT_CELL_TIMEOUT
    for assignment in manifest.load().assignments:
        assert assignment.cell_timeout <= limits.DEFAULT_CELL_TIMEOUT, assignment


def test_writing_a_fact_writes_the_solutions_notebook_and_regenerates_its_exercise(copy):
    """A drifted metadata.course and Lesson: line are written back, and exercises/ regenerated by nbgrader."""
    shutil.copy(ROOT / "nbgrader_config.py", copy / "nbgrader_config.py")
    name = "ex01_counting_steps/ex01_counting_steps.ipynb"
    source = copy / "solutions" / name
    nb = json.loads(source.read_text(encoding="utf-8"))
    nb["metadata"]["course"]["cell_timeout"] = 30
    nb["cells"][0]["source"] = [line.replace("[01 Count", "[1 Count") for line in nb["cells"][0]["source"]]
    source.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    shutil.rmtree(copy / "exercises" / "ex01_counting_steps")

    written = run("--write", root=copy)

    assert written.returncode == 0, written.stdout + written.stderr
    assert written.stdout.splitlines() == [f"wrote solutions/{name}", "wrote exercises/ex01_counting_steps/"]
    for folder in ("solutions", "exercises"):
        assert (copy / folder / name).read_text(encoding="utf-8") == (ROOT / folder / name).read_text(
            encoding="utf-8"), f"{folder}/{name}"
    assert run("--check", root=copy).returncode == 0
