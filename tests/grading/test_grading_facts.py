"""course_utils.grading.facts: plots and Keras models as plain data that survives observe's round trip."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.grading.kernel.facts import axes_facts, history_facts, model_facts, plot_facts  # noqa: E402
from course_utils.grading.kernel.plain import from_plain, to_plain  # noqa: E402


def round_trip(value):
    return from_plain(to_plain(value))


def test_axes_facts_reads_lines_labels_and_legend():
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [0.9, 0.5, 0.4], label="train")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    facts = round_trip(axes_facts(ax))
    plt.close(fig)
    assert facts["is_axes"] and facts["figure"] == fig.number
    assert np.array_equal(facts["lines"][0]["x"], [1, 2, 3]) and facts["lines"][0]["label"] == "train"
    assert (facts["xlabel"], facts["ylabel"], facts["legend"]) == ("epoch", "loss", ["train"])


def test_axes_facts_accepts_a_figure_with_one_axes_and_names_anything_else():
    fig, ax = plt.subplots()
    assert axes_facts(fig)["is_axes"] and axes_facts(fig)["legend"] is None
    plt.close(fig)
    assert axes_facts([1, 2]) == {"is_axes": False, "type": "list"}


def test_plot_facts_tells_a_new_figure_from_the_current_one():
    plt.close("all")

    def on_current():
        plt.plot([1, 2], [3, 4])
        return plt.gca()

    first, second = plot_facts(on_current), plot_facts(on_current)
    third = plot_facts(lambda: plt.subplots()[1])
    plt.close("all")
    assert first["new_figure"] and not second["new_figure"] and third["new_figure"]
    assert len(second["lines"]) == 2
    assert round_trip(second)["figures_before"] == [first["figure"]]


def test_model_and_history_facts_are_plain():
    keras = pytest.importorskip("keras")
    import course_utils.experiments.keras_tools  # noqa: F401

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="binary_crossentropy")
    history = model.fit(np.zeros((3, 1)), np.zeros(3), batch_size=1, epochs=2, verbose=0)
    facts, seen = round_trip(model_facts(model)), round_trip(history_facts(history))
    assert facts["layers"] == [{"class": "Dense", "units": 1, "activation": "sigmoid", "name": facts["layers"][0]["name"]}]
    assert facts["input_shape"] == [None, 1] and facts["output_shape"] == [None, 1] and facts["params"] == 2
    assert facts["optimizer"] == "SGD" and facts["optimizer_config"]["momentum"] == 0.0
    assert abs(facts["optimizer_config"]["learning_rate"] - 0.01) < 1e-8
    assert facts["loss"] == "binary_crossentropy" and facts["iterations"] == 6
    assert [np.shape(w) for w in facts["weights"]] == [(1, 1), (1,)]
    assert len(seen["history"]["loss"]) == 2 and seen["params"]["epochs"] == 2


def test_model_facts_of_an_unbuilt_model_leave_shapes_out():
    keras = pytest.importorskip("keras")
    import course_utils.experiments.keras_tools  # noqa: F401

    facts = round_trip(model_facts(keras.Sequential([keras.layers.Dense(1)])))
    assert facts["input_shape"] is None and facts["optimizer"] is None and facts["weights"] == []
