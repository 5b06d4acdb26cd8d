"""Lessons 04-06: their shape, what the issue requires them to contain, and the functions they build step by step.

A function a lesson defines is taken from its cell with ``ast`` (the definition only, not the calls around it),
run in a namespace, and compared with the course_utils version it explains.
"""

import ast
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import SGD, Dense, batch_indices, fit
from course_utils.reference import datasets
from course_utils.experiments import batch_size_study as study

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
LESSON_FILES = {
    4: "04_run-the-seed-examples-in-keras-3.ipynb",
    5: "05_read-epochs-and-learning-curves.ipynb",
    6: "06_choose-a-batch-size.ipynb",
}
EXERCISES = {
    4: ["exercises/ex04_keras_fit/ex04_keras_fit.ipynb"],
    5: ["exercises/ex05_loss_curves/ex05_loss_curves.ipynb"],
    6: ["exercises/ex06_batch_sizes/ex06_batch_sizes.ipynb"],
}


def load(number):
    return nbformat.read(LESSONS / LESSON_FILES[number], as_version=4)


def code_of(number):
    return "\n".join(cell.source for cell in load(number).cells if cell.cell_type == "code")


def text_of(number):
    return "\n".join(cell.source for cell in load(number).cells if cell.cell_type == "markdown")


def defined_function(number, name, namespace):
    """Exec only the definition of ``name`` from the lesson's code cells; return the function."""
    for cell in load(number).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                exec(compile(ast.Module([node], type_ignores=[]), LESSON_FILES[number], "exec"), namespace)
                return namespace[name]
    raise AssertionError(f"lesson {number} defines no function {name!r}")


# --- shape of every lesson -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", LESSON_FILES)
def test_lesson_is_committed_clean(number):
    nb = load(number)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"lesson {number} has outputs: strip them"


@pytest.mark.parametrize("number", LESSON_FILES)
def test_lesson_has_the_course_shape(number):
    cells = load(number).cells
    assert 10 <= len(cells) <= 25, f"lesson {number} has {len(cells)} cells, expected 10-25"
    opening, closing = cells[0].source, cells[-1].source
    assert opening.startswith("# ") and "What you'll learn" in opening and "What you'll need" in opening
    assert closing.startswith("## Summary")
    for path in EXERCISES[number]:
        assert path in closing, f"lesson {number}'s summary should point to {path}"
    steps = [int(m) for m in re.findall(r"^\*\*Step (\d+)\. ", text_of(number), flags=re.M)]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= 5, f"steps should be numbered 1, 2, ...: {steps}"


@pytest.mark.parametrize("number", LESSON_FILES)
def test_every_figure_says_what_its_x_axis_counts(number):
    for cell in load(number).cells:
        draws = cell.cell_type == "code" and re.search(r"\.(plot|loglog|semilogy|scatter)\(", cell.source)
        if draws:
            assert "set_xlabel" in cell.source, f"a figure in lesson {number} has no x label:\n{cell.source}"


@pytest.mark.parametrize("number", LESSON_FILES)
def test_lessons_use_keras_3_names_and_no_downloads(number):
    # lesson 4 runs seed 000's own lines once, each marked "# the note's ...", to show what they do in Keras 3
    code = "\n".join(line for line in code_of(number).splitlines() if "# the note's" not in line)
    assert "tensorflow.keras" not in code and "keras.datasets" not in code
    assert re.search(r"\blr=", code.replace("SGD(lr=0.01)  # the note's call", "")) is None


# --- lesson 4: the seeds' Keras examples ---------------------------------------------------------------------------


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
    assert "activation" in text_of(4) and "linear regression" in text_of(4)


def test_lesson_4_runs_seed_002_and_corrects_its_default_batch_claim():
    code = code_of(4)
    assert "seed002_counts()" in code and 'loss="mae"' in code and 'optimizer="adam"' in code
    assert "for batch_size in (6, 3)" in code and "verbose=1" in code
    assert "count_steps(n_samples, batch_size=None" in code and "(6, 100)" in code
    assert "32" in text_of(4)


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
    exam_loss = defined_function(4, "exam_loss", namespace)
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


# --- lesson 5: epochs and learning curves --------------------------------------------------------------------------


def test_lesson_5_contains_the_keras_facts():
    code = code_of(5)
    for needed in ("mistakes", "validation_split=0.5", "validation_split=0.2", "EarlyStopping(",
                   "restore_best_weights=True", "BatchLossRecorder()", "step_losses", ".evaluate(",
                   ".history", ".params", "batch_indices(", '"batch"', "np.argsort(train_y"):
        assert needed in code, f"lesson 5 should use {needed}"


def test_lesson_5_running_means_agrees_with_course_utils_fit():
    running_means = defined_function(5, "running_means", {"np": np})
    (X, y), _ = datasets.digits()
    X = X.reshape(len(X), 64)[:300]
    y = y[:300]
    start = Dense(64, 10, activation="softmax", rng=0).get_weights()

    def one_epoch(n_samples):
        model = Dense(64, 10, activation="softmax")
        model.set_weights(start)
        return fit(model, X[:n_samples], y[:n_samples], loss="sparse_categorical_crossentropy",
                   optimizer=SGD(0.05), batch_size=32, shuffle=False, verbose=0)

    history = one_epoch(len(X))
    sizes = [len(batch) for batch in batch_indices(len(X), 32, shuffle=False)]
    means = running_means(history.step_losses, sizes)
    assert sizes[-1] == 300 - 9 * 32  # a partial last batch, so the weighting matters
    assert means[-1] == pytest.approx(history.history["loss"][0], rel=1e-12)
    for k in (1, 4, 9):  # after k batches: the epoch loss of a fit on those k batches alone
        assert means[k - 1] == pytest.approx(one_epoch(32 * k).history["loss"][0], rel=1e-12)


# --- lesson 6: choosing a batch size -------------------------------------------------------------------------------


def test_lesson_6_contains_the_required_experiments():
    code, text = code_of(6), text_of(6)
    for needed in ("study.sweep(", "seconds_per_epoch", "study.train_steps(", "updates_to(", "sample_gradients_to(",
                   "study.linear_scaling(", "eigvalsh", "X_test", "timeit", "study.gradient_noise(",
                   "np.sqrt(noise_sizes)", "loglog", "tracemalloc", "step (update)", "full_losses", "batch_losses",
                   "explore_batch_size(X, y"):
        assert needed in code, f"lesson 6 should use {needed}"
    for needed in ("Goyal", "1/√b", "2 / λ_max", "held-out", "sample-gradients", "2ⁿ", "학습이 잘 되지만",
                   "무조건은 아니다", "불안정한 훈련", "exercises/ex06_batch_sizes"):
        assert needed in text, f"lesson 6 should say {needed}"
    assert "import keras" not in code  # the sweeps use the NumPy reference, to stay fast


def test_lesson_6_code_lines_fit_in_88_columns():
    for line in code_of(6).splitlines():
        assert len(line) <= 88, f"lesson 6 has a code line of {len(line)} columns: {line}"


def test_lesson_6_sgd_steps_agrees_with_the_package():
    namespace = {"np": np, "batch_indices": batch_indices, "make_model": lambda: Dense(1, rng=0)}
    sgd_steps = defined_function(6, "sgd_steps", namespace)
    X, y = datasets.linear_regression(300, rng=2)
    for batch_size, learning_rate, seed in ((1, 0.05, 0), (32, 0.1, 3), (100, 0.2, 4), (300, 0.3, 5)):
        batch_losses, full_losses = sgd_steps(X, y, batch_size, learning_rate, 3, np.random.default_rng(seed))
        run = study.train_steps(lambda: Dense(1, rng=0), X, y, loss="mse", batch_size=batch_size,
                                learning_rate=learning_rate, epochs=3, rng=seed)
        assert len(batch_losses) == 3 * -(-300 // batch_size) == len(run.full_losses)
        np.testing.assert_allclose(batch_losses, run.batch_losses, rtol=1e-10)
        np.testing.assert_allclose(full_losses, run.full_losses, rtol=1e-10)


def test_lesson_6_gradient_noise_at_agrees_with_the_package():
    gradient_noise_at = defined_function(6, "gradient_noise_at", {"np": np, "batch_indices": batch_indices})
    X, y = datasets.linear_regression(512, rng=0)
    for batch_size in (1, 8, 64):
        mine = gradient_noise_at(Dense(1, rng=0), X, y, batch_size, 40, np.random.default_rng(5))
        package = study.gradient_noise(Dense(1, rng=0), X, y, loss="mse", batch_sizes=[batch_size], n_batches=40, rng=5)
        assert mine == pytest.approx(package[0], rel=1e-12)
