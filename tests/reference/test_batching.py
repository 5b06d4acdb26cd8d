"""Step counts against Keras' own, and properties of the mini-batch iterator."""

import numpy as np
import pytest

from course_utils.reference import batching

# (n_samples, batch_size, epochs): divisible, partial last batch, batch_size > n_samples, None (= 32), batch 1.
KERAS_GRID = [
    (1000, 20, 2),
    (7, 3, 2),
    (10, 4, 3),
    (5, 16, 2),
    (100, None, 2),
    (32, None, 1),
    (33, None, 1),
    (13, 1, 2),
    (6, 6, 3),
    (6, 3, 3),
]


@pytest.mark.parametrize("n_samples, batch_size, epochs", KERAS_GRID)
def test_total_steps_equals_keras_on_train_batch_end_calls(keras, n_samples, batch_size, epochs):
    from course_utils.experiments.keras_tools import count_steps

    counter = count_steps(n_samples, batch_size, epochs)
    assert batching.total_steps(n_samples, batch_size, epochs) == counter.steps
    assert [batching.steps_per_epoch(n_samples, batch_size)] * epochs == counter.steps_per_epoch


def test_keras_optimizer_iterations_count_the_steps(keras):
    from course_utils.experiments.keras_tools import dense_model

    model = dense_model(1)
    model.compile(optimizer="sgd", loss="mse")
    X = np.zeros((10, 1), dtype="float32")
    model.fit(X, X, batch_size=4, epochs=3, verbose=0)
    assert int(model.optimizer.iterations) == batching.total_steps(10, 4, 3) == 9


def test_seed_numbers():
    assert batching.steps_per_epoch(1000, 20) == 50
    assert batching.total_steps(1000, 20, 10) == 500
    assert batching.steps_per_epoch(8000, 10) == 800
    assert [batching.steps_per_epoch(100, b) for b in (100, 10, 1)] == [1, 10, 100]
    assert batching.steps_per_epoch(6) == 1 and batching.steps_per_epoch(100) == 4


def test_drop_remainder_skips_the_partial_batch():
    assert batching.steps_per_epoch(7, 3, drop_remainder=True) == 2
    assert batching.total_steps(7, 3, 4, drop_remainder=True) == 8
    assert batching.steps_per_epoch(2, 3, drop_remainder=True) == 0


def _epoch(X, y, batch_size, **kwargs):
    return list(batching.minibatches(X, y, batch_size, **kwargs))


@pytest.mark.parametrize("n_samples, batch_size", [(10, 3), (10, 5), (10, 1), (10, 32), (33, None)])
@pytest.mark.parametrize("shuffle", [True, False, "batch"])
def test_minibatches_cover_every_sample_once_and_keep_pairs(n_samples, batch_size, shuffle):
    X = np.arange(n_samples * 2).reshape(n_samples, 2)
    y = np.arange(n_samples) * 10
    batches = _epoch(X, y, batch_size, shuffle=shuffle, rng=0)
    size = batch_size or 32
    assert len(batches) == batching.steps_per_epoch(n_samples, batch_size)
    assert [len(xb) for xb, _ in batches[:-1]] == [size] * (len(batches) - 1)
    assert len(batches[-1][0]) == n_samples - size * (len(batches) - 1)
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen) == sorted(y)
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0] // 2 * 10, yb)


def test_minibatches_new_order_each_epoch_reproducible_from_seed():
    X, y = np.arange(20), np.arange(20)
    rng = np.random.default_rng(7)
    first, second = (np.concatenate([yb for _, yb in _epoch(X, y, 4, rng=rng)]) for _ in range(2))
    assert not np.array_equal(first, second)
    rng_again = np.random.default_rng(7)
    again = [np.concatenate([yb for _, yb in _epoch(X, y, 4, rng=rng_again)]) for _ in range(2)]
    np.testing.assert_array_equal(again[0], first)
    np.testing.assert_array_equal(again[1], second)


def test_shuffle_false_keeps_order_and_batch_mode_keeps_batches():
    X = y = np.arange(10)
    assert [list(yb) for _, yb in _epoch(X, y, 4, shuffle=False)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    within = _epoch(X, y, 4, shuffle="batch", rng=1)
    assert [sorted(yb) for _, yb in within] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_remainder_drops_the_last_partial_batch():
    batches = _epoch(np.arange(10), np.arange(10), 4, drop_remainder=True, rng=0)
    assert [len(yb) for _, yb in batches] == [4, 4]


def _loops_asking_for(updates: int) -> dict:
    """Every NumPy training loop of course_utils, each set up to make exactly ``updates`` updates (20 samples)."""
    from course_utils.experiments import batch_size_study, explorer, noise_scale, schedules
    from course_utils.reference import datasets, gd
    from course_utils.reference.models import Dense
    from course_utils.reference.optimizers import SGD
    from course_utils.reference.training import fit

    X, y = datasets.linear_regression(20, rng=0)
    return {
        "fit": lambda: fit(Dense(1, rng=0), X, y, loss="mse", optimizer=SGD(0.01), batch_size=20, epochs=updates,
                           verbose=0),
        "train": lambda: batch_size_study.train(lambda: Dense(1, rng=0), X, y, loss="mse", batch_size=20,
                                                learning_rate=0.01, epochs=updates),
        "train_steps": lambda: batch_size_study.train_steps(lambda: Dense(1, rng=0), X, y, loss="mse", batch_size=20,
                                                            learning_rate=0.01, epochs=updates),
        "explore_batch_size": lambda: explorer.explore_batch_size(X, y, batch_sizes=[20], epochs=[updates]),
        "gradient_descent": lambda: gd.gradient_descent(X, y, 20, epochs=updates),
        "descend": lambda: schedules.descend(X, y, batch_size=20, learning_rate=0.01, steps=updates),
        "steps_to_target": lambda: noise_scale.steps_to_target(X, y, 20, [0.01], 1e-9, max_steps=updates),
    }


@pytest.mark.parametrize("loop", list(_loops_asking_for(1)))
def test_every_training_loop_obeys_the_one_cap_on_updates(monkeypatch, loop):
    monkeypatch.setattr(batching, "MAX_UPDATES", 3)  # one constant: lowering it lowers every loop's cap
    with pytest.raises(ValueError, match=r"would make 4 updates; at most 3 are allowed"):
        _loops_asking_for(4)[loop]()
    if loop != "explore_batch_size":  # the explorer draws a figure; the cap is what is tested here
        _loops_asking_for(3)[loop]()  # at the cap: runs
