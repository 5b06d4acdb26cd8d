"""course_utils.fit against keras.Model.fit: same initial weights, shuffle=False, same final weights and epoch losses."""

import numpy as np
import pytest

from course_utils import SGD, Adam, fit
from course_utils.reference import datasets
from course_utils.reference.models import Dense

TOLERANCE = 1e-5


def _fit_both(keras, X, y, *, units=1, activation, loss, keras_optimizer, optimizer, batch_size, epochs, **fit_kwargs):
    from course_utils.experiments.keras_tools import dense_model

    n_inputs = 1 if np.ndim(X) == 1 else np.shape(X)[1]
    km = dense_model(n_inputs, units, activation, seed=42)
    km.compile(optimizer=keras_optimizer, loss=loss)
    model = Dense(n_inputs, units, activation)
    model.set_weights(km.get_weights())
    X32 = np.asarray(X, dtype="float32").reshape(len(X), n_inputs)
    keras_history = km.fit(X32, np.asarray(y, dtype="float32"), batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0, **fit_kwargs)
    history = fit(model, X, y, loss=loss, optimizer=optimizer, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0, **fit_kwargs)
    return km, keras_history, model, history


def _assert_same(km, keras_history, model, history, keys=("loss",)):
    for mine, theirs in zip(model.get_weights(), km.get_weights()):
        np.testing.assert_allclose(mine, theirs, atol=TOLERANCE, rtol=0)
    for key in keys:
        assert len(history.history[key]) == len(keras_history.history[key])
        np.testing.assert_allclose(history.history[key], keras_history.history[key], atol=TOLERANCE, rtol=0)


def test_seed000_sigmoid_sgd_batch1_200_epochs(keras):
    X, y = datasets.seed000_points()
    result = _fit_both(
        keras, X, y, activation="sigmoid", loss="binary_crossentropy",
        keras_optimizer=keras.optimizers.SGD(learning_rate=0.01), optimizer=SGD(0.01), batch_size=1, epochs=200,
    )
    _assert_same(*result)
    km, _, model, history = result
    assert len(history.step_losses) == 2600 == int(km.optimizer.iterations)


@pytest.mark.parametrize("batch_size", [6, 3])
def test_seed002_mae_adam(keras, batch_size):
    x, y = datasets.seed002_counts()
    _assert_same(*_fit_both(
        keras, x, y, activation="linear", loss="mae",
        keras_optimizer=keras.optimizers.Adam(), optimizer=Adam(), batch_size=batch_size, epochs=10,
    ))


def test_mse_with_partial_last_batch_and_validation_split(keras):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(23, 3))
    y = X @ np.array([[1.0, -2.0], [0.5, 0.0], [2.0, 1.0]]) + 0.1 * rng.normal(size=(23, 2))
    # 23 samples, validation_split=0.2 -> 18 train (floor), batches of 5: 5, 5, 5, 3.
    _assert_same(
        *_fit_both(
            keras, X, y, units=2, activation="linear", loss="mse",
            keras_optimizer=keras.optimizers.SGD(learning_rate=0.05), optimizer=SGD(0.05), batch_size=5, epochs=15,
            validation_split=0.2,
        ),
        keys=("loss", "val_loss"),
    )


def test_sgd_momentum_and_default_batch_size(keras):
    X, y = datasets.linear_regression(70, rng=1)
    _assert_same(*_fit_both(
        keras, X, y, activation="linear", loss="mse",
        keras_optimizer=keras.optimizers.SGD(learning_rate=0.02, momentum=0.9), optimizer=SGD(0.02, momentum=0.9),
        batch_size=None, epochs=10,
    ))


def test_softmax_sparse_categorical_crossentropy(keras):
    (X, y), _ = datasets.digits(rng=0)
    X = X[:100].reshape(100, -1)
    _assert_same(*_fit_both(
        keras, X, y[:100], units=10, activation="softmax", loss="sparse_categorical_crossentropy",
        keras_optimizer=keras.optimizers.Adam(learning_rate=0.01), optimizer=Adam(0.01), batch_size=16, epochs=3,
    ))


def test_epoch_loss_is_the_batch_size_weighted_running_mean(keras):
    from course_utils.experiments.keras_tools import BatchLossRecorder, dense_model

    X = np.arange(7, dtype="float32").reshape(7, 1)
    y = 2 * X[:, 0] + 1
    km = dense_model(1, seed=0)
    km.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    model = Dense(1)
    model.set_weights(km.get_weights())
    recorder = BatchLossRecorder()
    km.fit(X, y, batch_size=3, epochs=1, shuffle=False, verbose=0, callbacks=[recorder])
    history = fit(model, X, y, loss="mse", optimizer=SGD(0.01), batch_size=3, shuffle=False, verbose=0)
    sizes = np.array([3, 3, 1])
    running = np.cumsum(np.array(history.step_losses) * sizes) / np.cumsum(sizes)
    np.testing.assert_allclose(running, recorder.running_means, rtol=1e-5)
    assert history.history["loss"][0] == pytest.approx(running[-1])
    assert history.history["loss"][0] != pytest.approx(model.loss(X, y, "mse"))  # not the end-of-epoch loss


def test_keras_validation_split_takes_the_tail_before_shuffling(keras):
    from course_utils.experiments.keras_tools import dense_model
    from course_utils.reference.training import train_validation_split

    X = np.arange(10, dtype="float32").reshape(10, 1)
    y = np.zeros(10, dtype="float32")
    y[8:] = 100.0  # only the tail is far from the model's predictions
    km = dense_model(1, seed=0)
    km.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-9), loss="mse")
    history = km.fit(X, y, validation_split=0.2, epochs=1, shuffle=True, verbose=0)
    (_, _), (X_val, y_val) = train_validation_split(X, y, 0.2)
    np.testing.assert_array_equal(y_val, [100.0, 100.0])
    expected = float(np.mean((km.predict(X_val, verbose=0)[:, 0] - y_val) ** 2))
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-4)


def test_shuffled_fit_is_reproducible_from_its_seed():
    X, y = datasets.linear_regression(50)
    runs = []
    for _ in range(2):
        model = Dense(1, rng=0)
        runs.append(fit(model, X, y, loss="mse", optimizer=SGD(0.05), batch_size=8, epochs=3, rng=123, verbose=0).step_losses)
    assert runs[0] == runs[1]
    model = Dense(1, rng=0)
    other = fit(model, X, y, loss="mse", optimizer=SGD(0.05), batch_size=8, epochs=3, rng=124, verbose=0).step_losses
    assert other != runs[0]
