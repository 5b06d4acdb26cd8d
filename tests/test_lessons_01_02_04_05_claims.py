"""What lessons 1, 2, 4 and 5 conclude from their computations, checked by running the same code.

Each function a lesson defines is taken from its cell with ``ast`` and run here; random results are
checked over 5 or more seeds, wall times only as medians and with wide margins.
"""

import ast
import math
import time
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import Adam, Dense, fit
from course_utils.reference import datasets
from course_utils.reference.batching import batch_indices, steps_per_epoch
from course_utils.reference.optimizers import SGD

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
LESSON = {
    1: LESSONS / "01_count-batches-epochs-steps.ipynb",
    2: LESSONS / "02_vectorize-a-batch.ipynb",
    4: LESSONS / "04_run-the-seed-examples-in-keras-3.ipynb",
    5: LESSONS / "05_read-epochs-and-learning-curves.ipynb",
}
SEEDS = range(5)


def cells(number, kind):
    return [c.source for c in nbformat.read(LESSON[number], as_version=4).cells if c.cell_type == kind]


def function_from(number, name, **namespace):
    """The function ``name`` defined in one of the lesson's code cells, run in ``namespace``."""
    for source in cells(number, "code"):
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                namespace = {"np": np, **namespace}
                exec(compile(ast.Module(body=[node], type_ignores=[]), LESSON[number].name, "exec"), namespace)
                return namespace[name]
    raise AssertionError(f"lesson {number} defines no function {name!r}")


def prose(number):
    return "\n".join(cells(number, "markdown"))


@pytest.fixture(scope="module")
def digits_rows():
    (X, y), _ = datasets.digits(rng=0)
    return X.reshape(len(X), -1), y


# --- lesson 1 -------------------------------------------------------------------------------------


def test_lesson_1_seed_004s_5000_samples_in_batches_of_1000_make_5_steps():
    naive_steps = function_from(1, "naive_steps")
    assert naive_steps(5000, 1000) == 5 == steps_per_epoch(5000, 1000)
    assert "5000" in prose(1) and "1000" in prose(1)


def test_lesson_1_steps_times_batch_size_counts_samples_only_without_a_partial_batch():
    samples_in_steps = function_from(1, "samples_in_steps", batch_indices=batch_indices)
    for n_samples in range(1, 40):
        for batch_size in range(1, 12):
            per_epoch = steps_per_epoch(n_samples, batch_size)
            last = n_samples - batch_size * (per_epoch - 1)
            for steps in range(1, 3 * per_epoch + 2):
                sizes = [last if k % per_epoch == per_epoch - 1 else batch_size for k in range(steps)]
                got = samples_in_steps(n_samples, batch_size, steps)
                assert got == sum(sizes)
                assert (got == steps * batch_size) == all(size == batch_size for size in sizes)
    # the lesson's three cases: exactly 500 of 5000 samples, fewer when a partial batch is among the 5
    assert samples_in_steps(5000, 100, 5) == 500
    assert samples_in_steps(450, 100, 5) < 500 and samples_in_steps(250, 100, 5) < 500


def test_lesson_1_no_longer_promises_a_picture_of_the_explorer_on_github():
    assert "picture" not in prose(1)
    assert "without outputs" in prose(1)


# --- lesson 2 -------------------------------------------------------------------------------------


def lesson_2_functions(X_train, y_train):
    batch_bytes = function_from(2, "batch_bytes")
    namespace = {"X_train": X_train, "y_train": y_train, "loss": "sparse_categorical_crossentropy",
                 "Dense": Dense, "fit": fit, "SGD": SGD, "batch_indices": batch_indices,
                 "batch_bytes": batch_bytes, "time": time}
    names = ("training_bytes", "train_one_epoch", "batch_loss_noise", "median_time", "forward_loop")
    return {name: function_from(2, name, **namespace) for name in names}


@pytest.mark.parametrize("batch_size, n_inputs, units", [(1, 3, 1), (32, 64, 10), (7, 5, 4)])
def test_lesson_2_training_bytes_counts_the_real_arrays_of_a_training_step(digits_rows, batch_size, n_inputs, units):
    training_bytes = lesson_2_functions(*digits_rows)["training_bytes"]
    rng = np.random.default_rng(batch_size)
    layer = Dense(n_inputs, units, "softmax", rng=0)  # float64
    X_batch, y_batch = rng.standard_normal((batch_size, n_inputs)), rng.integers(0, units, batch_size)
    outputs = layer.predict(X_batch)
    _, gradients = layer.loss_and_gradients(X_batch, y_batch, "sparse_categorical_crossentropy")
    real = sum(a.nbytes for a in [X_batch, outputs, *layer.get_weights(), *gradients])
    assert training_bytes(batch_size, [n_inputs, units], bytes_per_value=8) == real


def test_lesson_2_training_bytes_counts_a_two_layer_float32_step():
    """Inputs, both layers' outputs, the weights and one gradient per weight, in a hand-written step."""
    training_bytes = function_from(2, "training_bytes", batch_bytes=function_from(2, "batch_bytes"))
    rng = np.random.default_rng(0)
    sizes, batch_size = [6, 5, 3], 4
    X = rng.standard_normal((batch_size, sizes[0])).astype(np.float32)
    W1, b1 = rng.standard_normal((6, 5)).astype(np.float32), np.zeros(5, np.float32)
    W2, b2 = rng.standard_normal((5, 3)).astype(np.float32), np.zeros(3, np.float32)
    H = np.maximum(X @ W1 + b1, 0)
    Z = H @ W2 + b2
    dZ = (Z - 1) / batch_size  # gradient of a squared error: any array of Z's shape will do
    dW2, db2 = H.T @ dZ, dZ.sum(axis=0)
    dH = (dZ @ W2.T) * (H > 0)
    dW1, db1 = X.T @ dH, dH.sum(axis=0)
    kept = [X, H, Z, W1, b1, W2, b2, dW1, db1, dW2, db2]
    assert all(a.dtype == np.float32 for a in kept)
    assert training_bytes(batch_size, sizes) == sum(a.nbytes for a in kept)


def test_lesson_2_memory_is_fixed_weights_plus_a_share_proportional_to_the_batch():
    training_bytes = function_from(2, "training_bytes", batch_bytes=function_from(2, "batch_bytes"))
    sizes = [224 * 224 * 3, 1024, 1000]
    fixed, per_sample = training_bytes(0, sizes), training_bytes(1, sizes) - training_bytes(0, sizes)
    assert fixed == 2 * 4 * sum(a * b + b for a, b in zip(sizes, sizes[1:]))  # weights and their gradients
    for batch_size in (32, 256, 1024, 4096):
        assert training_bytes(batch_size, sizes) == fixed + batch_size * per_sample
    budget = 2 * 2**30  # the lesson's verdicts: 1024 fits in 2 GiB, 4096 does not
    assert training_bytes(1024, sizes) <= budget < training_bytes(4096, sizes)
    assert "lower bound" not in prose(2)


def test_lesson_2_one_matrix_product_is_many_times_faster_than_the_loop(digits_rows):
    f = lesson_2_functions(*digits_rows)
    X = np.random.default_rng(0).standard_normal((1000, 100))
    dense = Dense(100, 10, rng=0)
    t_loop = f["median_time"](lambda: f["forward_loop"](dense, X))
    t_batch = f["median_time"](lambda: dense.logits(X))
    assert t_loop > 5 * t_batch  # the lesson's prose: "more than 5 times faster"


def test_lesson_2_after_one_epoch_the_loss_on_all_data_falls_as_the_batch_shrinks(digits_rows):
    X, y = digits_rows
    train_one_epoch = lesson_2_functions(X, y)["train_one_epoch"]
    loss = "sparse_categorical_crossentropy"
    for seed in range(20):  # the lesson: "checked for 20 random seeds"
        before = Dense(64, 10, "softmax", rng=seed).loss(X, y, loss)
        after = [train_one_epoch(b, seed).loss(X, y, loss) for b in (1, 8, 32, 128, 512, len(X))]
        assert after == sorted(after), f"seed {seed}: {after}"  # the full batch's is the highest
        assert after[-1] < before  # one update: barely below the loss before training
        assert before - after[-1] < 0.1 * before


def test_lesson_2_large_batches_make_slow_updates_and_batch_1_the_slowest_epoch(digits_rows):
    X, y = digits_rows
    f = lesson_2_functions(X, y)
    seconds = {b: f["median_time"](lambda: f["train_one_epoch"](b)) for b in (1, 32, 128, len(X))}
    per_step = {b: s / steps_per_epoch(len(X), b) for b, s in seconds.items()}
    assert per_step[len(X)] > 3 * per_step[32]
    assert all(seconds[1] > 3 * seconds[b] for b in (32, 128, len(X)))


def test_lesson_2_batch_loss_error_roughly_halves_with_each_4x_larger_batch(digits_rows):
    batch_loss_noise = lesson_2_functions(*digits_rows)["batch_loss_noise"]
    for seed in range(20):  # the lesson: "tested for 20 seeds"
        model = Dense(64, 10, "softmax", rng=seed)
        noise = [batch_loss_noise(model, b, rng=seed) for b in (1, 4, 16, 64, 256)]
        ratios = np.array(noise[1:]) / np.array(noise[:-1])
        assert noise == sorted(noise, reverse=True), f"seed {seed}: {noise}"
        assert np.all((ratios > 0.35) & (ratios < 0.65)), f"seed {seed}: ratios {ratios}"


def test_lesson_2_uses_no_gradient_before_saying_what_one_is():
    text = prose(2)
    first_use = text.index("gradient")
    assert "lesson 3" in text[first_use - 400: first_use + 400]
    code = "\n".join(cells(2, "code"))
    assert "gradient_noise" not in code and "loss after 1 epoch" not in code


# --- lesson 4 -------------------------------------------------------------------------------------


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
    code = "\n".join(cells(4, "code"))
    assert "keras.__version__" in code and "catch_warnings(record=True)" in code and "input_dim=1" in code


def test_lesson_4_the_bar_counts_steps_where_old_keras_printed_train_on_13_samples():
    from course_utils.experiments.keras_tools import count_steps

    assert "Train on 13 samples" in prose(4)
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


# --- lesson 5 -------------------------------------------------------------------------------------


def test_lesson_5_mistakes_fall_steeply_at_first_then_level_off(digits_rows):
    X, y = digits_rows
    for seed in SEEDS:
        model, optimizer, rng, mistakes = Dense(64, 10, "softmax", rng=seed), SGD(0.05), np.random.default_rng(seed), []
        for _ in range(30):
            fit(model, X, y, loss="sparse_categorical_crossentropy", optimizer=optimizer, batch_size=32, rng=rng,
                verbose=0)
            mistakes.append(int(np.sum(model.predict(X).argmax(axis=1) != y)))
        assert mistakes[0] - mistakes[1] > 5 * (mistakes[19] - mistakes[29]), f"seed {seed}: {mistakes}"


def test_lesson_5_the_epochs_running_mean_is_above_the_loss_after_the_epoch(digits_rows):
    X, y = digits_rows
    running_means = function_from(5, "running_means")
    for seed in SEEDS:
        model = Dense(64, 10, "softmax", rng=seed)
        history = fit(model, X, y, loss="sparse_categorical_crossentropy", optimizer=SGD(0.05), batch_size=32,
                      rng=seed, verbose=0)
        sizes = [len(b) for b in batch_indices(len(X), 32, shuffle=False)]
        epoch_loss = running_means(history.step_losses, sizes)[-1]
        assert epoch_loss == pytest.approx(history.history["loss"][0])
        assert epoch_loss > model.loss(X, y, "sparse_categorical_crossentropy")


def test_lesson_5_a_sorted_tail_holds_only_the_highest_labels_mostly_unseen_in_training(digits_rows):
    _, y = digits_rows
    sorted_y = np.sort(y, kind="stable")
    n_train = int(np.floor(len(sorted_y) * (1 - 0.2)))
    train_labels, tail_labels = set(sorted_y[:n_train]), set(sorted_y[n_train:])
    assert min(tail_labels) >= max(train_labels)
    assert len(tail_labels - train_labels) > len(tail_labels) / 2
