"""Every lesson asks the learner to predict before a cell runs, and ends by saying how to free Binder's memory."""

import pytest

import notebook_reading
from notebook_reading import read

LESSONS = sorted(notebook_reading.LESSONS.glob("0*.ipynb"))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_the_last_cell_says_how_to_free_the_kernels_memory_in_one_line(path):
    last = read(path).cells[-1]
    lines = [line for line in last.source.splitlines() if "Shut Down Kernel" in line]
    assert len(lines) == 1 and "Kernel → Shut Down Kernel" in lines[0] and "Binder" in lines[0]


@pytest.mark.parametrize("path", [p for p in LESSONS if not p.name.startswith("00_")], ids=lambda p: p.name)
def test_the_lesson_asks_for_a_prediction_before_a_code_cell_shows_it(path):
    cells = read(path).cells
    asks = [i for i, cell in enumerate(cells)
            if cell.cell_type == "markdown" and "*Predict before you run it" in cell.source]
    assert asks, f"{path.name} asks for no prediction"
    for i in asks:
        prompt = cells[i].source.split("*Predict before you run it", 1)[1]
        assert "?" in prompt, "a prediction prompt asks a question"
        assert any(cell.cell_type == "code" for cell in cells[i + 1 :]), "a code cell after the prompt shows the answer"


def test_every_readme_keras_fact_names_a_lesson_that_uses_what_it_states():
    """README's "Keras facts" stay in step with the lessons: each names a lesson whose source holds its API."""
    import re

    readme = (notebook_reading.ROOT / "README.md").read_text()
    section = readme.split("## Keras facts", 1)[1].split("\n## ", 1)[0]
    facts = re.split(r"\n- ", "\n" + section.split("\n", 1)[1].strip())[1:]
    assert len(facts) >= 8
    for fact in facts:
        numbers = [int(n) for group in re.findall(r"lessons? ([\d, ]+)", fact) for n in re.findall(r"\d", group)]
        assert numbers, f"this Keras fact names no lesson: {fact}"
        names = [token.split("(")[0].split("=")[0] for token in re.findall(r"`([^`]+)`", fact)]
        names = [name for name in names if re.fullmatch(r"[A-Za-z_][\w.]*", name)]
        sources = "".join(path.read_text() for path in LESSONS if int(path.name[:2]) in numbers)
        assert any(name.split(".")[-1] in sources for name in names), f"lessons {numbers} do not use {names}: {fact}"
