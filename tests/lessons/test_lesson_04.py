"""Lesson 04 (run the seed examples in Keras 3): what the issue requires it to contain, the functions it builds,
and what it concludes about the seeds' Keras examples, checked by running the same code.

Each function the lesson defines is taken from its cell with ``ast`` and run here (tests/notebook_reading.py).
"""

import math
import re
import warnings

import numpy as np
import pytest

from course_utils import SGD, Adam, Dense, fit
from course_utils.reference import datasets
from notebook_reading import code_cells, code_of, function_from, markdown_of


# --- what the issue requires it to contain, and the functions it builds ---------------------------------------------


def test_lesson_4_shows_the_lr_error_without_breaking_run_all():
    code = code_of(4)
    assert re.search(r"try:\s+keras\.optimizers\.SGD\(lr=0\.01\).*?except ValueError", code, flags=re.S)
    assert "keras.optimizers.SGD(learning_rate=0.01)" in code


def test_lesson_4_runs_seed_000_as_the_note_did_and_checks_it_against_numpy():
    code = code_of(4)
    assert "seed000_points()" in code and 'activation="sigmoid"' in code
    assert "batch_size=1, epochs=200, shuffle=False" in code
    assert 'metrics=["binary_accuracy"]' in code and 'loss="binary_crossentropy"' in code
    assert "set_weights(initial_weights)" in code and "plot_loss(" in code
    assert "activation" in markdown_of(4) and "linear regression" in markdown_of(4)


def test_lesson_4_runs_seed_002_and_corrects_its_default_batch_claim():
    code = code_of(4)
    assert "seed002_counts()" in code and 'loss="mae"' in code and 'optimizer="adam"' in code
    assert "for batch_size in (6, 3)" in code and "verbose=1" in code
    assert "count_steps(n_samples, batch_size=None" in code and "(6, 100)" in code
    assert "32" in markdown_of(4)


def test_lesson_4_runs_seed_003_and_seed_004():
    code = code_of(4)
    assert "tabular_binary()" in code and "batch_size=10, epochs=20" in code and "steps_per_execution=200" in code
    assert "datasets.digits()" in code and 'loss="sparse_categorical_crossentropy"' in code
    assert "epochs=5, batch_size=16" in code and ".evaluate(" in code
    assert code.count("optimizer.iterations") >= 3 and "total_steps(" in code


def test_lesson_4_seed_001_batch_10_beats_100_at_both_rates_and_batch_1_depends_on_the_rate_20_seeds():
    """Step 12: the lesson's own exam_loss over 20 seeds (the lesson shows 5)."""
    (questions, answer_key), _ = datasets.tabular_binary(n_train=100, n_test=10, rng=0)
    namespace = {"Dense": Dense, "SGD": SGD, "fit": fit, "questions": questions, "answer_key": answer_key}
    exam_loss = function_from(4, "exam_loss", **namespace)
    code = code_of(4)
    assert "for rate in (0.01, 0.1):" in code and "(100, 10, 1)" in code
    losses = {(rate, b): np.array([exam_loss(b, rate, seed) for seed in range(20)])
              for rate in (0.01, 0.1) for b in (100, 10, 1)}
    for rate in (0.01, 0.1):
        assert np.all(losses[rate, 10] < losses[rate, 100]), rate
        assert len(np.unique(losses[rate, 100].round(6))) == 20, "different students, different results"
    assert np.all(losses[0.01, 1] < losses[0.01, 10]), "at 0.01 batch 1 ends lowest on every seed"
    assert np.all(losses[0.1, 1] > losses[0.1, 10]), "at 0.1 batch 1 ends above batch 10 on every seed"


def test_lesson_4_seed_001_and_003_in_keras():
    """Step 12: the note's fit makes 40 updates, fit without y raises; Step 10: steps_per_execution changes no update,
    and over 5 seeds loss and accuracy change more over epochs 1-5 than over epochs 15-20."""
    import keras

    from course_utils.experiments.keras_tools import dense_model

    (questions, answer_key), _ = datasets.tabular_binary(n_train=100, n_test=10, rng=0)
    exam_model = dense_model(10, activation="sigmoid", seed=0)
    exam_model.compile(optimizer="sgd", loss="binary_crossentropy")
    exam_model.fit(questions, answer_key, batch_size=32, epochs=10, verbose=0)
    assert int(exam_model.optimizer.iterations) == 40
    with pytest.raises(ValueError):
        exam_model.fit(questions, batch_size=32, epochs=1, verbose=0)

    (X, y), _ = datasets.tabular_binary()

    def run(seed, epochs, steps_per_execution):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(6, activation="relu"),
                                  keras.layers.Dense(6, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"],
                      steps_per_execution=steps_per_execution)
        return model.fit(X, y, batch_size=10, epochs=epochs, verbose=0).history

    one, many = run(0, 2, 1), run(0, 2, 200)
    np.testing.assert_allclose(one["loss"], many["loss"], rtol=1e-5)
    for seed in range(5):
        history = run(seed, 20, 200)
        for name in ("loss", "accuracy"):
            early, late = abs(history[name][4] - history[name][0]), abs(history[name][19] - history[name][14])
            assert early > 3 * late, (seed, name, early, late)


# --- what it concludes ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras():
    import course_utils.experiments.keras_tools  # noqa: F401  (quiet start-up)
    import keras

    return keras


def test_lesson_4_the_notes_imports_and_input_dim_still_work_in_keras_3(keras):
    from tensorflow.keras import optimizers
    from tensorflow.keras.layers import Dense as NoteDense
    from tensorflow.keras.models import Sequential

    assert Sequential is keras.Sequential and NoteDense is keras.layers.Dense
    assert optimizers.SGD is keras.optimizers.SGD
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = Sequential()
        model.add(NoteDense(1, input_dim=1, activation="sigmoid"))
    assert model.input_shape == (None, 1)
    assert any(issubclass(w.category, UserWarning) and "input_dim" in str(w.message) for w in caught)
    with pytest.raises(ValueError, match="lr"):
        keras.optimizers.SGD(lr=0.01)
    code = "\n".join(code_cells(4))
    assert "keras.__version__" in code and "catch_warnings(record=True)" in code and "input_dim=1" in code


def test_lesson_4_the_bar_counts_steps_where_old_keras_printed_train_on_13_samples():
    from course_utils.experiments.keras_tools import count_steps

    assert "Train on 13 samples" in markdown_of(4)
    X, _ = datasets.seed000_points()
    assert len(X) == 13
    assert count_steps(13, 1, epochs=1).steps == 13 and count_steps(13, 5, epochs=1).steps == 3


def seed002_losses():
    x, y = datasets.seed002_counts()
    return function_from(4, "seed002_losses", fit=fit, Dense=Dense, Adam=Adam, x_counts=x, y_counts=y)


def test_lesson_4_seed_002s_first_loss_is_set_by_the_random_initial_weight():
    x, _ = datasets.seed002_counts()
    losses = seed002_losses()
    for seed in range(10):
        w = Dense(1, rng=seed).W[0, 0]
        assert abs(w) < math.sqrt(3)
        assert losses(6, seed)[0] == pytest.approx(abs(w - 1) * x.mean())  # the loss before any update
    assert (1 + math.sqrt(3)) * x.mean() == pytest.approx(9.56, abs=0.01)  # the prose's "≈ 9.6"


def test_lesson_4_seed_002s_loss_falls_steadily_and_twice_as_fast_per_epoch_with_batch_3():
    x, _ = datasets.seed002_counts()
    losses = seed002_losses()
    note_fall = {6: (0.9565 - 0.8618) / 9, 3: (1.6794 - 1.4620) / 9}
    for seed in range(20):  # the lesson shows 10 initial weights; "every epoch" is checked on 20
        runs = {b: losses(b, seed) for b in (6, 3)}
        fall = {b: (r[0] - r[-1]) / 9 for b, r in runs.items()}
        assert all(np.all(np.diff(r) < 0) for r in runs.values())
        assert fall[6] == pytest.approx(0.001 * (x.mean() + 1), rel=0.05)  # Adam: about lr per weight per step
        assert 1.8 < fall[3] / fall[6] < 2.2
        assert all(note_fall[b] > 2 * fall[b] for b in (6, 3))  # the note's model was not one unit at lr 0.001
