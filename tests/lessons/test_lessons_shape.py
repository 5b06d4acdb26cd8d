"""Lessons 01-06 alike: committed clean, the course's shape (learn/need, numbered steps, a summary pointing to
the exercise), Keras 3 names and no downloads; figures that say what they draw and what their x axis counts.

Lessons 07-09 check their shape in their own files (tests/lessons/test_lesson_07.py ...). What every lesson
must do alike is checked in tests/course/test_notebooks.py (learn/need/summary, runs top to bottom, code lines
of 88 columns) and tests/lessons/test_lessons_predict_and_shutdown.py.
"""

import re

import nbformat
import pytest

from notebook_reading import code_cells, code_of, lesson_path, markdown_of, read

LESSON_01, LESSON_02, LESSON_03 = lesson_path(1), lesson_path(2), lesson_path(3)
ALL = [LESSON_01, LESSON_02, LESSON_03]
EXERCISES = {LESSON_01: "ex01_counting_steps", LESSON_02: "ex02_minibatches", LESSON_03: "ex03_update_loops"}
LESSON_FILES = {number: lesson_path(number).name for number in (4, 5, 6)}
EXERCISE_PATHS = {
    4: ["exercises/ex04_keras_fit/ex04_keras_fit.ipynb"],
    5: ["exercises/ex05_loss_curves/ex05_loss_curves.ipynb"],
    6: ["exercises/ex06_batch_sizes/ex06_batch_sizes.ipynb"],
}


# --- lessons 01-03 --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_lesson_is_stripped_python3_nbformat4_and_10_to_25_cells(path):
    nb = read(path)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    assert 10 <= len(nb.cells) <= 25, f"{path.name} has {len(nb.cells)} cells"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: outputs not stripped"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_lesson_opens_with_learn_and_need_and_ends_with_summary_and_exercise(path):
    cells = read(path).cells
    assert cells[0].source.startswith("# "), "the first cell is the title"
    assert "What you'll learn" in cells[0].source and "What you'll need" in cells[0].source
    assert "## Summary" in cells[-1].source
    exercise = EXERCISES[path]
    assert f"exercises/{exercise}/{exercise}.ipynb" in cells[-1].source


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_steps_are_numbered_bold_sentences(path):
    steps = [c.source for c in read(path).cells if c.cell_type == "markdown" and c.source.startswith("**Step ")]
    assert len(steps) >= 5
    assert [s.split(".")[0] for s in steps] == [f"**Step {i}" for i in range(1, len(steps) + 1)]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_lesson_uses_keras_3_names_and_no_downloads(path):
    code = "\n".join(code_cells(path))
    assert "lr=" not in code.replace(" ", "")
    assert "keras.datasets" not in code and "urlopen" not in code


@pytest.mark.parametrize("path", [LESSON_01, LESSON_03], ids=lambda p: p.name)
def test_cells_that_only_draw_say_so(path):
    drawing = [s for s in code_cells(path) if "plt.show()" in s]
    assert drawing and all("# This cell only draws a figure." in s for s in drawing)


# --- lessons 04-06 --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", LESSON_FILES)
def test_lesson_is_committed_clean(number):
    nb = read(number)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"lesson {number} has outputs: strip them"


@pytest.mark.parametrize("number", LESSON_FILES)
def test_lesson_has_the_course_shape(number):
    cells = read(number).cells
    assert 10 <= len(cells) <= 25, f"lesson {number} has {len(cells)} cells, expected 10-25"
    opening, closing = cells[0].source, cells[-1].source
    assert opening.startswith("# ") and "What you'll learn" in opening and "What you'll need" in opening
    assert closing.startswith("## Summary")
    for path in EXERCISE_PATHS[number]:
        assert path in closing, f"lesson {number}'s summary should point to {path}"
    steps = [int(m) for m in re.findall(r"^\*\*Step (\d+)\. ", markdown_of(number), flags=re.M)]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= 5, f"steps should be numbered 1, 2, ...: {steps}"


@pytest.mark.parametrize("number", LESSON_FILES)
def test_every_figure_says_what_its_x_axis_counts(number):
    for cell in read(number).cells:
        draws = cell.cell_type == "code" and re.search(r"\.(plot|loglog|semilogy|scatter)\(", cell.source)
        if draws:
            assert "set_xlabel" in cell.source, f"a figure in lesson {number} has no x label:\n{cell.source}"


@pytest.mark.parametrize("number", LESSON_FILES)
def test_lessons_use_keras_3_names_and_no_downloads(number):
    # lesson 4 runs seed 000's own lines once, each marked "# the note's ...", to show what they do in Keras 3
    code = "\n".join(line for line in code_of(number).splitlines() if "# the note's" not in line)
    assert "tensorflow.keras" not in code and "keras.datasets" not in code
    assert re.search(r"\blr=", code.replace("SGD(lr=0.01)  # the note's call", "")) is None
