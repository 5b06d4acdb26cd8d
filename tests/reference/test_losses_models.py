"""Losses against keras.losses, and analytic gradients against finite differences."""

import numpy as np
import pytest

from course_utils.reference import losses
from course_utils.reference.models import Dense


def _keras_loss(keras, name, y_true, y_pred):
    fn = keras.losses.get(name)
    return float(np.mean(keras.ops.convert_to_numpy(fn(y_true, y_pred))))


@pytest.mark.parametrize(
    "name, y_true, y_pred",
    [
        ("mse", [[1.0], [2.0], [4.0]], [[1.5], [1.0], [4.0]]),
        ("mae", [[1.0], [2.0], [4.0]], [[1.5], [1.0], [4.0]]),
        ("binary_crossentropy", [[0.0], [1.0], [1.0], [0.0]], [[0.2], [0.7], [1.0], [0.0]]),  # 1.0 and 0.0 are clipped
        ("binary_crossentropy", [[0.0], [1.0]], [[1e-9], [1 - 1e-9]]),
        ("sparse_categorical_crossentropy", [0, 2, 1], [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.0, 1.0, 0.0]]),
    ],
)
def test_loss_values_match_keras_on_probabilities(keras, name, y_true, y_pred):
    y_true = np.array(y_true, dtype="float32")
    y_pred = np.array(y_pred, dtype="float32")
    expected = _keras_loss(keras, name, y_true, y_pred)
    assert losses.get(name)(y_true, y_pred) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def _numeric_gradient(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


@pytest.mark.parametrize(
    "loss, y_true, y_pred",
    [
        (losses.MSE, np.array([[1.0, 0.5], [2.0, -1.0]]), np.array([[1.3, 0.1], [1.0, -0.2]])),
        (losses.MAE, np.array([[1.0], [2.0], [3.0]]), np.array([[1.3], [1.5], [3.4]])),
        (losses.BINARY_CROSSENTROPY, np.array([[0.0], [1.0], [1.0]]), np.array([[0.2], [0.6], [0.9]])),
        (losses.SPARSE_CATEGORICAL_CROSSENTROPY, np.array([0, 2]), np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])),
    ],
)
def test_loss_gradients_match_finite_differences(loss, y_true, y_pred):
    numeric = _numeric_gradient(lambda p: loss(y_true, p), y_pred)
    np.testing.assert_allclose(loss.gradient(y_true, y_pred), numeric, rtol=1e-5, atol=1e-8)


def test_clipped_cross_entropy_passes_no_gradient_outside_the_clip():
    grad = losses.BINARY_CROSSENTROPY.gradient(np.array([[1.0], [0.0]]), np.array([[1.0], [0.5]]))
    assert grad[0, 0] == 0.0 and grad[1, 0] != 0.0


@pytest.mark.parametrize(
    "activation, units, loss, y",
    [
        ("linear", 2, "mse", np.array([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0], [3.0, 0.0]])),
        ("linear", 1, "mae", np.array([1.0, -2.0, 0.3, 2.0])),
        ("sigmoid", 1, "binary_crossentropy", np.array([0.0, 1.0, 1.0, 0.0])),
        ("sigmoid", 1, "mse", np.array([0.0, 1.0, 1.0, 0.0])),
        ("softmax", 3, "sparse_categorical_crossentropy", np.array([0, 2, 1, 2])),
        ("softmax", 3, "mse", np.eye(3)[[0, 2, 1, 2]]),
    ],
)
def test_dense_gradients_match_finite_differences(activation, units, loss, y):
    X = np.random.default_rng(0).normal(size=(4, 3))
    model = Dense(3, units, activation, rng=1)
    _, (dW, db) = model.loss_and_gradients(X, y, loss)

    def loss_at(W, b):
        probe = Dense(3, units, activation)
        probe.set_weights([W, b])
        return probe.loss(X, y, loss)

    W, b = model.get_weights()
    np.testing.assert_allclose(dW, _numeric_gradient(lambda w: loss_at(w, b), W), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(db, _numeric_gradient(lambda c: loss_at(W, c), b), rtol=1e-5, atol=1e-8)


def test_dense_matches_keras_forward_pass(keras):
    from course_utils.experiments.keras_tools import dense_model

    X = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    for activation, units in [("linear", 2), ("sigmoid", 1), ("softmax", 4)]:
        km = dense_model(3, units, activation, seed=3)
        model = Dense(3, units, activation)
        model.set_weights(km.get_weights())
        np.testing.assert_allclose(model.predict(X), km.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_dense_initialises_like_keras_glorot_uniform():
    model = Dense(30, 20, rng=0)
    limit = np.sqrt(6 / 50)
    assert np.abs(model.W).max() <= limit and np.abs(model.W).max() > 0.9 * limit
    assert np.all(model.b == 0)


def test_dense_weights_can_be_updated_through_w_and_b():
    model = Dense(2, 1, rng=0)
    W, b = model.get_weights()
    model.W -= 0.5
    model.b += 1.0
    np.testing.assert_allclose(model.get_weights()[0], W - 0.5)
    np.testing.assert_allclose(model.get_weights()[1], b + 1.0)
    np.testing.assert_allclose(model.predict(np.ones((1, 2)))[0], (W - 0.5).sum() + b + 1.0)
