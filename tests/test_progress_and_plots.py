"""The progress bar, the datasets and the figures."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import SGD, fit
from course_utils.reference import datasets
from course_utils.experiments import plotting  # noqa: E402
from course_utils.reference.models import Dense  # noqa: E402


def _fit_output(verbose):
    X, y = datasets.linear_regression(10)
    out = io.StringIO()
    fit(Dense(1, rng=0), X, y, loss="mse", optimizer=SGD(), batch_size=4, epochs=2, verbose=verbose, file=out)
    return out.getvalue()


def test_progress_bar_shows_epochs_and_steps_like_keras():
    text = _fit_output(1)
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    assert "3/3 [" in text and "loss:" in text


def test_verbose_2_prints_one_line_per_epoch_and_0_is_silent():
    lines = _fit_output(2).splitlines()
    assert len(lines) == 4 and "\r" not in "".join(lines)
    assert _fit_output(0) == ""


def test_datasets_are_offline_and_shaped_as_documented():
    X, y = datasets.seed000_points()
    assert X.shape == y.shape == (13,) and y.sum() == 6
    x, y = datasets.seed002_counts()
    np.testing.assert_array_equal(x, np.arange(1, 7)) and np.testing.assert_array_equal(y, x)
    (Xt, yt), (Xs, ys) = datasets.tabular_binary()
    assert Xt.shape == (8000, 10) and Xs.shape == (2000, 10) and 0.3 < yt.mean() < 0.7
    (Xi, yi), (Xj, yj) = datasets.digits()
    assert Xi.shape[1:] == (8, 8) and len(Xi) + len(Xj) == 1797 and set(yi) == set(range(10))
    assert 0 <= Xi.min() and Xi.max() == 1.0


def test_datasets_are_deterministic_from_their_seed():
    a, b = datasets.tabular_binary(rng=3), datasets.tabular_binary(rng=3)
    np.testing.assert_array_equal(a[0][0], b[0][0])


def test_plot_loss_labels_the_x_axis_and_draws_one_line_per_curve():
    ax = plotting.plot_loss({"batch 1": [3, 2, 1], "batch 8": [3, 2.5]}, per="step")
    assert ax.get_xlabel() == "step (update)" and ax.get_ylabel() == "loss"
    assert len(ax.get_lines()) == 2
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    assert plotting.plot_loss([1, 0.5]).get_xlabel() == "epoch"
    with pytest.raises(ValueError, match="per must be 'epoch' or 'step'"):
        plotting.plot_loss([1], per="batch")
    plt.close("all")


def test_plot_gd_paths_and_batch_assignment():
    ax = plotting.plot_gd_paths(lambda w, b: w**2 + b**2, {"GD": np.array([[2.0, 2.0], [1.0, 1.0], [0.5, 0.5]])})
    assert ax.get_xlabel() == "w" and "2 updates" in ax.get_legend().get_texts()[0].get_text()
    [colour_bar] = [other for other in ax.figure.axes if other is not ax]  # log-spaced levels, read off a bar
    assert "log scale" in colour_bar.get_ylabel() and colour_bar.get_yscale() == "log"
    ax = plotting.plot_batch_assignment(10, 4, epochs=2, rng=0)
    grid = ax.get_images()[0].get_array()
    assert grid.shape == (2, 10) and sorted(np.unique(grid)) == [1, 2, 3]
    assert ax.get_xlabel() == "sample index" and ax.get_ylabel() == "epoch"
    assert not np.array_equal(grid[0], grid[1]), "an int seed must still give a new order each epoch"
    plt.close("all")
