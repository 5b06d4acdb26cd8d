"""course_utils.reference.gd: seed 004's cost, its gradient and the gradient-descent variants."""

import numpy as np
import pytest

from course_utils.reference import batching, gd
from course_utils.reference.datasets import linear_regression


@pytest.fixture
def data():
    return linear_regression(n_samples=50, rng=3)


def test_cost_is_seed_004_formula(data):
    X, y = data
    theta = np.array([1.5, -0.5])
    expected = np.sum((theta[0] + theta[1] * X[:, 0] - y) ** 2) / (2 * len(y))
    assert gd.cost(theta, X, y) == pytest.approx(expected)
    assert gd.cost(theta, X[:, 0], y) == pytest.approx(expected)  # X of shape (m,) too


@pytest.mark.parametrize("theta", [(0.0, 0.0), (4.0, 3.0), (-2.0, 7.5)])
def test_gradient_matches_finite_differences(data, theta):
    X, y = data
    h = 1e-6
    numeric = [(gd.cost(np.add(theta, h * e), X, y) - gd.cost(np.subtract(theta, h * e), X, y)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(gd.gradient(theta, X, y), numeric, rtol=1e-5, atol=1e-6)


def test_gradient_of_a_partial_batch_is_a_mean_over_its_own_samples(data):
    X, y = data
    theta = [0.5, 0.5]
    batch = np.arange(46, 50)  # the last 4 samples, as a partial batch of nominal size 32
    per_sample = [gd.gradient(theta, X[[i]], y[[i]]) for i in batch]
    np.testing.assert_allclose(gd.gradient(theta, X[batch], y[batch]), np.mean(per_sample, axis=0))


def test_least_squares_matches_polyfit(data):
    X, y = data
    slope, intercept = np.polyfit(X[:, 0], y, 1)
    np.testing.assert_allclose(gd.least_squares(X, y), [intercept, slope], rtol=1e-10)


@pytest.mark.parametrize("batch_size, replacement", [(50, False), (1, False), (1, True), (16, False), (16, True), (64, False)])
def test_path_has_one_row_per_update_plus_the_start(data, batch_size, replacement):
    X, y = data
    path = gd.gradient_descent(X, y, batch_size, epochs=3, replacement=replacement, theta=(1.0, 2.0), rng=0)
    assert path.shape == (3 * batching.steps_per_epoch(50, batch_size) + 1, 2)
    np.testing.assert_array_equal(path[0], [1.0, 2.0])


def test_full_batch_is_the_plain_update_rule(data):
    X, y = data
    theta, expected = np.zeros(2), [np.zeros(2)]
    for _ in range(20):
        theta = theta - 0.2 * gd.gradient(theta, X, y)
        expected.append(theta)
    np.testing.assert_allclose(gd.gradient_descent(X, y, len(X), epochs=20, learning_rate=0.2), expected)


def test_minibatches_without_replacement_follow_a_shuffled_partition(data):
    X, y = data
    rng = np.random.default_rng(7)
    theta, expected = np.zeros(2), [np.zeros(2)]
    for _ in range(2):
        batches = batching.batch_indices(len(X), 16, shuffle=True, rng=rng)
        assert sorted(np.concatenate(batches)) == list(range(len(X)))  # every sample once per epoch
        for batch in batches:
            theta = theta - 0.1 * gd.gradient(theta, X[batch], y[batch])
            expected.append(theta)
    np.testing.assert_allclose(gd.gradient_descent(X, y, 16, epochs=2, learning_rate=0.1, rng=7), expected)


def test_with_replacement_draws_batch_size_random_samples(data):
    X, y = data
    rng = np.random.default_rng(5)
    theta, expected = np.zeros(2), [np.zeros(2)]
    for _ in range(batching.steps_per_epoch(len(X), 8)):
        batch = rng.integers(0, len(X), size=8)
        theta = theta - 0.1 * gd.gradient(theta, X[batch], y[batch])
        expected.append(theta)
    np.testing.assert_allclose(gd.gradient_descent(X, y, 8, learning_rate=0.1, replacement=True, rng=5), expected)


def test_seeded_runs_repeat_and_different_seeds_differ(data):
    X, y = data
    run = lambda seed: gd.gradient_descent(X, y, 1, epochs=2, rng=seed)  # noqa: E731
    np.testing.assert_array_equal(run(1), run(1))
    assert not np.allclose(run(1), run(2))


def test_variants_approach_the_least_squares_solution(data):
    X, y = data
    best = gd.least_squares(X, y)
    np.testing.assert_allclose(gd.gradient_descent(X, y, len(X), epochs=2000, learning_rate=0.3)[-1], best, atol=1e-6)
    sgd_end = gd.gradient_descent(X, y, 1, epochs=200, learning_rate=0.002, rng=0)[-1]
    assert gd.cost(sgd_end, X, y) - gd.cost(best, X, y) < 0.01


def test_divergence_raises_and_names_the_learning_rate(data):
    X, y = data
    with pytest.raises(FloatingPointError, match="learning_rate"):
        gd.gradient_descent(X, y, len(X), epochs=2000, learning_rate=5.0)


def test_gradient_noise_is_zero_for_the_full_batch_and_shrinks_as_one_over_sqrt_b():
    X, y = linear_regression(n_samples=20000, rng=0)
    assert gd.gradient_noise([0, 0], X[:50], y[:50], 50, n_draws=5, rng=0) == pytest.approx(0.0, abs=1e-12)
    noise = {b: gd.gradient_noise([0.0, 0.0], X, y, b, n_draws=2000, rng=1) for b in (1, 4, 16, 64)}
    assert noise[1] > noise[4] > noise[16] > noise[64]
    assert noise[1] / noise[16] == pytest.approx(4.0, rel=0.15)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 2.5}, TypeError, "batch_size"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"learning_rate": -0.1}, ValueError, "learning_rate"),
        ({"learning_rate": "fast"}, TypeError, "learning_rate"),
        ({"replacement": "yes"}, TypeError, "replacement"),
        ({"theta": [1.0, 2.0, 3.0]}, ValueError, "theta"),
        ({"rng": "seed"}, TypeError, "rng"),
    ],
)
def test_gradient_descent_rejects_bad_arguments(data, kwargs, error, name):
    X, y = data
    arguments = {"batch_size": 4, **kwargs}
    with pytest.raises(error, match=name):
        gd.gradient_descent(X, y, **arguments)


def test_bad_data_shapes_are_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="X must have shape"):
        gd.cost([0, 0], np.hstack([X, X]), y)
    with pytest.raises(ValueError, match="same number of samples"):
        gd.gradient([0, 0], X, y[:-1])
    with pytest.raises(ValueError, match="batch_size"):
        gd.gradient_noise([0, 0], X, y, len(X) + 1)
    with pytest.raises(ValueError, match="n_draws"):
        gd.gradient_noise([0, 0], X, y, 2, n_draws=0)
