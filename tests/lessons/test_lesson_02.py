"""Lesson 02 (vectorize a batch): the functions it builds agree with course_utils and real arrays, it shows what
the issue asks for, and what it concludes holds when its own code runs.

Each function the lesson defines is taken from its cell with ``ast`` and run here (tests/notebook_reading.py);
random results are checked over 20 seeds, wall times only as medians and with wide margins.
"""

import time

import numpy as np
import pytest

from course_utils import Dense, fit
from course_utils.reference.batching import batch_indices, steps_per_epoch
from course_utils.reference.optimizers import SGD
from notebook_reading import code_cells, function_from, lesson_path, markdown_of

LESSON_02 = lesson_path(2)


# --- the functions it builds, and what the issue asks it to hold ----------------------------------------------------


@pytest.mark.parametrize("shape, units", [((1, 3), 1), ((7, 3), 2), ((50, 64), 10)])
def test_lesson_02_loop_over_samples_agrees_with_the_batch_product(shape, units):
    forward_loop = function_from(LESSON_02, "forward_loop")
    dense = Dense(shape[1], units, rng=1)
    X = np.random.default_rng(2).standard_normal(shape)
    np.testing.assert_allclose(forward_loop(dense, X), dense.logits(X))


@pytest.mark.parametrize("batch_size, layer_sizes", [(1, [3]), (32, [64, 10]), (17, [5, 8, 2])])
def test_lesson_02_batch_bytes_counts_real_float32_arrays(batch_size, layer_sizes):
    batch_bytes = function_from(LESSON_02, "batch_bytes")
    arrays = [np.zeros((batch_size, size), dtype=np.float32) for size in layer_sizes]
    assert batch_bytes(batch_size, layer_sizes) == sum(a.nbytes for a in arrays)
    assert batch_bytes(batch_size, layer_sizes, bytes_per_value=8) == 2 * sum(a.nbytes for a in arrays)


def test_lesson_02_shows_both_layouts_timing_and_memory():
    code, prose = "\n".join(code_cells(LESSON_02)), markdown_of(LESSON_02)
    assert "(n_x, m)" in prose and "(m, n_x)" in prose and "X_keras.T" in code
    assert "time.perf_counter()" in code and "vary" in prose and "machine" in prose
    assert "keras.layers.Dense" in code and "except ValueError" in code
    assert "seed 000" in prose and "out of memory" in code


# --- what it concludes ----------------------------------------------------------------------------------------------


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
    assert "lower bound" not in markdown_of(2)


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
    text = markdown_of(2)
    first_use = text.index("gradient")
    assert "lesson 3" in text[first_use - 400: first_use + 400]
    code = "\n".join(code_cells(2))
    assert "gradient_noise" not in code and "loss after 1 epoch" not in code
