"""Lesson 09: momentum and Adam from scratch, against course_utils and Keras 3, and every conclusion it states.

The lesson's functions (``momentum_step``, ``adam_step``, ``gap_to_keras``, ``hover``, ``adam_after``) are taken from
its cells with ``ast`` and run here; "every seed" claims run on 20 seeds.
"""

import ast
import re

import nbformat
import numpy as np
import pytest

from course_utils import SGD, Adam
from course_utils.reference import gd
from course_utils.experiments import variants_study as study
from course_utils.reference.batching import batch_indices
from course_utils.reference.datasets import linear_regression
from notebook_reading import lesson_path, read

LESSON = lesson_path(9)
FUNCTIONS = ("momentum_step", "adam_step", "gap_to_keras", "hover", "adam_after")


@pytest.fixture(scope="module")
def lesson():
    X, y = linear_regression(100, rng=0)
    namespace = {"np": np, "gd": gd, "study": study, "batch_indices": batch_indices,
                 "linear_regression": linear_regression, "X": X, "y": y}
    nodes = [node for cell in read(LESSON).cells if cell.cell_type == "code" for node in ast.parse(cell.source).body
             if isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS]
    assert sorted(n.name for n in nodes) == sorted(FUNCTIONS)
    exec(compile(ast.Module(nodes, type_ignores=[]), LESSON.name, "exec"), namespace)
    return namespace


def test_lesson_is_clean_and_has_the_course_shape():
    nb = read(LESSON)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert 10 <= len(nb.cells) <= 25
    opening, closing = nb.cells[0].source, nb.cells[-1].source
    assert opening.startswith("# ") and "What you'll learn" in opening and "What you'll need" in opening
    assert closing.startswith("## Summary") and "Kernel → Shut Down Kernel" in closing
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    steps = [int(m) for m in re.findall(r"\*\*Step (\d+)\. ", text)]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= 5
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert all(len(line) <= 88 for line in cell.source.splitlines())
    assert "tensorflow.keras" not in "".join(c.source for c in nb.cells)


@pytest.mark.parametrize("seed", range(5))
def test_numpy_steps_equal_course_utils_optimizers(lesson, seed):
    gradients = np.random.default_rng(seed).normal(size=(40, 3))
    theta, velocity = np.zeros(3), np.zeros(3)
    param = np.zeros(3)
    reference = SGD(0.05, momentum=0.9)
    for g in gradients:
        theta, velocity = lesson["momentum_step"](theta, velocity, g, 0.05)
        reference.apply([param], [g])
    np.testing.assert_allclose(theta, param, rtol=1e-12, atol=1e-12)
    theta, m, v, param, reference = np.zeros(3), 0.0, 0.0, np.zeros(3), Adam(0.01)
    for t, g in enumerate(gradients, 1):
        theta, m, v = lesson["adam_step"](theta, m, v, t, g, learning_rate=0.01)
        reference.apply([param], [g])
    np.testing.assert_allclose(theta, param, rtol=1e-10, atol=1e-12)


def test_step3_numpy_equals_keras_momentum_and_adam_to_1e6_and_a_wrong_formula_is_far_off(lesson):
    import keras

    lesson["keras"] = keras  # gap_to_keras reads the lesson's global ``keras``
    for seed in range(5):
        sgd = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
        assert lesson["gap_to_keras"]("momentum", sgd, seed, learning_rate=0.01) < 1e-6
        adam = keras.optimizers.Adam(learning_rate=0.01)
        assert lesson["gap_to_keras"]("adam", adam, seed, learning_rate=0.01, float32_constants=True) < 1e-6
    wrong = lesson["gap_to_keras"]("adam", keras.optimizers.Adam(learning_rate=0.01), 0, learning_rate=0.01,
                                   bias_correction=False)
    assert wrong > 1e-2


def test_step3_adams_gap_with_exact_constants_is_kerass_float32_constants(lesson):
    """Exact float64 constants miss by more than 1e-6, by about the first step's factor; Keras' constants are float32."""
    import keras

    lesson["keras"] = keras
    constants = [keras.ops.convert_to_numpy(keras.ops.cast(c, "float64")).item() for c in (0.01, 0.9, 0.999)]
    assert constants == [float(np.float32(c)) for c in (0.01, 0.9, 0.999)]
    assert constants != [0.01, 0.9, 0.999]
    lr, b1, b2 = constants
    first = (lr * np.sqrt(1 - b2) / (1 - b1)) / (0.01 * np.sqrt(1 - 0.999) / (1 - 0.9))
    for seed in range(5):
        exact = lesson["gap_to_keras"]("adam", keras.optimizers.Adam(learning_rate=0.01), seed, learning_rate=0.01)
        assert 1e-6 < exact < 1e-5
        assert 0.5 < exact / (1 - first) < 2, "about the first step's change"
    # the rounding changes 1 - beta_2**t most at the first updates
    t = np.arange(1, 5001)
    change = np.abs(np.sqrt((1 - b2**t) / (1 - 0.999**t)) - 1)
    assert np.all(np.diff(change) < 0) and change[-1] < change[0] / 10
    # course_utils.Adam computes with the exact constants: the same gap to Keras as the lesson's default step
    rng, param, reference = np.random.default_rng(0), np.zeros(2), Adam(0.01)
    X, y = linear_regression(100, rng=0)
    weights, gap, size = keras.Variable(np.zeros(2), dtype="float64"), 0.0, 0.0
    adam = keras.optimizers.Adam(learning_rate=0.01)
    for _ in range(3):
        for batch in batch_indices(100, 10, rng=rng):
            gradient = gd.gradient(param, X[batch], y[batch])
            adam.apply_gradients([(keras.ops.convert_to_tensor(gradient), weights)])
            reference.apply([param], [gradient])
            gap = max(gap, np.abs(keras.ops.convert_to_numpy(weights) - param).max())
            size = max(size, np.abs(param).max())
    assert gap / size == pytest.approx(
        lesson["gap_to_keras"]("adam", keras.optimizers.Adam(learning_rate=0.01), 0, learning_rate=0.01), rel=1e-3)


def test_step4_velocity_is_the_weighted_sum_and_grows_to_ten_plain_steps(lesson):
    gradients = np.random.default_rng(1).normal(size=(50, 2))
    theta, velocity = np.zeros(2), np.zeros(2)
    for g in gradients:
        theta, velocity = lesson["momentum_step"](theta, velocity, g, 0.01)
    np.testing.assert_allclose(velocity, -0.01 * (0.9 ** np.arange(49, -1, -1)) @ gradients)
    velocity = np.zeros(1)
    for _ in range(200):
        _, velocity = lesson["momentum_step"](np.zeros(1), velocity, np.ones(1), 0.01)
    assert -velocity[0] / 0.01 == pytest.approx(10, rel=1e-6)


@pytest.mark.parametrize("rate", [0.01, 0.003])
def test_step5_momentum_hovers_farther_than_plain_at_the_same_rate_and_like_plain_at_ten_times_20_seeds(lesson, rate):
    hover = lesson["hover"]
    plain = np.array([hover(s, rate) for s in range(20)])
    momentum = np.array([hover(s, rate, 0.9) for s in range(20)])
    plain_10 = np.array([hover(s, 10 * rate) for s in range(20)])
    assert np.all(momentum > plain), "farther on every seed"
    assert momentum.mean() > 3 * plain.mean(), "several times farther"
    assert 0.7 < momentum.mean() / plain_10.mean() < 1.3, "about as far as plain SGD at ten times the rate"


def test_step6_adams_first_step_is_the_learning_rate_for_every_parameter(lesson):
    for seed in range(20):
        X, y = linear_regression(100, rng=seed)
        gradient = gd.gradient(np.zeros(2), 100 * X, y)
        first, _, _ = lesson["adam_step"](np.zeros(2), 0.0, 0.0, 1, gradient, learning_rate=0.001)
        np.testing.assert_allclose(np.abs(first), 0.001, rtol=1e-5)
        assert abs(gradient[1]) > 50 * abs(gradient[0])  # plain SGD's steps differ as much


def test_step7_uncorrected_steps_are_larger_by_the_formula_and_get_further_in_20_updates(lesson):
    adam_step = lesson["adam_step"]
    state = {True: (np.zeros(1), 0.0, 0.0), False: (np.zeros(1), 0.0, 0.0)}
    for t in range(1, 5001):
        steps = {}
        for on, (theta, m, v) in state.items():
            new, m, v = adam_step(theta, m, v, t, np.ones(1), bias_correction=on)
            steps[on], state[on] = (theta - new)[0], (new, m, v)
        ratio = steps[False] / steps[True]
        assert ratio == pytest.approx((1 - 0.9**t) / np.sqrt(1 - 0.999**t), rel=1e-6)
        assert ratio > 1
        if t in (1, 10):
            assert ratio == pytest.approx({1: 3.162, 10: 6.528}[t], abs=1e-3)
    assert ratio < 1.01
    for rate in (0.01, 0.1):
        ends = {on: np.array([lesson["adam_after"](s, rate, on) for s in range(20)]) for on in (True, False)}
        assert np.all(ends[False] < ends[True]), f"rate {rate}: uncorrected gets further on every seed"
