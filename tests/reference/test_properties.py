"""Property-based tests (Hypothesis): valid inputs keep their invariants, invalid inputs raise a named error.

Deterministic (``derandomize=True``) and small (``max_examples``), so the whole file runs in seconds.
"""

import contextlib
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_utils import SGD, Adam, fit
from course_utils.reference import batching, losses, training
from course_utils.reference.models import Dense

settings.register_profile(
    "course", max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("course")

n_samples = st.integers(1, 200)
batch_sizes = st.one_of(st.none(), st.integers(1, 64))
shuffles = st.sampled_from([True, False, "batch", np.True_, np.False_])
seeds = st.integers(0, 2**32 - 1)
not_counts = st.one_of(
    st.integers(max_value=0), st.floats(allow_nan=True), st.booleans(), st.text(max_size=3), st.none(),
    st.lists(st.integers(1, 3), max_size=2),
)
finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


# --- batching -------------------------------------------------------------------------------------------------------


@given(n_samples, batch_sizes, shuffles, seeds)
def test_batches_cover_every_sample_once_with_keras_step_count(n, batch_size, shuffle, seed):
    batches = batching.batch_indices(n, batch_size, shuffle=shuffle, rng=seed)
    b = batch_size or batching.DEFAULT_BATCH_SIZE
    assert len(batches) == batching.steps_per_epoch(n, batch_size) == math.ceil(n / b)
    assert sorted(np.concatenate(batches).tolist()) == list(range(n))
    assert all(len(batch) == b for batch in batches[:-1]) and 1 <= len(batches[-1]) <= b
    if shuffle is False or shuffle is np.False_:
        assert np.concatenate(batches).tolist() == list(range(n))
    if shuffle == "batch" and isinstance(shuffle, str):  # batch membership kept, order inside shuffled
        assert [sorted(batch.tolist()) for batch in batches] == [
            list(range(i * b, min((i + 1) * b, n))) for i in range(len(batches))
        ]
    assert [a.tolist() for a in batches] == [a.tolist() for a in batching.batch_indices(n, batch_size, shuffle=shuffle, rng=seed)]


@given(n_samples, st.integers(1, 64), seeds)
def test_drop_remainder_keeps_only_full_batches(n, batch_size, seed):
    batches = batching.batch_indices(n, batch_size, rng=seed, drop_remainder=True)
    assert len(batches) == n // batch_size == batching.steps_per_epoch(n, batch_size, drop_remainder=True)
    assert all(len(batch) == batch_size for batch in batches)


@given(n_samples, batch_sizes, shuffles, seeds)
def test_minibatches_keep_pairs_together(n, batch_size, shuffle, seed):
    X, y = np.arange(n, dtype=float).reshape(-1, 1) * 2, np.arange(n)
    pairs = list(batching.minibatches(X, y, batch_size, shuffle=shuffle, rng=seed))
    assert all(np.array_equal(X_batch[:, 0], 2 * y_batch) for X_batch, y_batch in pairs)
    assert sum(len(y_batch) for _, y_batch in pairs) == n


@given(not_counts)
def test_anything_but_a_whole_number_at_least_one_is_refused(value):
    for name, call in [("steps_per_epoch: n_samples", lambda: batching.steps_per_epoch(value, 2)),
                       ("total_steps: epochs", lambda: batching.total_steps(10, 2, value))]:
        with pytest.raises((TypeError, ValueError), match=name):
            call()
    if value is not None:
        with pytest.raises((TypeError, ValueError), match="batch_size"):
            batching.steps_per_epoch(10, value)


@given(st.one_of(st.integers(), st.floats(), st.text(max_size=5)).filter(lambda v: v != "batch"))
def test_shuffle_is_true_false_or_batch(value):
    with pytest.raises((TypeError, ValueError), match="shuffle must be True, False or 'batch'"):
        batching.batch_indices(10, 3, shuffle=value)


# --- losses and gradients -------------------------------------------------------------------------------------------

probabilities = st.floats(0.01, 0.99)


@st.composite
def binary_batches(draw):
    n = draw(st.integers(1, 8))
    y_true = draw(hnp.arrays(float, n, elements=st.sampled_from([0.0, 1.0])))
    y_pred = draw(hnp.arrays(float, (n, 1), elements=probabilities))
    return y_true, y_pred


@given(binary_batches())
def test_binary_crossentropy_is_non_negative_and_its_gradient_is_the_slope(batch):
    y_true, y_pred = batch
    value, grad = losses.BINARY_CROSSENTROPY(y_true, y_pred), losses.BINARY_CROSSENTROPY.gradient(y_true, y_pred)
    assert value >= 0 and grad.shape == y_pred.shape
    _assert_slope(lambda p: losses.BINARY_CROSSENTROPY(y_true, p), y_pred, grad)


@given(hnp.arrays(float, st.tuples(st.integers(1, 6), st.integers(1, 3)), elements=finite), st.data())
def test_mse_and_mae_gradients_are_the_slope(y_pred, data):
    y_true = data.draw(hnp.arrays(float, y_pred.shape, elements=finite))
    for loss in (losses.MSE, losses.MAE):
        value, grad = loss(y_true, y_pred), loss.gradient(y_true, y_pred)
        assert value >= 0 and grad.shape == y_pred.shape
        if loss is losses.MSE or np.min(np.abs(y_pred - y_true)) > 1e-3:
            _assert_slope(lambda p: loss(y_true, p), y_pred, grad)


@given(st.integers(1, 6), st.integers(2, 5), st.data())
def test_sparse_crossentropy_takes_labels_in_range_only(n, units, data):
    y_pred = data.draw(hnp.arrays(float, (n, units), elements=probabilities))
    labels = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, units - 1)))
    assert losses.SPARSE_CATEGORICAL_CROSSENTROPY(labels, y_pred) >= 0
    bad = labels.copy()
    bad[data.draw(st.integers(0, n - 1))] = data.draw(st.one_of(st.integers(-5, -1), st.integers(units, units + 5)))
    with pytest.raises(ValueError, match="class labels in"):
        losses.SPARSE_CATEGORICAL_CROSSENTROPY(bad, y_pred)


@given(binary_batches(), st.one_of(st.floats(1.0001, 1e6), st.floats(-1e6, -0.0001), st.just(float("nan"))))
def test_labels_or_probabilities_outside_0_1_are_refused(batch, bad):
    y_true, y_pred = batch
    with pytest.raises(ValueError, match="labels in|NaN"):
        losses.BINARY_CROSSENTROPY(np.append(y_true[:-1], bad), y_pred)
    y_pred = y_pred.copy()
    y_pred[-1, 0] = bad
    with pytest.raises(ValueError, match="probabilities in|NaN"):
        losses.BINARY_CROSSENTROPY.gradient(y_true, y_pred)


def _assert_slope(f, x, grad, h=1e-6):
    """Central differences of f at x agree with grad."""
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        slope = (f(x + step) - f(x - step)) / (2 * h)
        assert slope == pytest.approx(grad[index], rel=1e-3, abs=1e-5)


COMBINATIONS = [("linear", "mse"), ("linear", "mae"), ("sigmoid", "binary_crossentropy"), ("sigmoid", "mse"),
                ("softmax", "sparse_categorical_crossentropy")]


@given(st.sampled_from(COMBINATIONS), st.integers(1, 5), st.integers(1, 3), seeds)
def test_dense_gradients_are_the_slope_of_its_loss(combination, batch, n_inputs, seed):
    activation, loss = combination
    rng = np.random.default_rng(seed)
    units = 3 if activation == "softmax" else 1
    model = Dense(n_inputs, units, activation, rng=seed)
    X = rng.normal(size=(batch, n_inputs))
    y = rng.integers(0, units, batch) if units > 1 else (rng.random(batch) > 0.5).astype(float)
    if loss in ("mse", "mae"):
        y = rng.normal(size=batch)
    value, (dW, db) = model.loss_and_gradients(X, y, loss)
    assert np.isfinite(value) and dW.shape == model.W.shape and db.shape == model.b.shape
    if loss != "mae":
        W = model.W.copy()

        def at(W_new):
            model.W = W_new
            return model.loss(X, y, loss)

        _assert_slope(at, W, dW)
        model.W = W


# --- optimizers -----------------------------------------------------------------------------------------------------


@given(hnp.arrays(float, st.integers(1, 5), elements=finite), st.data(), st.floats(1e-4, 1.0))
def test_sgd_steps_against_the_gradient_and_counts(param, data, learning_rate):
    grad = data.draw(hnp.arrays(float, param.shape, elements=finite))
    updated, optimizer = param.copy(), SGD(learning_rate)
    optimizer.apply([updated], [grad])
    np.testing.assert_allclose(updated, param - learning_rate * grad)
    assert optimizer.iterations == 1


@given(st.integers(0, 3), st.integers(0, 3), st.sampled_from([SGD, Adam, lambda: SGD(0.1, momentum=0.9)]))
def test_apply_refuses_mismatched_lists_and_changes_nothing(n_params, n_grads, make):
    params = [np.ones(2) for _ in range(n_params)]
    grads = [np.ones(2) for _ in range(n_grads)]
    optimizer = make()
    if n_params == n_grads and n_params:
        optimizer.apply(params, grads)
        assert optimizer.iterations == 1
        return
    with pytest.raises(ValueError, match="parameters and gradients"):
        optimizer.apply(params, grads)
    assert optimizer.iterations == 0 and all(np.array_equal(p, np.ones(2)) for p in params)


# --- fit ------------------------------------------------------------------------------------------------------------


@st.composite
def fit_runs(draw):
    n = draw(st.integers(1, 40))
    n_inputs = draw(st.integers(1, 3))
    X = draw(hnp.arrays(float, (n, n_inputs), elements=st.floats(-3, 3)))
    y = draw(hnp.arrays(float, n, elements=st.floats(-3, 3)))
    kwargs = dict(batch_size=draw(batch_sizes), epochs=draw(st.integers(1, 4)), shuffle=draw(shuffles),
                  rng=draw(seeds))
    return X, y, kwargs


@given(fit_runs(), st.sampled_from(["sgd", "momentum", "adam"]))
def test_fit_keeps_keras_counts_and_running_mean(run, which):
    X, y, kwargs = run
    make = {"sgd": lambda: SGD(0.01), "momentum": lambda: SGD(0.01, momentum=0.9), "adam": lambda: Adam(0.01)}[which]
    model, optimizer = Dense(X.shape[1], rng=0), make()
    history = fit(model, X, y, loss="mse", optimizer=optimizer, verbose=0, **kwargs)
    steps = batching.steps_per_epoch(len(X), kwargs["batch_size"])
    assert len(history.history["loss"]) == kwargs["epochs"] and len(history.step_losses) == kwargs["epochs"] * steps
    assert optimizer.iterations == kwargs["epochs"] * steps
    b = kwargs["batch_size"] or 32
    sizes = [min(b, len(X) - i * b) for i in range(steps)]
    for epoch, epoch_loss in enumerate(history.history["loss"]):
        batch_losses = history.step_losses[epoch * steps : (epoch + 1) * steps]
        assert epoch_loss == pytest.approx(np.dot(batch_losses, sizes) / len(X))
    again = Dense(X.shape[1], rng=0)
    fit(again, X, y, loss="mse", optimizer=make(), verbose=0, **kwargs)
    assert np.array_equal(again.Wb, model.Wb)  # the same seed, the same run


@given(fit_runs(), st.data(), st.sampled_from([float("nan"), float("inf"), -float("inf")]))
def test_fit_names_a_non_finite_sample_and_trains_nothing(run, data, bad):
    X, y, kwargs = run
    target = data.draw(st.sampled_from(["X", "y"]))
    row = data.draw(st.integers(0, len(X) - 1))
    X, y = X.copy(), y.copy()
    if target == "X":
        X[row, data.draw(st.integers(0, X.shape[1] - 1))] = bad
    else:
        y[row] = bad
    model, optimizer = Dense(X.shape[1], rng=0), SGD(0.01)
    before = model.Wb.copy()
    with pytest.raises(ValueError, match=rf"fit: {target} contains NaN or infinity \(row {row}\)"):
        fit(model, X, y, loss="mse", optimizer=optimizer, verbose=0, **kwargs)
    assert np.array_equal(model.Wb, before) and optimizer.iterations == 0


@given(st.integers(1, 30), st.sampled_from([("linear", "mse"), ("linear", "mae"), ("sigmoid", "binary_crossentropy")]),
       shuffles, st.sampled_from([0.0, 0.25]), st.sampled_from([0.01, 0.3, 30.0]), seeds, st.data())
def test_the_one_sample_loop_gives_the_array_loops_numbers_bit_for_bit(n, combination, shuffle, split, learning_rate, seed, data):
    activation, loss = combination
    X = data.draw(hnp.arrays(float, n, elements=st.floats(-50, 50)))
    y = (X > 0).astype(float) if activation == "sigmoid" else data.draw(hnp.arrays(float, n, elements=st.floats(-50, 50)))
    split = split if n >= 4 else 0.0
    runs = []
    for loop in (contextlib.nullcontext, training.array_loop_only):
        model, optimizer = Dense(1, 1, activation, rng=seed), SGD(learning_rate)
        try:
            with loop():
                history = fit(model, X, y, loss=loss, optimizer=optimizer, batch_size=1, epochs=3,
                              shuffle=shuffle, validation_split=split, rng=seed, verbose=0)
            outcome = (history.history, history.step_losses)
        except FloatingPointError as error:
            outcome = str(error)
        runs.append((model.Wb.tobytes(), optimizer.iterations, outcome))
    assert runs[0] == runs[1]
