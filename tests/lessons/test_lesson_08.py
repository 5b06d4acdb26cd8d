"""Lesson 08: gradient accumulation, the global batch under MirroredStrategy, the noise scale and the critical batch.

Every conclusion the lesson states is asserted here with the functions the lesson calls (``course_utils.experiments.accumulation``,
``course_utils.experiments.noise_scale``, and the lesson's own ``train_keras``, taken from its cell with ``ast``), over several
seeds. The Keras checks run in one subprocess: logical devices must be set before TensorFlow starts.
"""

import ast
import json
import re
import subprocess
import sys
import textwrap

import nbformat
import numpy as np
import pytest

from course_utils.experiments import accumulation, noise_scale
from course_utils.reference import datasets, gd
from notebook_reading import ROOT, code_cells, lesson_path, read

LESSON = lesson_path(8)


# --- shape ---------------------------------------------------------------------------------------------------------


def test_lesson_is_clean_and_has_the_course_shape():
    nb = read(LESSON)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "strip the outputs of lesson 8"
    assert 10 <= len(nb.cells) <= 25
    opening, closing = nb.cells[0].source, nb.cells[-1].source
    assert opening.startswith("# ") and "What you'll learn" in opening and "What you'll need" in opening
    assert closing.startswith("## Summary") and "exercises/ex08_bigger_batches/ex08_bigger_batches.ipynb" in closing
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    steps = [int(m) for m in re.findall(r"^\*\*Step (\d+)\. ", text, flags=re.M)]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= 5, steps
    for name in ("McCandlish", "Shallue", "gradient_accumulation_steps", "drop_remainder", "steps_per_epoch"):
        assert name in text


def test_code_lines_fit_88_columns_and_figures_label_their_axes():
    for source in code_cells(LESSON):
        for line in source.splitlines():
            assert len(line) <= 88, f"line longer than 88 columns: {line}"
        if re.search(r"\.(plot|loglog|semilogy|scatter|errorbar)\(", source):
            assert "set_xlabel" in source and "set_ylabel" in source, source
    code = "\n".join(code_cells(LESSON))
    assert "tensorflow.keras" not in code and "keras.datasets" not in code


def test_the_first_code_cell_splits_the_cpu_before_anything_starts_tensorflow():
    first = code_cells(LESSON)[0]
    split_at = first.index("split_cpu(2)")
    for starter in ("import keras", "import tensorflow", "keras_tools"):
        assert starter not in first[:split_at], f"{starter} before split_cpu starts TensorFlow too early"


# --- NumPy accumulation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_samples, micro_batch_size", [(96, 32), (100, 32), (37, 5), (64, 1), (50, 50), (10, 64)])
def test_size_weighted_accumulation_equals_the_big_batch_step(seed, n_samples, micro_batch_size):
    X, y = datasets.linear_regression(n_samples, rng=seed)
    theta = np.random.default_rng(seed).normal(size=2)
    big = theta - 0.1 * gd.gradient(theta, X, y)
    assert np.allclose(accumulation.big_batch_step(theta, X, y, learning_rate=0.1), big, rtol=0, atol=1e-12)
    step = accumulation.accumulation_step(theta, X, y, micro_batch_size, learning_rate=0.1)
    assert np.abs(step - big).max() <= 1e-6
    sizes = accumulation.micro_batch_sizes(n_samples, micro_batch_size)
    assert sum(sizes) == n_samples and all(s == micro_batch_size for s in sizes[:-1])
    equal = accumulation.accumulation_step(theta, X, y, micro_batch_size, learning_rate=0.1, weighting="equal")
    if len(set(sizes)) == 1:  # equal micro-batches: equal weights are the size weights
        assert np.abs(equal - big).max() <= 1e-6
    else:  # a smaller last micro-batch: 1/k weights move away from the big batch
        assert np.abs(equal - big).max() > 1e-6


def test_micro_batch_weights_are_shares_of_the_samples():
    assert np.allclose(accumulation.micro_batch_weights([32, 32, 32, 4]), [0.32, 0.32, 0.32, 0.04])
    assert np.allclose(accumulation.micro_batch_weights([32, 32, 32, 4], weighting="equal"), 0.25)
    assert accumulation.micro_batch_sizes(100, 32) == [32, 32, 32, 4]


# --- Keras: gradient_accumulation_steps and MirroredStrategy, in one fresh process -------------------------------------
# Logical devices must be set before TensorFlow starts, so all Keras checks run in one subprocess (one TensorFlow
# start-up instead of two). It runs the lesson's own WeightsAfterEachBatch and train_keras and prints what it saw.

KERAS_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    from course_utils.experiments import accumulation
    from course_utils.reference import datasets
    facts = {"devices": accumulation.split_cpu(2), "devices_again": accumulation.split_cpu(2)}
    import keras
    import tensorflow as tf
    from course_utils.experiments.keras_tools import StepCounter
    try:
        accumulation.split_cpu(3)
        facts["split_3_error"] = None
    except RuntimeError as error:
        facts["split_3_error"] = str(error)
    exec(LESSON_DEFINITIONS)

    for seed in (0, 3):  # accumulation: 96 samples, 3 micro-batches of 32, against one batch of 96
        X, y = datasets.linear_regression(96, rng=seed)
        X, y = X.astype("float32"), y.astype("float32")
        _, big = train_keras(X, y, batch_size=96, epochs=2)
        _, acc = train_keras(X, y, batch_size=32, epochs=2, accumulation_steps=3)
        previous = [acc.start] + acc.weights[:-1]
        facts[f"accumulation_{seed}"] = {
            "batch_calls": len(acc.weights), "iterations": acc.iterations, "big_iterations": big.iterations,
            "changed": [bool(np.any(now != before)) for now, before in zip(acc.weights, previous)],
            "gaps": [float(np.abs(acc.weights[3 * u - 1] - big.weights[u - 1]).max()) for u in (1, 2)]}

    X, y = datasets.linear_regression(100, rng=0)  # an uneven last micro-batch: 32, 32, 32, 4
    _, run = train_keras(X.astype("float32"), y.astype("float32"), batch_size=32, epochs=1,
                         accumulation_steps=4)
    facts["uneven"] = {"start": run.start[::-1].tolist(), "end": run.weights[-1][::-1].tolist()}

    X, y = X.astype("float32"), y.astype("float32")
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    facts["replicas"] = strategy.num_replicas_in_sync
    def build():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
        return model
    with strategy.scope():
        mirrored = build()
    single = build()
    counter = StepCounter()
    mirrored.fit(X, y, batch_size=32, epochs=2, shuffle=False, verbose=0, callbacks=[counter])
    facts["global_steps"] = counter.steps_per_epoch
    facts["global_iterations"] = int(mirrored.optimizer.iterations.numpy())
    single.fit(X, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    facts["replica_gap"] = float(max(np.abs(a - b).max() for a, b in zip(single.get_weights(),
                                                                         mirrored.get_weights())))
    batches = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((X, y)).batch(32))
    facts["shares"] = [[int(t.shape[0]) for t in strategy.experimental_local_results(xb)] for xb, _ in batches]
    for data_seed in (0, 1):  # even (100) and uneven (99: [2, 1]; 97: [1, 0]) last batches, the lesson's helpers
        X64, y64 = datasets.linear_regression(100, rng=data_seed)
        for n in (100, 99, 97):
            Xn, yn = X64[:n].astype("float32"), y64[:n].astype("float32")
            with strategy.scope():
                two = build()
            one = build()
            start = np.concatenate([w.ravel() for w in two.get_weights()])[::-1]
            for model in (one, two):
                model.fit(Xn, yn, batch_size=32, epochs=2, shuffle=False, verbose=0)
            one_w, two_w = [np.concatenate([w.ravel() for w in m.get_weights()])[::-1] for m in (one, two)]
            shares = shares_of(Xn, yn)
            replayed = replay(start, X64[:n], y64[:n], shares)
            facts[f"mirrored_{data_seed}_{n}"] = {
                "last_shares": shares[-1], "gap_one_two": float(np.abs(one_w - two_w).max()),
                "gap_two_numpy": float(np.abs(two_w - replayed).max())}
    counter = StepCounter()
    dropped = tf.data.Dataset.from_tensor_slices((X, y)).batch(32, drop_remainder=True)
    mirrored.fit(dropped, epochs=2, shuffle=False, verbose=0, callbacks=[counter])
    facts["drop_remainder_steps"] = counter.steps_per_epoch
    counter = StepCounter()
    mirrored.fit(X, y, batch_size=32, steps_per_epoch=2, epochs=2, shuffle=False, verbose=0, callbacks=[counter])
    facts["steps_per_epoch_steps"] = counter.steps_per_epoch
    print("FACTS", json.dumps(facts))
    """
)


def lesson_definitions_source(names):
    """The source of the named function and class definitions of the lesson's code cells."""
    found = {}
    for source in code_cells(LESSON):
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
                found[node.name] = ast.get_source_segment(source, node)
    assert set(found) == set(names), f"lesson 8 defines no {set(names) - set(found)}"
    return "\n\n".join(found[name] for name in names)


@pytest.fixture(scope="module")
def keras_facts():
    definitions = lesson_definitions_source(["WeightsAfterEachBatch", "train_keras", "shares_of", "replay"])
    script = f"LESSON_DEFINITIONS = {definitions!r}\n" + KERAS_SCRIPT
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    lines = [line for line in result.stdout.splitlines() if line.startswith("FACTS ")]
    assert result.returncode == 0 and lines, result.stderr[-3000:]
    return json.loads(lines[-1][len("FACTS "):])


def test_split_cpu_makes_two_devices_once_and_refuses_a_change_after_start(keras_facts):
    assert keras_facts["devices"] == keras_facts["devices_again"] == ["/device:CPU:0", "/device:CPU:1"]
    error = keras_facts["split_3_error"]
    assert error and "restart the kernel" in error and "n_devices=3" in error


@pytest.mark.parametrize("seed", [0, 3])
def test_keras_accumulation_equals_the_big_batch_and_iterations_count_updates(keras_facts, seed):
    facts = keras_facts[f"accumulation_{seed}"]
    assert facts["batch_calls"] == 6  # the callbacks still run after every batch
    assert facts["iterations"] == [0, 0, 1, 1, 1, 2] and facts["big_iterations"] == [1, 2]
    assert facts["changed"] == [False, False, True, False, False, True]
    assert max(facts["gaps"]) <= 1e-6


def test_keras_weights_an_uneven_last_micro_batch_equally(keras_facts):
    X, y = datasets.linear_regression(100, rng=0)
    start, end = np.array(keras_facts["uneven"]["start"]), np.array(keras_facts["uneven"]["end"])
    # Keras' "mse" is 2 J, so its learning_rate 0.05 is 0.1 on seed 004's J.
    equal = accumulation.accumulation_step(start, X, y, 32, learning_rate=0.1, weighting="equal")
    size = accumulation.accumulation_step(start, X, y, 32, learning_rate=0.1, weighting="size")
    assert np.abs(end - equal).max() <= 1e-6
    assert np.abs(end - size).max() > 1e-3


def test_mirrored_batch_size_is_the_global_batch_and_makes_the_one_device_update(keras_facts):
    assert keras_facts["replicas"] == 2
    assert keras_facts["global_steps"] == [4, 4] and keras_facts["global_iterations"] == 8
    assert keras_facts["shares"] == [[16, 16], [16, 16], [16, 16], [2, 2]]
    assert keras_facts["replica_gap"] <= 1e-6


@pytest.mark.parametrize("data_seed", [0, 1])
def test_mirrored_matches_one_device_only_when_every_batch_splits_evenly(keras_facts, data_seed):
    """Lesson 8, Step 5: Keras averages the replicas' mean gradients with equal weights."""
    facts = {n: keras_facts[f"mirrored_{data_seed}_{n}"] for n in (100, 99, 97)}
    assert [facts[n]["last_shares"] for n in (100, 99, 97)] == [[2, 2], [2, 1], [1, 0]]
    assert facts[100]["gap_one_two"] <= 1e-6  # even split: the global batch's mean
    assert facts[99]["gap_one_two"] > 1e-2 and facts[97]["gap_one_two"] > 1e-2  # uneven: not
    for n in (100, 99, 97):  # the lesson's NumPy replay of the equal-weight rule matches the two replicas
        assert facts[n]["gap_two_numpy"] <= 1e-5, (n, facts[n])


def test_replica_step_weights_replicas_equally_and_checks_its_shares():
    X, y = datasets.linear_regression(7, rng=0)
    theta = np.array([0.3, -0.2])
    even = accumulation.replica_step(theta, X[:6], y[:6], [3, 3], learning_rate=0.1)
    assert np.allclose(even, accumulation.big_batch_step(theta, X[:6], y[:6], learning_rate=0.1))
    uneven = accumulation.replica_step(theta, X[:3], y[:3], [2, 1], learning_rate=0.1)
    expected = theta - 0.1 * (gd.gradient(theta, X[:2], y[:2]) + gd.gradient(theta, X[2:3], y[2:3])) / 2
    assert np.allclose(uneven, expected)
    half = accumulation.replica_step(theta, X[:1], y[:1], [1, 0], learning_rate=0.1)
    assert np.allclose(half, theta - 0.05 * gd.gradient(theta, X[:1], y[:1]))
    with pytest.raises(ValueError, match="shares must sum"):
        accumulation.replica_step(theta, X[:3], y[:3], [2, 2], learning_rate=0.1)
    with pytest.raises(ValueError, match="shares\\[1\\]"):
        accumulation.replica_step(theta, X[:3], y[:3], [4, -1], learning_rate=0.1)


def test_drop_remainder_and_steps_per_epoch_change_the_step_count(keras_facts):
    assert keras_facts["drop_remainder_steps"] == [3, 3]
    assert keras_facts["steps_per_epoch_steps"] == [2, 2]


# --- the noise scale and the critical batch -------------------------------------------------------------------------


def lesson_problem():
    """The lesson's Step 7 problem: 10 tabular features, a target a linear model fits exactly."""
    (features, _), _ = datasets.tabular_binary(n_train=2048, n_test=10, rng=0)
    return features, features @ np.random.default_rng(1).normal(size=10)


@pytest.fixture(scope="module")
def studies():
    X, y = lesson_problem()
    target_loss = 1e-3 * noise_scale.cost(np.zeros(10), X, y)
    return [noise_scale.batch_size_study(X, y, 2 ** np.arange(10), 2.0 ** (-np.arange(9) / 2), target_loss,
                                         seeds=seeds, max_steps=400)
            for seeds in (range(5), range(5, 10))]


def test_b_simple_stays_about_11_through_training():
    X, y = lesson_problem()
    theta = np.zeros(10)
    for _ in range(31):
        assert 10.5 <= noise_scale.simple_noise_scale(theta, X, y) <= 12.5
        theta = theta - 0.5 * noise_scale.per_sample_gradients(theta, X, y).mean(axis=0)


def test_at_b_simple_the_batch_noise_is_as_large_as_the_gradient():
    X, y = lesson_problem()
    theta = np.zeros(10)
    full = noise_scale.per_sample_gradients(theta, X, y).mean(axis=0)
    b = round(noise_scale.simple_noise_scale(theta, X, y))
    rng = np.random.default_rng(0)
    gradients = noise_scale.per_sample_gradients(theta, X, y)
    noise = [np.sum((gradients[rng.integers(0, len(X), b)].mean(axis=0) - full) ** 2) for _ in range(4000)]
    assert np.mean(noise) / (full @ full) == pytest.approx(noise_scale.simple_noise_scale(theta, X, y) / b, rel=0.1)


def test_steps_nearly_halve_below_b_simple_and_barely_fall_above(studies):
    for study in studies:  # 5 seeds each
        steps = dict(zip(study.batch_sizes.tolist(), study.mean_steps))
        assert steps[1] / steps[8] > 4, steps  # perfect scaling would be 8
        assert steps[64] / steps[512] < 3, steps  # perfect scaling would be 8


def test_the_critical_batch_lies_between_b_simple_and_four_times_it(studies):
    X, y = lesson_problem()
    b_simple = noise_scale.simple_noise_scale(np.zeros(10), X, y)
    for study in studies:
        assert b_simple <= study.bend() <= 4 * b_simple, (study.bend(), b_simple)
        assert study.samples[study.batch_sizes.tolist().index(study.bend())] >= 2 * study.samples.min()


def test_steps_to_target_is_reproducible_and_reports_divergence():
    X, y = lesson_problem()
    target = 1e-3 * noise_scale.cost(np.zeros(10), X, y)
    first = noise_scale.steps_to_target(X, y, 4, [0.25, 8.0], target, rng=3, max_steps=300)
    again = noise_scale.steps_to_target(X, y, 4, [0.25, 8.0], target, rng=3, max_steps=300)
    assert np.array_equal(first, again) and np.isfinite(first[0]) and first[1] == np.inf


# --- bad input ------------------------------------------------------------------------------------------------------


X_OK, Y_OK = datasets.linear_regression(10, rng=0)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: accumulation.micro_batch_sizes(0, 3), ValueError, ["n_samples", "0", ">= 1"]),
        (lambda: accumulation.micro_batch_sizes(10, 2.0), TypeError, ["micro_batch_size", "2.0", "whole number"]),
        (lambda: accumulation.micro_batch_weights([]), TypeError, ["sizes", "non-empty"]),
        (lambda: accumulation.micro_batch_weights([3, 0]), ValueError, ["sizes[1]", "0", ">= 1"]),
        (lambda: accumulation.micro_batch_weights([3], weighting="sum"), ValueError, ["weighting", "'sum'", "'size'"]),
        (lambda: accumulation.accumulated_gradient([0, 0], X_OK, Y_OK, 3, weighting=1), TypeError, ["weighting", "1"]),
        (lambda: accumulation.accumulated_gradient([0, 0], X_OK, Y_OK[:5], 3), ValueError, ["same number", "10", "5"]),
        (lambda: accumulation.accumulation_step([0, 0], X_OK, Y_OK, 3, learning_rate=-1), ValueError,
         ["learning_rate", "-1", "> 0"]),
        (lambda: accumulation.accumulation_step([0, 0, 0], X_OK, Y_OK, 3, learning_rate=0.1), ValueError,
         ["accumulation_step: theta", "(2,)", "(3,)"]),
        (lambda: accumulation.accumulation_step("ab", X_OK, Y_OK, 3, learning_rate=0.1), TypeError,
         ["accumulation_step: theta", "'ab'"]),
        (lambda: accumulation.big_batch_step([0, 0], np.ones((10, 2)), Y_OK, learning_rate=0.1), ValueError,
         ["big_batch_step: X", "(m, 1)", "(10, 2)"]),
        (lambda: accumulation.split_cpu(0), ValueError, ["n_devices", "0", ">= 1"]),
        (lambda: noise_scale.simple_noise_scale(np.zeros(3), np.eye(3), np.zeros(3)), ValueError, ["zero", "minimum"]),
        (lambda: noise_scale.cost(np.zeros(2), np.eye(3), np.zeros(3)), ValueError, ["theta", "(3,)", "(2,)"]),
        (lambda: noise_scale.steps_to_target(np.eye(3), np.ones(3), 2, [], 0.1), ValueError, ["learning_rates"]),
        (lambda: noise_scale.steps_to_target(np.eye(3), np.ones(3), 2, [-1.0], 0.1), ValueError, ["learning_rates"]),
        (lambda: noise_scale.steps_to_target(np.eye(3), np.ones(3), 0, [0.1], 0.1), ValueError, ["batch_size", "0"]),
        (lambda: noise_scale.steps_to_target(np.eye(3), np.ones(3), 2, [0.1], 0), ValueError, ["target_loss", "0"]),
        (lambda: noise_scale.batch_size_study(np.eye(3), np.ones(3), [1], [0.1], 0.1, seeds=[0]), ValueError,
         ["two seeds"]),
        (lambda: noise_scale.batch_size_study(np.eye(3), np.ones(3), [1], [1e-9], 0.1, max_steps=3), ValueError,
         ["never reached", "max_steps=3"]),
    ],
)
def test_bad_input_names_the_argument_the_value_and_what_is_accepted(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {info.value}"
