"""Bad input gets a ValueError or TypeError that names the argument and what is accepted."""

import numpy as np
import pytest

from course_utils import SGD, Adam, batching, datasets, fit
from course_utils.models import Dense


def _fit(**overrides):
    X, y = datasets.linear_regression(20)
    kwargs = dict(loss="mse", optimizer=SGD(), batch_size=4, epochs=1, verbose=0)
    kwargs.update(overrides)
    X, y = kwargs.pop("X", X), kwargs.pop("y", y)
    return fit(Dense(1, rng=0), X, y, **kwargs)


@pytest.mark.parametrize("value, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), ("8", TypeError), (True, TypeError)])
@pytest.mark.parametrize(
    "name, call",
    [
        ("batch_size", lambda v: batching.steps_per_epoch(10, v)),
        ("n_samples", lambda v: batching.steps_per_epoch(v, 2)),
        ("epochs", lambda v: batching.total_steps(10, 2, v)),
        ("batch_size", lambda v: list(batching.minibatches(np.zeros(4), np.zeros(4), v))),
        ("batch_size", lambda v: _fit(batch_size=v)),
        ("epochs", lambda v: _fit(epochs=v)),
    ],
)
def test_counts_must_be_whole_numbers_at_least_one(name, call, value, error):
    with pytest.raises(error, match=name) as info:
        call(value)
    assert ">= 1" in str(info.value)


def test_x_and_y_of_different_lengths():
    with pytest.raises(ValueError, match=r"same number of samples.*len\(X\)=5 and len\(y\)=4"):
        batching.minibatches(np.zeros(5), np.zeros(4), 2)
    with pytest.raises(ValueError, match="same number of samples"):
        _fit(X=np.zeros((5, 1)), y=np.zeros(4))


def test_empty_data():
    with pytest.raises(ValueError, match="empty"):
        batching.minibatches(np.zeros((0, 2)), np.zeros(0), 2)
    with pytest.raises(ValueError, match="empty"):
        _fit(X=np.zeros((0, 1)), y=np.zeros(0))


@pytest.mark.parametrize("learning_rate", [0, -0.1, float("nan"), float("inf")])
@pytest.mark.parametrize("optimizer", [SGD, Adam])
def test_learning_rate_must_be_positive(optimizer, learning_rate):
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        optimizer(learning_rate)


def test_learning_rate_must_be_a_number():
    with pytest.raises(TypeError, match="learning_rate"):
        SGD("0.1")


@pytest.mark.parametrize("split", [-0.1, 1.0, 1.5])
def test_validation_split_outside_0_1(split):
    with pytest.raises(ValueError, match=r"validation_split must be in \[0.0, 1.0\)"):
        _fit(validation_split=split)


def test_validation_split_that_leaves_nothing():
    with pytest.raises(ValueError, match="validation_split=0.5 leaves no samples for training or validation with 1 samples"):
        _fit(X=np.zeros((1, 1)), y=np.zeros(1), validation_split=0.5)


def test_other_arguments_name_themselves():
    with pytest.raises(ValueError, match="shuffle must be True, False or 'batch'"):
        batching.batch_indices(10, 2, shuffle="yes")
    with pytest.raises(ValueError, match="loss must be one of"):
        _fit(loss="hinge")
    with pytest.raises(ValueError, match="activation must be one of"):
        Dense(1, activation="relu")
    with pytest.raises(ValueError, match=r"X must have shape \(batch, 2\)"):
        Dense(2).predict(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="verbose must be 0"):
        _fit(verbose=3)
    with pytest.raises(TypeError, match="rng must be None, an int seed or a numpy.random.Generator"):
        batching.batch_indices(10, 2, rng="seed")
    with pytest.raises(ValueError, match="momentum must be"):
        SGD(momentum=1.5)


def test_a_diverging_loss_stops_fit_naming_the_step():
    X = np.linspace(-100, 100, 20).reshape(-1, 1)
    with pytest.raises(FloatingPointError) as info:
        fit(Dense(1, rng=0), X, 3 * X[:, 0], loss="mse", optimizer=SGD(10.0), batch_size=4, epochs=50, verbose=0)
    message = str(info.value)
    assert "at step" in message and "epoch" in message and "smaller learning_rate than 10.0" in message
    step = int(message.split("at step ")[1].split()[0])
    assert 1 < step <= 250
