"""Lesson 06 (choose a batch size): its conclusions, asserted with the lesson's own code over its five seeds; then
what it must contain and the functions it builds, against course_utils.

The lesson's setup cell and the helper functions it defines (``last_updates_spread``, ``work_to_target``,
``stability_runs``, ``held_out_loss``) are taken from the notebook with ``ast`` and run here, so these tests
repeat the lesson's computations, which call ``course_utils.experiments.batch_size_study``. Expected values are derived or
stated as properties (orderings, ratios), never copied from the lesson's output.
"""

import ast
import re
import math
import tracemalloc

import numpy as np
import pytest

from course_utils import Dense, batch_indices
from course_utils.experiments import batch_size_study as study
from course_utils.reference import datasets
from notebook_reading import code_cells, code_of, function_from, lesson_path, markdown_of, read

LESSON = lesson_path(6)
HELPERS = ("last_updates_spread", "work_to_target", "stability_runs", "held_out_loss")
SIZES = (1, 4, 16, 64, 256, 1024)


@pytest.fixture(scope="module")
def lesson():
    """A namespace holding the lesson's setup (data, make_model, SEEDS, best_loss) and its helper functions."""
    sources = code_cells(LESSON)
    setup = next(source for source in sources if "def make_model" in source)
    namespace = {}
    exec(compile(setup.replace("import matplotlib.pyplot as plt", ""), "lesson 6 setup", "exec"), namespace)
    definitions = [node for source in sources for node in ast.parse(source).body
                   if isinstance(node, ast.FunctionDef) and node.name in HELPERS]
    assert sorted(node.name for node in definitions) == sorted(HELPERS), "the lesson should define its helpers"
    exec(compile(ast.Module(definitions, type_ignores=[]), "lesson 6 helpers", "exec"), namespace)
    namespace["target_loss"] = 1.01 * namespace["best_loss"]  # as in the lesson: within 1 % of the lowest loss
    assert len(namespace["SEEDS"]) >= 5
    return namespace


def test_the_lesson_uses_the_setup_these_tests_assume(lesson):
    source = LESSON.read_text()
    assert "target_loss = 1.01 * best_loss" in source
    for call in ("stability_runs(b, 0.4)", "stability_runs(1, learning_rate)", "for b in (4, 256):",
                 "study.linear_scaling(0.0004, 1)", "\\\"epochs\\\": 2", "\\\"max_updates\\\": 600"):
        assert call in source, f"lesson 6 should contain {call}"


@pytest.fixture(scope="module")
def lesson_20_seeds(lesson):
    """The lesson's namespace with SEEDS = range(20), for its "in every seed" claims."""
    wide = dict(lesson)
    wide["SEEDS"] = range(20)
    for name in HELPERS:  # rebind the helpers to the namespace with 20 seeds
        function = lesson[name]
        wide[name] = type(function)(function.__code__, wide, name, function.__defaults__)
    return wide


# --- step 4: the jagged batch loss is measurement noise -------------------------------------------------------------


@pytest.fixture(scope="module")
def spreads(lesson_20_seeds):
    """[batch-loss std, predicted std, std of the loss on all samples, ratio] per batch size and seed (20 seeds)."""
    lesson = lesson_20_seeds
    return {b: [lesson["last_updates_spread"](b, seed)[1] for seed in lesson["SEEDS"]] for b in (4, 256)}


@pytest.mark.parametrize("batch_size", [4, 256])
def test_batch_loss_spread_is_the_noise_of_scoring_b_samples(spreads, batch_size):
    for seed, (batch_std, predicted, full_std, ratio) in enumerate(spreads[batch_size]):
        assert batch_std == pytest.approx(predicted, rel=0.15), "the batch loss spreads as sampling predicts"
        assert ratio == pytest.approx(batch_std / full_std)
        assert ratio >= 50, f"the loss on all samples should spread at least 50x less (seed {seed}: {ratio:.0f}x)"


def test_small_batches_wander_a_little_more(spreads):
    for small, large in zip(spreads[4], spreads[256]):
        assert small[2] > large[2]


# --- step 6: work to the target ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_rate(lesson):
    return {b: lesson["work_to_target"](b, 0.01) for b in SIZES}


def test_with_one_learning_rate_every_batch_size_needs_about_the_same_updates(lesson, one_rate):
    full_batch = np.mean(one_rate[1024][0])
    for b, (updates, samples) in one_rate.items():
        assert not np.isnan(updates).any(), f"batch {b} should reach the target"
        assert np.mean(updates) == pytest.approx(full_batch, rel=0.1)
        np.testing.assert_array_equal(samples, updates * b)  # 1024 samples: every batch is full
    assert np.std(one_rate[1][0]) == max(np.std(updates) for updates, _ in one_rate.values()), "batch 1 spreads most"


def test_with_one_learning_rate_smaller_batches_need_fewer_sample_gradients_every_seed(one_rate):
    samples = np.array([one_rate[b][1] for b in SIZES])  # (batch sizes, seeds)
    assert np.all(np.diff(samples, axis=0) > 0)
    assert np.all(samples[0] < 1024), "batch 1 reaches the target within its first epoch"
    assert np.all(samples[-1] > 100 * samples[0]), "the full batch computes hundreds of times more"


def test_linear_scaling_keeps_sample_gradients_until_the_limit(lesson):
    rate = study.linear_scaling(0.0004, 1)
    work = {b: lesson["work_to_target"](b, rate(b)) for b in (4, 16, 64, 256, 1024)}
    means = {b: np.mean(samples) for b, (_, samples) in work.items()}
    assert max(means[b] for b in (4, 16, 64, 256)) < 1.05 * min(means[b] for b in (4, 16, 64, 256))
    updates = [np.mean(work[b][0]) for b in (4, 16, 64, 256, 1024)]
    assert all(a > b for a, b in zip(updates, updates[1:])), "fewer updates as the batch grows"
    assert means[1024] > 1.2 * means[256], "near the stability limit the rule stops saving work"
    assert means[1024] < 2 * means[4], "even near the limit the full batch needs under twice batch 4's work"


def test_one_rates_hundreds_fold_gap_is_the_untuned_rate_not_the_batch(lesson, one_rate):
    """Step 6: at 0.01 the full batch needs >100x batch 4's sample-gradients; 0.01 is far below its limit."""
    full_limit, _ = limits(lesson)
    assert np.mean(one_rate[1024][1]) > 100 * np.mean(one_rate[4][1])
    assert 0.01 < full_limit / 10, "0.01 is far below the full-batch stability limit"


# --- step 7: stability ---------------------------------------------------------------------------------------------


def limits(lesson):
    X, X1 = lesson["X"], lesson["X1"]
    full = 2 / np.linalg.eigvalsh(2 * X1.T @ X1 / len(X1)).max()
    return full, 1 / (1 + np.max(X[:, 0] ** 2))


def test_the_one_sample_bound_is_below_half_the_full_batch_limit_and_0_4_below_the_limit(lesson):
    full, one_sample = limits(lesson)
    assert one_sample < full / 2 and 0.4 < full
    assert study.linear_scaling(0.0004, 1)(1024) < full, "step 6's linear rule stays below the limit"


def test_one_sample_step_below_its_bound_never_overshoots(lesson):
    """A step on sample x multiplies the error along (x, 1) by 1 - 2 lr (x^2 + 1): |.| <= 1 below 1 / (1 + x^2)."""
    _, one_sample = limits(lesson)
    for x in lesson["X"][:, 0]:
        assert abs(1 - 2 * one_sample * (x**2 + 1)) <= 1 + 1e-12
    x = np.max(np.abs(lesson["X"][:, 0]))
    assert abs(1 - 2 * 0.4 * (x**2 + 1)) > 1, "at 0.4 the largest sample's step overshoots"


def test_at_0_4_batch_1_diverges_and_the_full_batch_reaches_the_lowest_loss(lesson_20_seeds):
    lesson = lesson_20_seeds
    best = lesson["best_loss"]
    assert len(lesson["stability_runs"](1, 0.4)) == 20
    assert all(run.diverged is not None for run in lesson["stability_runs"](1, 0.4))
    full_batch = lesson["stability_runs"](1024, 0.4)
    assert all(len(run.full_losses) == 1024 for run in full_batch)
    assert all(run.diverged is None and run.full_losses[-1] == pytest.approx(best, rel=1e-3) for run in full_batch)
    for b in (4, 16, 64):
        for run, full in zip(lesson["stability_runs"](b, 0.4), full_batch):
            assert run.diverged is None and run.full_losses[-1] > full.full_losses[-1]


def test_batch_1_does_not_diverge_at_the_one_sample_bound(lesson):
    assert all(run.diverged is None for run in lesson["stability_runs"](1, 0.2))


# --- step 8: held-out data -----------------------------------------------------------------------------------------


def held_out(lesson, **budget):
    return np.array([[lesson["held_out_loss"](b, seed, **budget) for seed in lesson["SEEDS"]] for b in SIZES])


def test_after_the_same_epochs_smaller_batches_do_better_on_held_out_data_every_seed(lesson):
    losses = held_out(lesson, epochs=2)
    assert np.all(np.diff(losses, axis=0) > 0)


def test_after_the_same_updates_batch_1_is_worst_on_average_and_the_rest_agree(lesson):
    losses = held_out(lesson, epochs=600, max_updates=600)
    means, stds = losses.mean(axis=1), losses.std(axis=1)
    assert means[0] == means.max() and stds[0] == stds.max()
    assert means[1:].max() - means[1:].min() < 0.1 * (means[0] - means[-1])


# --- steps 3, 5 and 10: updates per epoch, memory, gradient noise ---------------------------------------------------


def test_updates_per_epoch_are_n_over_b_rounded_up(lesson):
    runs = study.sweep(lesson["make_model"], lesson["X"], lesson["y"], loss="mse", batch_sizes=[1, 3, 1024],
                       learning_rate=0.01, epochs=1)
    assert [run.steps_per_epoch for run in runs] == [1024, math.ceil(1024 / 3), 1]


def test_seed_002_small_batches_use_less_memory_and_the_same_sample_gradients_per_epoch(lesson):
    """Step 5: one epoch of 1024 is 1024 sample-gradients at every b, in 1024/b updates; peak memory grows with b."""
    model = lesson["Dense"](3072, 10, activation="softmax", rng=0)
    images, labels = np.random.default_rng(0).random((1024, 3072)), np.arange(1024) % 10
    peaks = []
    for b in (1, 32, 256, 1024):
        batches = lesson["batch_indices"](1024, b, shuffle=False)
        assert sum(len(batch) for batch in batches) == 1024 and len(batches) == 1024 // b
        tracemalloc.start()
        model.loss_and_gradients(images[:b], labels[:b], "sparse_categorical_crossentropy")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks == sorted(peaks) and peaks[0] < peaks[-1] / 10


def test_working_memory_grows_linearly_with_the_batch(lesson):
    model = lesson["Dense"](3072, 10, activation="softmax", rng=0)
    images, labels = np.random.default_rng(0).random((1024, 3072)), np.arange(1024) % 10
    peaks = []
    for b in (256, 1024):
        tracemalloc.start()
        model.loss_and_gradients(images[:b], labels[:b], "sparse_categorical_crossentropy")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert 3 < peaks[1] / peaks[0] < 5


def test_gradient_noise_falls_as_one_over_sqrt_b_over_seeds(lesson):
    sizes = [1, 4, 16, 64, 256]
    for seed in lesson["SEEDS"]:
        noise = study.gradient_noise(lesson["make_model"](), lesson["X"], lesson["y"], loss="mse",
                                     batch_sizes=sizes, n_batches=200, rng=seed)
        assert np.polyfit(np.log(sizes), np.log(noise), 1)[0] == pytest.approx(-0.5, abs=0.1)


def test_in_the_explorer_at_0_4_batch_1_climbs_and_the_full_batch_falls(lesson):
    """The explorer's own training (course_utils.experiments.explorer.history_for) on the lesson's data, over seeds."""
    from course_utils.experiments.explorer import history_for as train

    X, y = lesson["X"], lesson["y"]
    for seed in lesson["SEEDS"]:
        small = train(X, y, loss="mse", activation="linear", batch_size=1, learning_rate=0.4, epochs=10, seed=seed)
        assert max(small.step_losses) > 1000 * small.step_losses[0], "orders of magnitude"
        full = train(X, y, loss="mse", activation="linear", batch_size=1024, learning_rate=0.4, epochs=10, seed=seed)
        assert np.all(np.diff(full.history["loss"]) < 0)


def test_the_lesson_opens_with_a_one_screen_answer_whose_lines_point_to_their_evidence():
    opening = read(LESSON).cells[0].source
    answer = opening.split("**In practice, in short.**", 1)[1].split("The source notes make", 1)[0]
    lines = [block for block in re.split(r"\n(?=\d\. )", answer) if re.match(r"\d\. ", block)]
    assert 4 <= len(lines) <= 8 and len(answer.splitlines()) <= 25, "one screen"
    steps = {int(n) for n in re.findall(r"\*\*Step (\d+)\. ", LESSON.read_text())}
    for line in lines:
        cited = [int(n) for n in re.findall(r"Step (\d+)", line)]
        assert cited or "lesson" in line, f"this line points to no evidence: {line}"
        assert all(n in steps for n in cited if "lesson" not in line), line


# --- what it must contain, and the functions it builds --------------------------------------------------------------


def test_lesson_6_contains_the_required_experiments():
    code, text = code_of(6), markdown_of(6)
    for needed in ("study.sweep(", "seconds_per_epoch", "study.train_steps(", "updates_to(", "sample_gradients_to(",
                   "study.linear_scaling(", "eigvalsh", "X_test", "timeit", "study.gradient_noise(",
                   "np.sqrt(noise_sizes)", "loglog", "tracemalloc", "step (update)", "full_losses", "batch_losses",
                   "explore_batch_size(X, y"):
        assert needed in code, f"lesson 6 should use {needed}"
    for needed in ("Goyal", "1/√b", "2 / λ_max", "held-out", "sample-gradients", "2ⁿ", "학습이 잘 되지만",
                   "무조건은 아니다", "불안정한 훈련", "exercises/ex06_batch_sizes"):
        assert needed in text, f"lesson 6 should say {needed}"
    assert "import keras" not in code  # the sweeps use the NumPy reference, to stay fast


def test_lesson_6_code_lines_fit_in_88_columns():
    for line in code_of(6).splitlines():
        assert len(line) <= 88, f"lesson 6 has a code line of {len(line)} columns: {line}"


def test_lesson_6_sgd_steps_agrees_with_the_package():
    namespace = {"np": np, "batch_indices": batch_indices, "make_model": lambda: Dense(1, rng=0)}
    sgd_steps = function_from(6, "sgd_steps", **namespace)
    X, y = datasets.linear_regression(300, rng=2)
    for batch_size, learning_rate, seed in ((1, 0.05, 0), (32, 0.1, 3), (100, 0.2, 4), (300, 0.3, 5)):
        batch_losses, full_losses = sgd_steps(X, y, batch_size, learning_rate, 3, np.random.default_rng(seed))
        run = study.train_steps(lambda: Dense(1, rng=0), X, y, loss="mse", batch_size=batch_size,
                                learning_rate=learning_rate, epochs=3, rng=seed)
        assert len(batch_losses) == 3 * -(-300 // batch_size) == len(run.full_losses)
        np.testing.assert_allclose(batch_losses, run.batch_losses, rtol=1e-10)
        np.testing.assert_allclose(full_losses, run.full_losses, rtol=1e-10)


def test_lesson_6_gradient_noise_at_agrees_with_the_package():
    gradient_noise_at = function_from(6, "gradient_noise_at", np=np, batch_indices=batch_indices)
    X, y = datasets.linear_regression(512, rng=0)
    for batch_size in (1, 8, 64):
        mine = gradient_noise_at(Dense(1, rng=0), X, y, batch_size, 40, np.random.default_rng(5))
        package = study.gradient_noise(Dense(1, rng=0), X, y, loss="mse", batch_sizes=[batch_size], n_batches=40, rng=5)
        assert mine == pytest.approx(package[0], rel=1e-12)
