"""course_utils.grading: the helpers the exercises' test cells use, and the feedback they give."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import SGD, Dense, fit  # noqa: E402
from course_utils.reference.batching import minibatches  # noqa: E402
from course_utils.reference.datasets import linear_regression  # noqa: E402
from course_utils.grading import (  # noqa: E402
    WIDTH,
    GradientRecorder,
    as_batches,
    axes_of,
    check_axis_labels,
    check_loss_axes,
    check_updates,
    expect_close,
    expect_equal,
    expect_raises,
    expect_true,
    linear_mse,
    linear_mse_gradient,
    outcome,
    row_ids,
)
from course_utils.grading.kernel import given  # noqa: E402
from course_utils.grading.kernel.plain import from_plain, to_plain  # noqa: E402


def kernel_recorder(n_features: int = 1) -> given.GradientRecorder:
    """The recorder a test hands to the student's loop, in the kernel."""
    return given.GradientRecorder("linear_mae_gradient", n_features=n_features)


def seen_by(recorder: given.GradientRecorder) -> GradientRecorder:
    """What the grading process reads of it: plain data, with the trusted copy of its gradient."""
    return GradientRecorder.from_plain(from_plain(to_plain(recorder.plain())))


def message(call) -> str:
    with pytest.raises(AssertionError) as error:
        call()
    return str(error.value)


def test_expect_equal_says_expected_got_and_hint_in_short_lines():
    text = message(lambda: expect_equal("steps for n_samples=7, batch_size=3", 3, 2, "is the last partial batch counted?"))
    assert text == "expected 3 steps for n_samples=7, batch_size=3, got 2:\nis the last partial batch counted?"
    long = message(lambda: expect_equal("x", list(range(40)), [], "a hint " * 30))
    assert all(len(line) <= WIDTH for line in long.splitlines())


def test_expect_equal_compares_numbers_by_value_and_sequences_element_wise():
    expect_equal("steps", 3, 3.0)
    expect_equal("steps", 3, np.int64(3))
    expect_equal("batch sizes", [3, 3, 1], np.array([3, 3, 1]))
    for wrong in (2, 7 * 2 / 3, "3", None, True):
        with pytest.raises(AssertionError):
            expect_equal("steps", 3, wrong)
    with pytest.raises(AssertionError):
        expect_equal("batch sizes", [3, 3, 1], [3, 3])


def test_expect_close_accepts_a_column_for_a_vector_and_reports_the_largest_difference():
    expect_close("theta", [1.0, 2.0], np.array([[1.0], [2.0 + 1e-9]]))
    text = message(lambda: expect_close("theta", [1.0, 2.0], [1.0, 2.5], "hint"))
    assert "largest difference 0.5" in text and text.endswith("hint")
    assert "shape (2,)" in message(lambda: expect_close("theta", [1.0, 2.0], [1.0, 2.0, 3.0]))
    assert "numbers" in message(lambda: expect_close("theta", [1.0], ["a"]))


def test_expect_true_and_expect_raises():
    expect_true(True, "never shown")
    assert message(lambda: expect_true(False, "problem", "hint")) == "problem:\nhint"

    def bad(batch_size):
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")

    assert expect_raises("batch_size=0", ValueError, outcome(bad, 0), names="batch_size") is None  # prints nothing
    assert "to name 'rng'" in message(lambda: expect_raises("batch_size=0", ValueError, outcome(bad, 0), names="rng"))
    assert "nothing was raised" in message(lambda: expect_raises("x", ValueError, outcome(lambda: None)))
    assert "got ZeroDivisionError" in message(lambda: expect_raises("x", ValueError, outcome(lambda: 1 / 0)))
    expect_raises("x", (ValueError, TypeError), outcome(int, "a"))


def test_as_batches_accepts_lists_and_generators_and_explains_other_results():
    X, y = np.arange(10).reshape(5, 2), np.arange(5)
    from_list = as_batches([(X[:3], y[:3]), (X[3:], y[3:])])
    from_generator = as_batches(minibatches(X, y, 3, shuffle=False))
    assert [b[1].tolist() for b in from_list] == [b[1].tolist() for b in from_generator] == [[0, 1, 2], [3, 4]]
    assert "list or generator" in message(lambda: as_batches(None))
    assert "pair" in message(lambda: as_batches([X]))


def test_row_ids_finds_each_row_and_rejects_rows_not_in_X():
    X = np.arange(10.0).reshape(5, 2)
    assert row_ids(X[[4, 0, 2]], X) == [4, 0, 2]
    assert row_ids(np.arange(5.0)[[3, 1]], np.arange(5.0)) == [3, 1]
    assert "not in X" in message(lambda: row_ids([[99.0, 98.0]], X))


def test_reference_gradient_matches_plain_formulas_and_finite_differences():
    X, y = linear_regression(7, rng=3)
    theta = np.array([0.5, -1.5])
    error = theta[0] + X[:, 0] * theta[1] - y
    assert linear_mse(theta, X, y) == pytest.approx(np.mean(error**2))
    expected = 2 / 7 * np.array([error.sum(), X[:, 0] @ error])
    np.testing.assert_allclose(linear_mse_gradient(theta, X, y), expected, rtol=1e-12)
    rng = np.random.default_rng(0)
    X3, y3, theta3 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=4)
    slope = [(linear_mse(theta3 + d, X3, y3) - linear_mse(theta3 - d, X3, y3)) / 2e-6 for d in np.eye(4) * 1e-6]
    np.testing.assert_allclose(linear_mse_gradient(theta3, X3, y3), slope, rtol=1e-5)


def minibatch_gd(X, y, theta, learning_rate, epochs, batch_size, rng, gradient, *, reshuffle=True, updates=True):
    """A small mini-batch loop; the keyword switches make the two classic mistakes."""
    order = rng.permutation(len(X))
    for _ in range(epochs):
        order = rng.permutation(len(X)) if reshuffle else order
        total = np.zeros_like(theta)
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            grad = gradient(theta, X[batch], y[batch])
            if updates:
                theta = theta - learning_rate * grad
            total += grad
        if not updates:  # one update per epoch
            theta = theta - learning_rate * total / len(range(0, len(X), batch_size))
    return theta


def test_gradient_recorder_counts_calls_and_check_updates_replays_them():
    X, y = linear_regression(10, rng=0)
    in_kernel = kernel_recorder()
    theta = minibatch_gd(X, y, np.zeros(2), 0.1, 2, 4, np.random.default_rng(0), in_kernel)
    recorder = seen_by(in_kernel)
    assert recorder.calls == 6 and recorder.batch_sizes == [4, 4, 2] * 2
    epochs = recorder.epochs_of_ids(X, steps_per_epoch=3)
    assert [sorted(ids) for ids in epochs] == [list(range(10))] * 2 and epochs[0] != epochs[1]
    check_updates(recorder, np.zeros(2), theta, 0.1)
    # the same loop agrees with course_utils.fit when it does not shuffle
    model = Dense(1)
    model.set_weights([np.zeros((1, 1)), np.zeros(1)])
    fit(model, X, y, loss="mse", optimizer=SGD(0.1), batch_size=4, epochs=2, shuffle=False, verbose=0)
    theta = np.zeros(2)
    for _ in range(2):
        for start in range(0, 10, 4):
            theta = theta - 0.1 * linear_mse_gradient(theta, X[start : start + 4], y[start : start + 4])
    np.testing.assert_allclose(theta, [model.b[0], model.W[0, 0]], rtol=1e-10)


def test_check_updates_catches_one_update_per_epoch_and_a_wrong_learning_rate():
    X, y = linear_regression(10, rng=0)
    in_kernel = kernel_recorder()
    theta = minibatch_gd(X, y, np.zeros(2), 0.1, 2, 4, np.random.default_rng(0), in_kernel, updates=False)
    assert "before update 2" in message(lambda: check_updates(seen_by(in_kernel), np.zeros(2), theta, 0.1))
    in_kernel = kernel_recorder()
    theta = minibatch_gd(X, y, np.zeros(2), 0.2, 1, 4, np.random.default_rng(0), in_kernel)
    assert "parameters before update 2" in message(lambda: check_updates(seen_by(in_kernel), np.zeros(2), theta, 0.1))


def test_gradient_recorder_accepts_a_single_sample_as_a_row_or_a_batch_of_one():
    X, y = linear_regression(3, rng=0)
    recorder = kernel_recorder()
    np.testing.assert_allclose(recorder(np.zeros(2), X[1], y[1]), recorder(np.zeros(2), X[1:2], y[1:2]))
    assert seen_by(recorder).batch_sizes == [1, 1]


def test_epochs_of_ids_shows_a_missing_reshuffle():
    X, y = linear_regression(12, rng=0)
    recorder = kernel_recorder()
    minibatch_gd(X, y, np.zeros(2), 0.01, 2, 5, np.random.default_rng(0), recorder, reshuffle=False)
    first, second = seen_by(recorder).epochs_of_ids(X, steps_per_epoch=3)
    assert first == second


def plot(curves, xlabel="epoch", legend=True, start=1):
    fig, ax = plt.subplots()
    for label, values in curves.items():
        ax.plot(np.arange(start, start + len(values)), values, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    if legend:
        ax.legend()
    return fig


def test_figure_checks_accept_a_good_plot_from_an_axes_or_a_figure():
    curves = {"train": [1.0, 0.5, 0.4], "validation": [1.1, 0.8, 0.9]}
    fig = plot(curves)
    check_loss_axes(axes_of(fig), curves, "epoch")
    check_axis_labels(axes_of(fig.axes[0]), "epoch")
    check_loss_axes(axes_of(plot(curves, start=0)), curves, "epoch")  # counting from 0 is fine
    check_axis_labels(axes_of(plot(curves, xlabel="Step (update)")), "step")
    plt.close("all")


def test_figure_checks_explain_what_is_wrong():
    curves = {"train": [1.0, 0.5, 0.4], "validation": [1.1, 0.8, 0.9]}
    assert "lines on the plot" in message(lambda: check_loss_axes(axes_of(plot({"train": curves["train"]})), curves, "epoch"))
    assert "legend labels" in message(lambda: check_loss_axes(axes_of(plot(curves, legend=False)), curves, "epoch"))
    assert "y values" in message(lambda: check_loss_axes(axes_of(plot({"train": [3, 2, 1], "v": [1, 1, 1]})), curves, "epoch"))
    assert "x-axis label" in message(lambda: check_axis_labels(axes_of(plot(curves, xlabel="")), "epoch"))
    assert "x-axis label" in message(lambda: check_axis_labels(axes_of(plot(curves, xlabel="epoch")), "step"))
    assert "Axes" in message(lambda: axes_of([1, 2]))
    plt.close("all")


def test_loss_name_reads_strings_objects_and_functions(keras):
    from course_utils.grading.kernel.facts import loss_name

    for loss in ("binary_crossentropy", keras.losses.BinaryCrossentropy(), keras.losses.binary_crossentropy):
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss=loss)
        assert loss_name(model) == "binary_crossentropy"
