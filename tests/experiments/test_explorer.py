"""The batch-size explorer: what it trains, what it shows, how it fails, and that it runs headless."""

import io
import warnings

import ipywidgets as widgets
import PIL.Image
import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from course_utils import SGD, Dense, fit
from course_utils.reference import datasets
from course_utils.experiments.explorer import DIVERGING, BatchSizeExplorer, explore_batch_size, log_ticks

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def values(slider):
    return [value for _, value in slider.options]


@pytest.fixture(scope="module")
def explorer():
    return explore_batch_size()


def test_sliders_start_at_keras_defaults(explorer):
    assert isinstance(explorer, widgets.VBox)
    assert explorer.settings == {"batch_size": 32, "learning_rate": 0.01, "epochs": 10}
    descriptions = [s.description for s in (explorer.batch_size_slider, explorer.learning_rate_slider, explorer.epochs_slider)]
    assert descriptions == ["batch size", "learning rate", "epochs"]
    assert values(explorer.batch_size_slider) == [1, 2, 4, 8, 16, 32, 64, 100]
    assert values(explorer.epochs_slider) == list(range(1, 31))
    assert values(explorer.learning_rate_slider) == [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]


def test_shows_the_step_count_and_curves_of_the_same_run_as_fit(explorer):
    X, y = datasets.linear_regression()
    expected = fit(Dense(1, rng=0), X, y, loss="mse", optimizer=SGD(0.01), batch_size=32, epochs=10,
                   rng=np.random.default_rng(0), verbose=0)
    assert "⌈100 / 32⌉ = 4" in explorer.message and "4 × 10 epochs = 40" in explorer.message
    assert explorer.message in explorer.steps_html.value
    np.testing.assert_allclose(explorer.history.step_losses, expected.step_losses)
    np.testing.assert_allclose(explorer.history.history["loss"], expected.history["loss"])
    step_line, epoch_line = explorer.lines
    assert len(step_line.get_xdata()) == 40 and len(epoch_line.get_xdata()) == 10
    np.testing.assert_allclose(epoch_line.get_ydata(), expected.history["loss"])


def test_axes_say_what_they_count(explorer):
    step_axes, epoch_axes = explorer.figure.axes
    assert step_axes.get_xlabel() == "step (update)"
    assert epoch_axes.get_xlabel() == "epoch"
    assert all("loss" in ax.get_ylabel() for ax in explorer.figure.axes)


def test_each_slider_change_retrains_and_redraws():
    explorer = explore_batch_size()
    png_before = bytes(explorer.image.value)
    assert png_before.startswith(PNG_SIGNATURE)
    explorer.batch_size_slider.value = 1
    assert len(explorer.history.step_losses) == 100 * 10
    assert "⌈100 / 1⌉ = 100" in explorer.steps_html.value and "= 1000" in explorer.steps_html.value
    assert bytes(explorer.image.value) != png_before
    explorer.epochs_slider.value = 3
    assert len(explorer.history.history["loss"]) == 3 and len(explorer.history.step_losses) == 300
    explorer.learning_rate_slider.value = 0.1
    assert explorer.last_update_ms > 0
    assert len(explorer.lines[0].get_xdata()) == 300


def test_same_settings_draw_the_same_curves():
    first, second = explore_batch_size(rng=3), explore_batch_size(rng=3)
    for explorer in (first, second):
        explorer.batch_size_slider.value = 8
    assert first.history.step_losses == second.history.step_losses
    other = explore_batch_size(rng=4)
    other.batch_size_slider.value = 8
    assert other.history.step_losses != first.history.step_losses


def test_divergence_is_reported_not_raised():
    explorer = explore_batch_size()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either
        explorer.batch_size_slider.value = 1
        explorer.learning_rate_slider.value = 1.0
    assert explorer.history is None
    assert "diverged" in explorer.steps_html.value and "learning_rate" in explorer.steps_html.value
    assert "diverged at step" in explorer.notes[0].get_text()
    explorer.learning_rate_slider.value = 0.01  # and it recovers
    assert explorer.history is not None and explorer.notes[0].get_text() == ""


def test_mime_bundle_has_a_png_for_places_without_a_kernel(explorer):
    bundle, metadata = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"].startswith("iVBORw0KGgo")  # base64 of the PNG signature
    assert bundle["text/plain"] == explorer.message
    assert metadata == {"image/png": {"width": 972}}  # shown at its size, not at its 1.5x pixels


def test_other_problems_and_losses():
    X, y = datasets.seed000_points()
    classifier = explore_batch_size(X, y, loss="binary_crossentropy", activation="sigmoid")
    assert values(classifier.batch_size_slider) == [1, 2, 4, 8, 13]
    assert classifier.settings["batch_size"] == 13  # nearest to 32
    assert len(classifier.history.step_losses) == 10
    (X_train, y_train), _ = datasets.digits()
    digits = explore_batch_size(X_train[:200].reshape(200, 64), y_train[:200], loss="sparse_categorical_crossentropy",
                                activation="softmax", batch_sizes=[16, 32], learning_rates=[0.1], epochs=[1, 2])
    assert digits.settings == {"batch_size": 32, "learning_rate": 0.1, "epochs": 2}  # nearest to 10
    assert len(digits.history.step_losses) == 2 * 7  # 2 epochs of ceil(200 / 32) steps


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"loss": "hinge"}, ValueError, "loss"),
        ({"activation": "relu"}, ValueError, "activation"),
        ({"batch_sizes": []}, ValueError, "batch_sizes"),
        ({"batch_sizes": [0, 8]}, ValueError, "batch_sizes"),
        ({"batch_sizes": 8}, TypeError, "batch_sizes"),
        ({"learning_rates": [-0.1]}, ValueError, "learning_rates"),
        ({"learning_rates": "0.1"}, TypeError, "learning_rates"),
        ({"epochs": [2.5]}, TypeError, "epochs"),
        ({"rng": "seed"}, TypeError, "rng"),
        ({"X": np.zeros((5, 1))}, ValueError, "X and y"),
        ({"X": np.zeros((5, 1)), "y": np.zeros(4)}, ValueError, "same number of samples"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, words):
    with pytest.raises(error, match=words):
        explore_batch_size(**kwargs)


def _png_size(data: bytes) -> tuple[int, int]:
    with PIL.Image.open(io.BytesIO(data)) as image:
        return image.size


def _labelled_ticks(ax) -> list[str]:
    """The y tick labels that are drawn: inside the axis' limits and not empty."""
    low, high = ax.get_ylim()
    return [label.get_text() for tick, label in zip(ax.get_yticks(), ax.get_yticklabels())
            if low <= tick <= high and label.get_text()]


def test_a_diverging_run_keeps_labelled_axes_and_says_so():
    """Learning rate 1 at batch 32: the loss grows to about 1e45; the axes stop at DIVERGING x the first loss."""
    explorer = explore_batch_size()
    explorer.learning_rate_slider.value = 1.0
    assert explorer.history is not None and max(explorer.history.step_losses) > 1e40  # finite, but huge
    first = explorer.history.step_losses[0]
    assert "diverging: past 100x its first loss at step" in explorer.notes[0].get_text()
    assert "diverging" in explorer.steps_html.value and "lower the learning rate" in explorer.steps_html.value
    for ax, start in zip(explorer.figure.axes, (first, explorer.history.history["loss"][0])):
        assert ax.get_ylim()[1] <= DIVERGING * start * 1.3
        assert len(_labelled_ticks(ax)) >= 2, (ax.get_ylim(), ax.get_yticks())
    explorer.learning_rate_slider.value = 0.01  # a converging run has no note
    assert explorer.notes[0].get_text() == "" and "diverging" not in explorer.steps_html.value


def test_every_setting_has_two_to_five_labelled_ticks_on_each_axis():
    explorer = explore_batch_size(epochs=[1, 10])
    for epochs in (1, 10):
        explorer.epochs_slider.value = epochs
        for learning_rate in values(explorer.learning_rate_slider):
            explorer.learning_rate_slider.value = learning_rate
            for batch_size in (1, 8, 32, 100):
                explorer.batch_size_slider.value = batch_size
                for ax in explorer.figure.axes:
                    labels = _labelled_ticks(ax)
                    assert 2 <= len(labels) <= 5, (explorer.settings, ax.get_ylim(), labels)


@pytest.mark.parametrize("low, high", [(0.4, 0.5), (1e-6, 1e3), (3.0, 3.0 * DIVERGING), (1e-30, 1e30), (7, 7.2)])
def test_log_ticks_fit_any_range(low, high):
    ticks = log_ticks(low, high)
    assert 2 <= len(ticks) <= 5 and all(low <= t <= high for t in ticks) and ticks == sorted(set(ticks))


def test_the_plot_is_drawn_at_one_and_a_half_times_its_displayed_size(explorer):
    """972 CSS pixels wide (9 in at 108 px/in), drawn 1458 pixels wide: sharp, not a 648-pixel image stretched."""
    width, height = _png_size(bytes(explorer.image.value))
    assert explorer.image.layout.width == "972px" and explorer.image.layout.max_width == "100%"
    assert (width, height) == (1458, round(3.2 * 162))
    assert explorer.figure.dpi == 162


def test_each_learning_rate_is_a_step_a_drag_can_hit(explorer):
    """The track (slider minus label and readout) gives each of the 7 options at least 40 pixels."""
    for slider in (explorer.batch_size_slider, explorer.learning_rate_slider, explorer.epochs_slider):
        assert slider.layout.width == "480px" and slider.style.description_width == "110px"
    track = 480 - 110 - 100  # the readout and margins take about 100 px (tests/browser measures the real track)
    assert track / (len(explorer.learning_rate_slider.options) - 1) >= 40


def test_runs_in_headless_execution(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("from course_utils.experiments.explorer import explore_batch_size\nexplore_batch_size()")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    (output,) = notebook.cells[0].outputs
    assert output.output_type == "execute_result"
    assert {"application/vnd.jupyter.widget-view+json", "image/png", "text/plain"} <= set(output.data)
    assert "total updates = 4 × 10 epochs = 40" in output.data["text/plain"]
    assert isinstance(explore_batch_size(), BatchSizeExplorer)
