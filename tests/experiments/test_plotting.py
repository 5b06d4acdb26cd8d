"""The figures (course_utils.experiments.plotting): labelled axes, one line per curve, log-spaced levels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.experiments import plotting  # noqa: E402


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
