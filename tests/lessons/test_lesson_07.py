"""Lesson 07 (schedule the learning rate): its schedules against Keras 3, its bad-input errors, its shape,
and every conclusion it states, asserted over 5 seeds with the lesson's own code.

The lesson's code cells (all but the Keras and figure-only ones) are run in a namespace, once with the
lesson's seeds and once with five other seeds, so a claim that holds only for the lesson's seeds fails here.
"""

import contextlib
import io
import re

import matplotlib
import nbformat
import numpy as np
import pytest

from course_utils.reference import datasets
from course_utils.experiments import schedules
from course_utils import total_steps
from notebook_reading import code_cells, lesson_path, read

matplotlib.use("Agg")

LESSON = lesson_path(7)


@pytest.fixture(scope="module", params=["range(5)", "range(5, 10)"], ids=["lesson seeds", "other seeds"])
def lesson(request):
    """The namespace of the lesson's NumPy experiments, run with ``seeds = <param>``."""
    import matplotlib.pyplot as plt

    namespace = {}
    ran = 0
    for source in code_cells(LESSON):
        if "keras" in source or source.startswith("fig, ax"):  # Keras: tested below; figures: not claims
            continue
        assert "seeds = range(5)" in source or ran, "the first cell should set seeds = range(5)"
        with contextlib.redirect_stdout(io.StringIO()):
            exec(source.replace("seeds = range(5)", f"seeds = {request.param}"), namespace)
        ran += 1
    plt.close("all")
    return namespace


# --- shape -------------------------------------------------------------------------------------------------------


def test_lesson_is_committed_clean_and_short_lined():
    nb = read(LESSON)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {i} has outputs: strip them"
            long = [line for line in cell.source.splitlines() if len(line) > 88]
            assert not long, f"cell {i} has code lines over 88 columns: {long}"


def test_lesson_has_the_course_shape():
    cells = read(LESSON).cells
    assert 10 <= len(cells) <= 25
    assert cells[0].source.startswith("# Schedule the learning rate")
    assert "What you'll learn" in cells[0].source and "What you'll need" in cells[0].source
    assert cells[-1].source.startswith("## Summary") and "exercises/ex07_schedules/ex07_schedules.ipynb" in cells[-1].source
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    steps = [int(m) for m in re.findall(r"^\*\*Step (\d+)\. ", text, flags=re.M)]
    assert steps == list(range(1, 8)), steps
    for needed in ("최적해에 근접", "Goyal", "optimizer.iterations", "warmup", "√k"):
        assert needed in text


def test_every_figure_labels_both_axes_and_says_what_x_counts():
    figures = [s for s in code_cells(LESSON) if re.search(r"\.(plot|loglog|semilogy|scatter)\(", s)]
    assert len(figures) == 3
    for source in figures:
        assert "set_ylabel" in source
        xlabel = re.search(r"set_xlabel\(\"([^\"]+)\"", source).group(1)
        assert re.search(r"step|update|sample", xlabel), xlabel


def test_lesson_uses_keras_3_names_and_the_package():
    code = "\n".join(code_cells(LESSON))
    assert "tensorflow.keras" not in code and "keras.datasets" not in code
    for needed in ("ExponentialDecay(", "InverseTimeDecay(", "PiecewiseConstantDecay(", "CosineDecay(",
                   "warmup_target", "optimizer.iterations", "schedules.descend_seeds(", "study.linear_scaling(",
                   "schedules.sqrt_scaling("):
        assert needed in code, needed


# --- NumPy schedules against Keras 3 -----------------------------------------------------------------------------

CASES = [
    ("exponential_decay", "ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5)),
    ("exponential_decay", "ExponentialDecay",
     dict(initial_learning_rate=0.3, decay_steps=7, decay_rate=0.9, staircase=True)),
    ("exponential_decay", "ExponentialDecay", dict(initial_learning_rate=1e-3, decay_steps=50.5, decay_rate=0.96)),
    ("inverse_time_decay", "InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=1.0)),
    ("inverse_time_decay", "InverseTimeDecay",
     dict(initial_learning_rate=0.5, decay_steps=30, decay_rate=0.5, staircase=True)),
    ("piecewise_constant", "PiecewiseConstantDecay", dict(boundaries=[300, 600], values=[0.1, 0.05, 0.01])),
    ("piecewise_constant", "PiecewiseConstantDecay", dict(boundaries=[0, 1, 999], values=[1.0, 0.5, 0.25, 0.1])),
    ("cosine_decay", "CosineDecay", dict(initial_learning_rate=0.1, decay_steps=1000)),
    ("cosine_decay", "CosineDecay", dict(initial_learning_rate=0.1, decay_steps=700, alpha=0.1)),
    ("cosine_decay", "CosineDecay",
     dict(initial_learning_rate=0.0, decay_steps=1000, alpha=0.1, warmup_target=0.1, warmup_steps=200)),
    ("cosine_decay", "CosineDecay",
     dict(initial_learning_rate=0.01, decay_steps=500, warmup_target=0.2, warmup_steps=333)),
    ("cosine_decay", "CosineDecay",  # alpha=1.0: warmup then constant, as the lesson's warmup
     dict(initial_learning_rate=0.0, decay_steps=1, alpha=1.0, warmup_target=1.6, warmup_steps=8)),
]


@pytest.mark.parametrize("numpy_name, keras_name, settings", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_numpy_schedule_matches_keras_at_every_step(keras, numpy_name, keras_name, settings):
    steps = np.arange(0, 2001)  # past every decay_steps, warmup_steps and boundary above
    schedule = getattr(keras.optimizers.schedules, keras_name)(**settings)
    if "warmup_target" in settings:  # a branch (ops.cond) on the step: Keras evaluates it one step at a time
        theirs = keras.ops.convert_to_numpy(keras.ops.vectorized_map(schedule, steps))
    else:
        theirs = keras.ops.convert_to_numpy(schedule(steps))
    ours = getattr(schedules, numpy_name)(steps, **settings)
    assert ours.shape == steps.shape and ours.dtype == np.float64
    peak = np.abs(ours).max()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-6 * peak)  # float32 keeps ~7 digits
    for step in (0, 1, 299, 300, 301, 1000, 2000):  # a Python int step gives a float, the same value
        value = getattr(schedules, numpy_name)(step, **settings)
        assert isinstance(value, float) and value == ours[step]


def test_schedules_match_their_formulas():
    steps = np.arange(0, 500)
    np.testing.assert_allclose(
        schedules.exponential_decay(steps, initial_learning_rate=0.2, decay_steps=10, decay_rate=0.5),
        0.2 * 0.5 ** (steps / 10))
    np.testing.assert_allclose(
        schedules.inverse_time_decay(steps, initial_learning_rate=0.2, decay_steps=10, decay_rate=2.0),
        0.2 / (1 + 2 * steps / 10))
    assert schedules.piecewise_constant(np.array([0, 5, 6, 9, 10, 11]), boundaries=[5, 10],
                                        values=[3.0, 2.0, 1.0]).tolist() == [3, 3, 2, 2, 2, 1]
    warm = schedules.cosine_decay(steps, initial_learning_rate=0.0, decay_steps=1, alpha=1.0,
                                  warmup_target=0.8, warmup_steps=40)
    np.testing.assert_allclose(warm, np.minimum(steps / 40, 1) * 0.8)
    assert schedules.constant(np.arange(3), learning_rate=0.5).tolist() == [0.5] * 3


def test_keras_evaluates_the_schedule_at_optimizer_iterations_which_counts_steps(keras):
    """fit on 95 samples, batch 10, 3 epochs: 30 steps (a partial last batch each epoch)."""
    from course_utils.reference import datasets

    X, y = datasets.linear_regression(95, rng=1)
    halving = dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)
    seen = []

    class RateRecorder(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(float(self.model.optimizer.learning_rate))

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(**halving)),
                  loss="mse")
    model.fit(X, y, batch_size=10, epochs=3, verbose=0, callbacks=[RateRecorder()])
    iterations = int(model.optimizer.iterations)
    assert iterations == total_steps(95, 10, 3) == 30 == len(seen)
    np.testing.assert_allclose(seen, schedules.exponential_decay(np.arange(30), **halving), rtol=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(
        schedules.exponential_decay(iterations, **halving), rel=1e-6)


def test_the_update_at_step_t_uses_the_rate_at_t(keras):
    """A constant gradient of 1: after n updates w = -sum(rate(0 .. n-1)), in Keras and in descend."""
    settings = dict(initial_learning_rate=0.1, decay_steps=5, decay_rate=0.5)
    optimizer = keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(**settings))
    w = keras.Variable(np.zeros(1, dtype="float32"))
    for _ in range(12):
        optimizer.apply([keras.ops.ones(1)], [w])
    rates = schedules.exponential_decay(np.arange(12), **settings)
    assert float(w.numpy()[0]) == pytest.approx(-rates.sum(), rel=1e-6)
    # descend with x = 0, y = -1: the intercept's gradient is theta0 + 1, so theta0 + 1 = prod(1 - rate)
    path = schedules.descend(np.zeros(4), -np.ones(4), batch_size=4, steps=12,
                             learning_rate=lambda step: schedules.exponential_decay(step, **settings))
    np.testing.assert_allclose(path[1:, 0] + 1, np.cumprod(1 - rates))


# --- bad input ---------------------------------------------------------------------------------------------------

EXP = dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)


@pytest.mark.parametrize("call, error, message", [
    (lambda: schedules.exponential_decay(-1, **EXP), ValueError, r"exponential_decay: step must be a whole number >= 0.*got -1"),
    (lambda: schedules.exponential_decay(1.5, **EXP), TypeError, r"step must be a whole number >= 0.*got 1\.5 \(float\)"),
    (lambda: schedules.exponential_decay(True, **EXP), TypeError, r"step must be .*got True"),
    (lambda: schedules.exponential_decay("3", **EXP), TypeError, r"step must be an array of numbers.*'3'"),
    (lambda: schedules.exponential_decay(np.array([0.0, 1.0]), **EXP), TypeError, r"step must be .*dtype float64"),
    (lambda: schedules.exponential_decay(np.array([3, -2]), **EXP), ValueError, r"step must be .*holding -2"),
    (lambda: schedules.exponential_decay(1, initial_learning_rate=0, decay_steps=10, decay_rate=0.5),
     ValueError, r"exponential_decay: initial_learning_rate must be a finite number > 0, got 0"),
    (lambda: schedules.exponential_decay(1, initial_learning_rate="0.1", decay_steps=10, decay_rate=0.5),
     TypeError, r"initial_learning_rate must be a finite number > 0, got '0.1' \(str\)"),
    (lambda: schedules.exponential_decay(1, initial_learning_rate=0.1, decay_steps=0, decay_rate=0.5),
     ValueError, r"decay_steps must be a finite number > 0, got 0"),
    (lambda: schedules.exponential_decay(1, **EXP, staircase=1), TypeError, r"staircase must be True or False, got 1"),
    (lambda: schedules.inverse_time_decay(1, initial_learning_rate=0.1, decay_steps=10, decay_rate=-1),
     ValueError, r"inverse_time_decay: decay_rate must be a finite number >= 0, got -1"),
    (lambda: schedules.piecewise_constant(1, boundaries=[10, 5], values=[1.0, 0.5, 0.1]),
     ValueError, r"piecewise_constant: boundaries must be strictly increasing, got \[10, 5\]"),
    (lambda: schedules.piecewise_constant(1, boundaries=[10], values=[1.0]),
     ValueError, r"values must have one more entry than boundaries \(2\), got 1"),
    (lambda: schedules.piecewise_constant(1, boundaries=10, values=[1.0, 0.5]),
     TypeError, r"boundaries must be a non-empty list of numbers, got 10"),
    (lambda: schedules.piecewise_constant(1, boundaries=[10], values=[1.0, -0.5]),
     ValueError, r"values must be a finite number > 0, got -0.5"),
    (lambda: schedules.cosine_decay(1, initial_learning_rate=0.1, decay_steps=10, alpha=2),
     ValueError, r"cosine_decay: alpha must be in \[0, 1\], got 2"),
    (lambda: schedules.cosine_decay(1, initial_learning_rate=0.1, decay_steps=10, warmup_target=0),
     ValueError, r"warmup_target must be a finite number > 0, got 0"),
    (lambda: schedules.cosine_decay(1, initial_learning_rate=0.1, decay_steps=10, warmup_steps=-1),
     ValueError, r"warmup_steps must be a whole number >= 0, got -1"),
    (lambda: schedules.sqrt_scaling(0.01, 0), ValueError, r"sqrt_scaling: base_batch_size must be a whole number >= 1, got 0"),
    (lambda: schedules.sqrt_scaling(0.01, 4)(2.0), TypeError, r"sqrt_scaling\(...\): batch_size must be a whole number"),
])
def test_bad_input_names_the_argument_the_value_and_what_is_accepted(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_descend_rejects_bad_input():
    X, y = np.linspace(0, 2, 8), np.arange(8.0)
    good = dict(batch_size=2, learning_rate=0.1, steps=5)
    for change, error, message in [
        (dict(batch_size=9), ValueError, r"descend: batch_size must be at most n_samples=8, got 9"),
        (dict(steps=0), ValueError, r"descend: steps must be a whole number >= 1, got 0"),
        (dict(optimizer="rmsprop"), ValueError, r"optimizer must be 'sgd' or 'adam', got 'rmsprop'"),
        (dict(learning_rate="fast"), TypeError, r"learning_rate must be a number > 0 or a schedule.*'fast'"),
        (dict(learning_rate=-0.1), ValueError, r"learning_rate must be a finite number > 0, got -0.1"),
        (dict(learning_rate=lambda step: 2.0 - step), ValueError,
         r"learning_rate must be a finite number >= 0 at every step, got -1.0 at step 3"),
        (dict(theta=(1.0,)), ValueError, r"theta must be \[theta0, theta1\]"),
    ]:
        with pytest.raises(error, match=message):
            schedules.descend(X, y, **{**good, **change})
    with pytest.raises(TypeError, match=r"descend_seeds: seeds must be a non-empty list"):
        schedules.descend_seeds(X, y, seeds=[], **good)
    with pytest.raises(ValueError, match=r"excess_loss: path must have shape \(\.\.\., 2\)"):
        schedules.excess_loss(np.zeros((3, 3)), X, y)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_descend_makes_the_updates_of_course_utils_optimizers(optimizer):
    """Same batches, same schedule: descend's path is course_utils.SGD's / Adam's, update by update."""
    from course_utils import SGD, Adam
    from course_utils.reference import datasets, gd

    X, y = datasets.linear_regression(64, rng=2)

    def rate(step):
        return schedules.inverse_time_decay(step, initial_learning_rate=0.05, decay_steps=10, decay_rate=1.0)

    path = schedules.descend(X, y, batch_size=8, learning_rate=rate, steps=30, optimizer=optimizer, rng=4)
    rng = np.random.default_rng(4)
    batches = np.concatenate([rng.permutation(64) for _ in range(4)])[:240].reshape(30, 8)
    theta, reference = np.zeros(2), (SGD if optimizer == "sgd" else Adam)(0.05)
    for step, batch in enumerate(batches):
        reference.learning_rate = rate(step)  # as Keras: the schedule at the updates made so far
        reference.apply([theta], [gd.gradient(theta, X[batch], y[batch])])
        np.testing.assert_allclose(path[step + 1], theta, rtol=1e-12, atol=1e-12)
    assert reference.iterations == len(path) - 1


def test_descend_is_reproducible_and_marks_divergence_as_inf():
    X, y = np.linspace(0, 2, 64), np.linspace(4, 10, 64)
    one = schedules.descend(X, y, batch_size=8, learning_rate=0.1, steps=40, rng=3)
    assert one.shape == (41, 2) and np.array_equal(one, schedules.descend(X, y, batch_size=8, learning_rate=0.1,
                                                                        steps=40, rng=3))
    blown = schedules.descend(X, y, batch_size=64, learning_rate=50.0, steps=400)
    assert np.isinf(schedules.excess_loss(blown, X, y)[-1])


# --- the lesson's conclusions, over 5 seeds (twice: the lesson's seeds and five others) ---------------------------


def window(distance, t):
    """Mean distance over updates t-99 ... t, one per seed."""
    return distance[:, t - 99 : t + 1].mean(axis=1)


def test_constant_rate_hovers_and_decaying_rate_keeps_closing_in(lesson):
    constant, decaying = lesson["distance"]["constant 0.1"], lesson["distance"]["inverse-time decay"]
    assert constant.shape == decaying.shape == (5, 3001)
    hover = window(constant, 3000).mean() / window(constant, 1000).mean()
    assert 0.7 < hover < 1.3, f"constant rate: distance at 3000 / at 1000 = {hover:.2f}, expected about 1"
    assert window(decaying, 3000).mean() < 0.5 * window(decaying, 1000).mean()
    assert np.all(decaying[:, -1] < constant[:, -1]), "decay should end closer on every seed"
    assert np.all(window(decaying, 3000) < window(constant, 3000))


def test_linear_scaling_holds_at_small_k_and_breaks_at_large_k(lesson):
    runs, limit, linear, b0 = lesson["sgd_runs"], lesson["limit"], lesson["linear"], lesson["base_batch"]
    end = {k: e[:, -1] for k, e in runs.items()}
    base = end[1]
    for k in (2, 4):  # holds: the mean differs by less than one standard deviation of the seeds
        assert abs(end[k].mean() - base.mean()) < base.std(), k
    ratio = {k: end[k].mean() / base.mean() for k in end}
    assert ratio[32] > 2 * max(ratio[k] for k in (1, 2, 4, 8, 16)), ratio  # little at first, then sharply
    assert linear(b0 * 32) < limit < linear(b0 * 64)
    assert np.all(np.isfinite(end[32])) and np.all(end[32] < runs[32][:, 0])  # k = 32 still trains
    assert np.all(end[64] > runs[64][:, 0]), "k = 64 should diverge on every seed"
    curve_32, curve_1 = runs[32].mean(axis=0), runs[1].mean(axis=0)
    assert np.all(curve_32[1:] > curve_1[32::32]), "k = 32 lies above the base at the same samples"


def test_warmup_does_not_rescue_a_rate_past_the_limit(lesson):
    excess_after, warmup, b0 = lesson["excess_after"], lesson["warmup"], lesson["base_batch"]
    warm_64 = excess_after(b0 * 64, warmup(64))
    assert np.all(warm_64[:, -1] > warm_64[:, 0]), "warmup to a rate past the limit still diverges"
    assert np.all(warm_64[:, -1] < lesson["sgd_runs"][64][:, -1]), "warmup postpones: it ends less far out"
    cold_32, warm_32 = lesson["sgd_runs"][32][:, -1], excess_after(b0 * 32, warmup(32))[:, -1]
    assert abs(warm_32.mean() - cold_32.mean()) < cold_32.std()


def test_sqrt_scaling_holds_for_adam_near_the_optimum_and_linear_far_from_it(lesson):
    adam, ks = lesson["adam"], lesson["adam_ks"]
    assert ks == [1, 2, 4, 8, 16]
    near_base, far_base = adam["sqrt", 1][0].mean(), adam["sqrt", 1][1].mean()
    near = {rule: {k: adam[rule, k][0].mean() / near_base for k in ks} for rule in ("sqrt", "linear")}
    far = {rule: {k: adam[rule, k][1].mean() / far_base for k in ks} for rule in ("sqrt", "linear")}
    for k in ks:
        assert 1 / 2.5 < near["sqrt"][k] < 2.5, near
    for k in ks[1:]:
        assert near["linear"][k] > near["sqrt"][k], near
    for k in (8, 16):
        assert near["linear"][k] > 2, near
    for k in (2, 4, 8):
        assert far["linear"][k] < 1.5, far
    assert far["sqrt"][2] > 2 and all(far["sqrt"][a] < far["sqrt"][b] for a, b in zip(ks, ks[1:])), far


# --- "on every seed" claims, over 20 seeds with the lesson's settings ------------------------------------------------


def test_every_seed_claims_hold_on_20_seeds():
    """Step 2: decay ends closer than constant; Steps 5-6: k = 64 diverges, with and without warmup (20 seeds)."""
    X, y = datasets.linear_regression(100, rng=0)
    seeds = range(20)

    def decaying(step):
        return schedules.inverse_time_decay(step, initial_learning_rate=0.1, decay_steps=100, decay_rate=1.0)

    ends = {name: schedules.distance_to_optimum(
                schedules.descend_seeds(X, y, seeds=seeds, batch_size=1, learning_rate=rate, steps=3000), X, y)[:, -1]
            for name, rate in (("constant", 0.1), ("decay", decaying))}
    assert np.all(ends["decay"] < ends["constant"]), "decay should end closer on every one of 20 seeds"
    X_big, y_big = datasets.linear_regression(1024, rng=0)
    b, rate = 4 * 64, 0.025 * 64
    warm = lambda step: schedules.cosine_decay(  # noqa: E731
        step, initial_learning_rate=0.0, decay_steps=1, alpha=1.0, warmup_target=rate, warmup_steps=4096 // b // 2)
    for learning_rate in (rate, warm):
        paths = schedules.descend_seeds(X_big, y_big, seeds=seeds, batch_size=b, learning_rate=learning_rate,
                                        steps=4096 // b)
        e = schedules.excess_loss(paths, X_big, y_big)
        assert np.all(e[:, -1] > e[:, 0]), "k = 64 diverges on every one of 20 seeds"
