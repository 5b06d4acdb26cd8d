"""One optimizer interface: every training loop of course_utils makes its updates with optimizers.py's rules.

The reference loops below write each rule out by hand (Keras 3's formulas), independently of
course_utils, and draw the same batches; the loops under test must make the same updates.
"""

import math

import numpy as np
import pytest

from course_utils.reference import batching, datasets, gd
from course_utils.experiments import schedules
from course_utils.reference.models import Dense
from course_utils.reference.optimizers import SGD, Adam, momentum
from course_utils.reference.training import fit


class ThroughUpdate(SGD):
    """Plain SGD that is not of type SGD, so loops with a plain-SGD fast path use ``update`` instead."""


class CountingSGD(SGD):
    def update(self, parameters, gradients):
        self.calls = getattr(self, "calls", 0) + 1
        super().update(parameters, gradients)


def _reference_path(X, y, batches, rule, theta=(0.0, 0.0)):
    """theta after each batch of ``batches`` (index arrays), with ``rule(theta, gradient, t) -> theta``."""
    theta, path = np.array(theta, dtype=float), [np.array(theta, dtype=float)]
    for t, batch in enumerate(batches, 1):
        theta = rule(theta, gd.gradient(theta, X[batch], y[batch]), t)
        path.append(theta)
    return np.array(path)


def _gd_batches(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    return [b for _ in range(epochs) for b in batching.batch_indices(n, batch_size, shuffle=True, rng=rng)]


def _momentum_rule(rate, mu):
    velocity = np.zeros(2)

    def rule(theta, gradient, t):
        nonlocal velocity
        velocity = mu * velocity - rate * gradient
        return theta + velocity

    return rule


def _adam_rule(rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, v = np.zeros(2), np.zeros(2)

    def rule(theta, gradient, t):
        nonlocal m, v
        m = beta_1 * m + (1 - beta_1) * gradient
        v = beta_2 * v + (1 - beta_2) * gradient**2
        return theta - rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (np.sqrt(v) + epsilon)

    return rule


@pytest.mark.parametrize("batch_size, replacement", [(1, False), (7, False), (100, False), (8, True)])
def test_gradient_descents_plain_sgd_fast_path_is_sgd_update_bit_for_bit(batch_size, replacement):
    X, y = datasets.linear_regression(100, rng=3)
    fast = gd.gradient_descent(X, y, batch_size, epochs=3, learning_rate=0.05, replacement=replacement, rng=1)
    through = gd.gradient_descent(X, y, batch_size, epochs=3, replacement=replacement, rng=1,
                                  optimizer=ThroughUpdate(0.05))
    assert np.array_equal(fast, through)
    assert np.array_equal(fast, gd.gradient_descent(X, y, batch_size, epochs=3, replacement=replacement, rng=1,
                                                    optimizer=SGD(0.05)))


@pytest.mark.parametrize("optimizer, rule", [
    (momentum(0.02, 0.9), _momentum_rule(0.02, 0.9)),
    (SGD(0.01, momentum=0.5), _momentum_rule(0.01, 0.5)),
    (Adam(0.05), _adam_rule(0.05)),
    (Adam(0.2, beta_1=0.5, beta_2=0.9, epsilon=1e-3), _adam_rule(0.2, 0.5, 0.9, 1e-3)),
])
def test_gradient_descent_swaps_in_momentum_or_adam_with_one_argument(optimizer, rule):
    X, y = datasets.linear_regression(60, rng=4)
    path = gd.gradient_descent(X, y, 8, epochs=4, rng=2, optimizer=optimizer)
    expected = _reference_path(X, y, _gd_batches(60, 8, 4, 2), rule)
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-12)
    assert optimizer.iterations == 0 and optimizer.slots is None  # a copy was trained: one object, many runs
    assert np.array_equal(path, gd.gradient_descent(X, y, 8, epochs=4, rng=2, optimizer=optimizer))


def test_gradient_descent_refuses_a_used_optimizer_or_a_learning_rate_beside_it():
    X, y = datasets.linear_regression(20, rng=0)
    used = SGD(0.1)
    used.apply([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match=r"gradient_descent: optimizer has already made 1 updates; pass a new one"):
        gd.gradient_descent(X, y, 4, optimizer=used)
    with pytest.raises(TypeError, match=r"gradient_descent: give learning_rate or optimizer .* not both; "
                                        r"got learning_rate=0\.1"):
        gd.gradient_descent(X, y, 4, learning_rate=0.1, optimizer=SGD(0.1))
    with pytest.raises(TypeError, match=r"gradient_descent: optimizer must be an optimizer object such as .*"
                                        r"got the string 'adam'"):
        gd.gradient_descent(X, y, 4, optimizer="adam")


@pytest.mark.parametrize("optimizer, rule", [
    (SGD(0.03, momentum=0.9), _momentum_rule(0.03, 0.9)),
    ("adam", _adam_rule(0.03)),
])
def test_descend_takes_the_same_optimizers(optimizer, rule):
    X, y = datasets.linear_regression(64, rng=2)
    path = schedules.descend(X, y, batch_size=8, learning_rate=0.03, steps=30, optimizer=optimizer, rng=4)
    rng = np.random.default_rng(4)
    batches = np.concatenate([rng.permutation(64) for _ in range(4)])[:240].reshape(30, 8)
    np.testing.assert_allclose(path, _reference_path(X, y, batches, rule), rtol=1e-12, atol=1e-12)


def test_fit_makes_every_update_through_the_optimizers_update():
    X, y = datasets.linear_regression(50, rng=0)
    counting, plain = CountingSGD(0.01), SGD(0.01)
    one, two = Dense(1, rng=0), Dense(1, rng=0)
    fit(one, X, y, loss="mse", optimizer=counting, batch_size=8, epochs=3, rng=0, verbose=0)
    fit(two, X, y, loss="mse", optimizer=plain, batch_size=8, epochs=3, rng=0, verbose=0)
    assert counting.calls == counting.iterations == plain.iterations == 3 * 7
    assert np.array_equal(one.Wb, two.Wb)


def test_update_is_apply_without_the_checks():
    rng = np.random.default_rng(0)
    for make in (lambda: SGD(0.1), lambda: SGD(0.1, momentum=0.9, nesterov=True), lambda: Adam(0.01)):
        checked, unchecked = make(), make()
        a, b = [np.ones((3, 2)), np.zeros(2)], [np.ones((3, 2)), np.zeros(2)]
        for _ in range(5):
            grads = [rng.normal(size=(3, 2)), rng.normal(size=2)]
            checked.apply(a, grads)
            unchecked.update(b, grads)
        assert all(np.array_equal(p, q) for p, q in zip(a, b))
        assert checked.iterations == unchecked.iterations == 5


def test_slots_hold_the_state_and_the_old_private_name_still_reads_and_sets_it():
    adam, param = Adam(0.1), np.zeros(2)
    assert adam.slots is None and adam.matches([param])
    adam.apply([param], [np.array([1.0, -2.0])])
    m, v = (slot[0] for slot in adam.slots)
    np.testing.assert_allclose(m, [0.1, -0.2])
    np.testing.assert_allclose(v, [0.001, 0.004])
    assert adam._slots is adam.slots and not adam.matches([np.zeros(3)])
    sgd = SGD(0.1, momentum=0.5)
    sgd._slots = [[np.array([1.0])]]  # ex09's hidden tests start momentum from a given velocity this way
    param = np.zeros(1)
    sgd.apply([param], [np.array([2.0])])
    np.testing.assert_allclose(sgd.slots[0][0], [0.5 * 1.0 - 0.1 * 2.0])
    np.testing.assert_allclose(param, [0.3])
