"""The course as people meet it: JupyterLab in headless Chromium.

Lesson 1 runs with *Run All*: no cell shows an error, plots render as images,
the batch-size explorer renders and answers a slider change. An exercise's
*Validate* button shows nbgrader's result dialog while the instructor-only
panels stay hidden (the Binder settings). Progress bars render as one line per
epoch and verbose=0 silences them. Screenshots: test-artifacts/browser/.
"""

from __future__ import annotations

import json
import pathlib
import re
import time
import urllib.error
import urllib.request

import pytest

from grading_harness import in_order

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
pytestmark = pytest.mark.browser

RUN_ALL_TIMEOUT_S = 300
TRACEBACK = "Traceback (most recent call last)"


def open_notebook(page, lab: dict, path: str, workspace: str):
    """Open ``path`` in its own workspace (nothing else restored) and return the notebook panel."""
    page.goto(f"{lab['url']}/lab/workspaces/{workspace}/tree/{path}?reset&token={lab['token']}")
    panel = page.locator(".jp-NotebookPanel >> visible=true")
    panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
    return panel


def run_all(page, panel, lab: dict) -> list[str]:
    """Run > Run All Cells, wait until every code cell has run or one failed; return the input prompts."""
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    deadline, stalled_since = time.monotonic() + RUN_ALL_TIMEOUT_S, None
    while time.monotonic() < deadline:
        prompts = [p.strip() for p in panel.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]
        if "[*]:" in prompts:
            stalled_since = None
        elif all(re.fullmatch(r"\[\d+\]:", p) for p in prompts) or TRACEBACK in panel.inner_text():
            return prompts
        elif stalled_since is None:
            stalled_since = time.monotonic()
        elif time.monotonic() - stalled_since > 30:  # nothing running, nothing failed, cells left: the run stopped
            break
        time.sleep(0.5)
    page.screenshot(path=str(ARTIFACTS / "run-all-stopped.png"))
    pytest.fail(f"Run All stopped before the end; prompts: {prompts}\nserver log:\n{lab['log'].read_text()[-2000:]}")


def output_texts(panel) -> list[str]:
    """The rendered output text of every code cell, in order."""
    cells = panel.locator(".jp-CodeCell")
    return [cells.nth(i).locator(".jp-OutputArea").inner_text() for i in range(cells.count())]


def saved_notebook(page, lab: dict, path: str) -> dict:
    """Save with Ctrl+S and read the notebook back through the contents API."""
    page.keyboard.press("Control+s")
    page.locator(".jp-NotebookPanel >> visible=true").page.wait_for_function(
        "() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')"
    )
    with urllib.request.urlopen(f"{lab['url']}/api/contents/{path}?content=1&token={lab['token']}") as response:
        return json.load(response)["content"]


def screenshot(locator, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(ARTIFACTS / name))


def test_lesson_1_runs_all_with_plots_and_a_live_explorer(page, lab, course_copy):
    panel = open_notebook(page, lab, course_copy["lesson"], "lesson")
    panel.locator(".jp-CodeCell").first.click()  # focus the notebook for the menu and the shortcut
    prompts = run_all(page, panel, lab)
    page.screenshot(path=str(ARTIFACTS / "lesson-01-after-run-all.png"))

    text = panel.inner_text()
    assert TRACEBACK not in text, f"a cell shows an error:\n{text[text.index(TRACEBACK) - 300:][:1500]}"
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), f"cells that did not run: {prompts}"

    images = panel.locator(".jp-RenderedImage img")
    assert images.count() >= 1, "no plot rendered as an image"
    widths = images.evaluate_all("imgs => imgs.map(img => img.naturalWidth)")
    assert all(width > 0 for width in widths), f"an image did not load: natural widths {widths}"

    explorer = panel.locator(".course-explorer").first
    explorer.scroll_into_view_if_needed()
    plot = explorer.locator(".course-explorer-plot")
    status = explorer.locator(".widget-html")
    assert "steps per epoch" in status.inner_text()
    assert plot.evaluate("img => img.naturalWidth") > 0, "the explorer's plot did not render"
    screenshot(explorer, "explorer-before.png")

    status_before, src_before = status.inner_text(), plot.get_attribute("src")
    handle = explorer.locator(".noUi-handle").first  # the batch-size slider
    handle.focus()
    start = time.perf_counter()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "([el, before]) => el.innerText !== before", arg=[status.element_handle(), status_before], timeout=15_000
    )
    latency_ms = (time.perf_counter() - start) * 1000  # key press to new text: kernel round trip included
    (ARTIFACTS / "explorer-latency.txt").write_text(f"slider change to new step count in the browser: {latency_ms:.0f} ms\n")
    assert "steps per epoch" in status.inner_text()
    page.wait_for_function("([img, before]) => img.src !== before && img.naturalWidth > 0",
                           arg=[plot.element_handle(), src_before], timeout=15_000)
    screenshot(explorer, "explorer-after-slider-change.png")

    notebook = saved_notebook(page, lab, course_copy["lesson"])
    assert any(c.get("outputs") for c in notebook["cells"]), "the saved notebook has no outputs: was it saved?"
    errors = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, [f"{o['ename']}: {o['evalue']}" for o in errors]


def test_validate_shows_the_result_dialog_and_instructor_panels_are_hidden(page, lab, course_copy):
    panel = open_notebook(page, lab, course_copy["exercise"], "exercise")
    assert page.locator(".lm-MenuBar-item", has_text="Nbgrader").count() == 0, "the instructor's Nbgrader menu shows"
    button = panel.locator(".validate-button")
    button.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=120_000)
    screenshot(dialog.locator(".jp-Dialog-content"), "validate-dialog.png")
    header = dialog.locator(".jp-Dialog-header").inner_text()
    assert header.strip() == "Validation Results", f"unexpected dialog: {header!r}: {dialog.inner_text()[:500]}"
    assert dialog.locator(".jp-Dialog-body").inner_text().strip()
    dialog.locator(".jp-Dialog-button").last.click()
    with pytest.raises(urllib.error.HTTPError) as error:  # the formgrader's server extension is off too
        urllib.request.urlopen(f"{lab['url']}/formgrader?token={lab['token']}")
    assert error.value.code == 404


def test_progress_bars_render_one_line_per_epoch_and_verbose_0_is_silent(page, lab, course_copy):
    panel = open_notebook(page, lab, course_copy["progress"], "progress")
    panel.locator(".jp-CodeCell").first.click()
    run_all(page, panel, lab)
    screenshot(panel, "progress-bars.png")
    ours, ours_silent, keras, keras_silent = output_texts(panel)
    lines = ours.strip().splitlines()
    assert lines[0::2] == ["Epoch 1/2", "Epoch 2/2"], ours
    assert all(re.fullmatch(r"5000/5000 \[=+\] - loss: [\d.]+ - [\d.]+s", line) for line in lines[1::2]), ours
    assert len(lines) == 4, f"the carriage-return redraws left lines behind:\n{ours}"
    assert ours_silent.strip() == "" and keras_silent.strip() == ""
    keras_lines = keras.strip().splitlines()
    assert [line for line in keras_lines if line.startswith("Epoch")] == ["Epoch 1/2", "Epoch 2/2"], keras
    bars = [line for line in keras_lines if "/157" in line]
    assert len(bars) == 2 and all(line.startswith("157/157") for line in bars), keras
    assert "\b" not in keras


def test_the_explorer_is_sharp_and_its_learning_rate_slider_moves_a_step_per_short_drag(page, lab, course_copy):
    """The plot is drawn with 1.5 pixels per pixel shown; a 30-px drag moves the learning rate one option, not to the end."""
    import nbformat

    path = "explorer.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from course_utils.experiments.explorer import explore_batch_size\n\nexplore_batch_size()")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, str(course_copy["root"] / path))
    panel = open_notebook(page, lab, path, "explorer")
    explorer = panel.locator(".course-explorer").first
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(timeout=60_000)  # the kernel is up
    for _ in range(3):  # a run asked for in the kernel's first moments can be dropped: ask again
        panel.locator(".jp-CodeCell").first.click()
        page.keyboard.press("Control+Enter")
        try:
            explorer.wait_for(timeout=30_000)
            break
        except Exception:  # noqa: BLE001 (playwright's TimeoutError)
            continue
    explorer.wait_for(timeout=30_000)
    plot = explorer.locator(".course-explorer-plot")
    page.wait_for_function("img => img.naturalWidth > 0", arg=plot.element_handle())
    shown, natural = plot.evaluate("img => [img.getBoundingClientRect().width, img.naturalWidth]")
    assert natural == 1458 and 800 < shown <= 972 and natural >= 1.5 * shown - 1, (shown, natural)

    slider = explorer.locator(".widget-hslider").nth(1)  # batch size, learning rate, epochs
    readout = slider.locator(".widget-readout")
    assert readout.inner_text().strip() == "0.01"
    track = slider.locator(".noUi-target").bounding_box()
    assert track["width"] / 6 >= 40, f"7 learning rates on a {track['width']:.0f} px track"
    box = slider.locator(".noUi-handle").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y, steps=6)
    page.mouse.up()
    page.wait_for_function("el => el.innerText.trim() !== '0.01'", arg=readout.element_handle(), timeout=15_000)
    assert readout.inner_text().strip() == "0.03"  # the next option, not 1
    screenshot(explorer, "explorer-after-short-drag.png")


def test_validate_dialog_leads_with_a_verdict_per_part_then_each_failed_test(page, lab, course_copy):
    """ex01 with a wrong Part A: the dialog's first lines are the verdicts, then each failed test, no source."""
    if course_copy["wrong_part_a"] is None:
        pytest.skip("exercises/ex01_counting_steps is absent")
    panel = open_notebook(page, lab, course_copy["wrong_part_a"], "validate-wrong-part-a")
    panel.locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=120_000)
    screenshot(dialog.locator(".jp-Dialog-content"), "validate-dialog-wrong-part-a.png")
    text = dialog.locator(".jp-Dialog-body").inner_text()
    assert text.strip().startswith("VALIDATION FAILED ON 3 CELL(S)!"), text[:500]
    in_order(text, "Part A: failed, 1/3 points (2 of 3 tests failed)", "Part B: failed, 1/2 points",
             "Part C: passed, 2/2 points",
             "The following cell failed:", "Part A, test_steps_partial_batch (0/1 point): steps_per_epoch counts",
             "expected 3 steps for n_samples=7, batch_size=3, got 2:\nis the last partial batch counted?",
             "Part A, test_steps_default_batch_size", "Part B, test_total_steps_partial_batch")
    assert text.count("The following cell failed:") == 3  # one per failed test; none above the verdicts
    assert "Traceback" not in text and "observe_each(" not in text and "course_utils/" not in text, text
    dialog.locator(".jp-Dialog-button").last.click()


def test_run_all_with_a_wrong_part_a_reaches_the_last_part(page, lab, course_copy):
    """A failing test shows its name and message; Run All goes on, and the saved notebook records the failures."""
    if course_copy["wrong_part_a"] is None:
        pytest.skip("exercises/ex01_counting_steps is absent")
    panel = open_notebook(page, lab, course_copy["wrong_part_a"], "run-all-wrong-part-a")
    panel.locator(".jp-CodeCell").first.click()
    prompts = run_all(page, panel, lab)
    page.screenshot(path=str(ARTIFACTS / "wrong-part-a-after-run-all.png"), full_page=True)
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), f"Run All stopped: {prompts}"
    text = panel.inner_text()
    in_order(text, "Failed: steps_per_epoch counts the last, partial batch as one more step.",
             "expected 3 steps for n_samples=7, batch_size=3, got 2:",
             "Failed: total_steps counts a partial batch as a whole step")
    outputs = "\n".join(output_texts(panel))
    assert TRACEBACK not in outputs and "course_utils/" not in outputs, outputs
    notebook = saved_notebook(page, lab, course_copy["wrong_part_a"])
    tests = {c["metadata"]["nbgrader"]["grade_id"]: c for c in notebook["cells"]
             if c["metadata"].get("nbgrader", {}).get("grade") and c["cell_type"] == "code"}
    failed = {g for g, c in tests.items() if any(o["output_type"] == "error" for o in c["outputs"])}
    assert failed == {"test_steps_partial_batch", "test_steps_default_batch_size", "test_total_steps_partial_batch"}
    assert tests["test_last_batch_size_edge_cases"]["execution_count"]  # the last part ran
