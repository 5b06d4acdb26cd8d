"""Every lesson asks the learner to predict before a cell runs, and ends by saying how to free Binder's memory."""

from pathlib import Path

import nbformat
import pytest

LESSONS = sorted((Path(__file__).resolve().parents[1] / "lessons").glob("0*.ipynb"))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_the_last_cell_says_how_to_free_the_kernels_memory_in_one_line(path):
    last = nbformat.read(path, as_version=4).cells[-1]
    lines = [line for line in last.source.splitlines() if "Shut Down Kernel" in line]
    assert len(lines) == 1 and "Kernel → Shut Down Kernel" in lines[0] and "Binder" in lines[0]


@pytest.mark.parametrize("path", [p for p in LESSONS if not p.name.startswith("00_")], ids=lambda p: p.name)
def test_the_lesson_asks_for_a_prediction_before_a_code_cell_shows_it(path):
    cells = nbformat.read(path, as_version=4).cells
    asks = [i for i, cell in enumerate(cells)
            if cell.cell_type == "markdown" and "*Predict before you run it" in cell.source]
    assert asks, f"{path.name} asks for no prediction"
    for i in asks:
        prompt = cells[i].source.split("*Predict before you run it", 1)[1]
        assert "?" in prompt, "a prediction prompt asks a question"
        assert any(cell.cell_type == "code" for cell in cells[i + 1 :]), "a code cell after the prompt shows the answer"
