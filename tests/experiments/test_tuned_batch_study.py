"""Lesson 6, Step 11: batch size on the digits network in Keras, each batch size with its tuned learning rate,
and the wall-time illustration beside its step counts.

The tests rerun ``course_utils.experiments.tuned_batch_study.tune`` with the lesson's settings (read from the notebook and
checked) on the lesson's five seeds, 0-4, and assert the Step's conclusions as properties: orderings, ratios
and bounds, not the printed numbers.
"""

import numpy as np
import pytest

from course_utils.experiments import tuned_batch_study as tuned
from notebook_reading import code_of, lesson_path, read

LESSON = lesson_path(6)
SEEDS = range(5)  # the lesson's SEEDS; its claims are about means over these seeds
RATES = [0.1, 0.3, 1.0]
MAX_UPDATES = 200


@pytest.fixture(scope="module")
def data():
    return tuned.digits_arrays()


@pytest.fixture(scope="module")
def study(data):
    (X, y), (X_test, y_test) = data
    sizes = [8, 32, 128, len(X)]
    return tuned.tune(X, y, X_test, y_test, batch_sizes=sizes, learning_rates=RATES, seeds=SEEDS,
                      target_accuracy=0.9, max_updates=MAX_UPDATES)


def test_the_lesson_runs_the_settings_these_tests_use():
    source = code_of(LESSON)
    assert "SEEDS = range(5)" in source
    for text in ("digit_sizes = [8, 32, 128, len(X_digits)]", "learning_rates=[0.1, 0.3, 1.0]",
                 "target_accuracy=0.9, max_updates=200", "seeds=SEEDS", "tuned.digits_arrays()"):
        assert text in source, f"lesson 6 should contain {text}"


def test_digits_arrays_are_the_shipped_split(data):
    (X, y), (X_test, y_test) = data
    assert X.shape == (1438, 64) and X_test.shape == (359, 64) and X.dtype == np.float32
    assert 0 <= X.min() and X.max() <= 1 and set(np.unique(y)) == set(range(10))


def test_one_rate_needs_about_the_same_steps_at_every_batch_size(study):
    one_rate = study.steps[:, 0]
    assert not np.isnan(one_rate).any(), "at 0.1 every batch size reaches the target in every seed"
    means = one_rate.mean(axis=1)
    assert means.max() / means.min() < 1.3
    samples = means * np.array(study.batch_sizes)
    assert samples[-1] / samples[0] > 100, "at one rate the full batch computes over 100x batch 8's samples"


def test_the_best_rate_grows_with_the_batch_far_less_than_linearly(study):
    rates = study.best_rates
    assert not np.isnan(rates).any()
    assert rates == sorted(rates) and rates[0] < rates[-1]
    assert rates[-1] / rates[0] < 0.1 * study.batch_sizes[-1] / study.batch_sizes[0]


def test_tuned_steps_fall_with_diminishing_returns_and_never_perfectly(study):
    sizes, means = np.array(study.batch_sizes), study.best_steps.mean(axis=1)
    assert not np.isnan(study.best_steps).any()
    falls, growth = means[:-1] / means[1:], sizes[1:] / sizes[:-1]
    assert np.all(falls > 1), "tuned, a bigger batch needs fewer steps"
    assert np.all(np.diff(falls) < 0), "each bigger batch cuts the steps by less"
    assert np.all(falls < growth / 2), "no pair comes within half of perfect scaling"
    assert means[0] / means[-1] > 3, "the full batch needs over 3x fewer steps than batch 8"


def test_tuned_the_smallest_batch_still_needs_the_fewest_samples_but_the_gap_shrinks(study):
    sizes = np.array(study.batch_sizes)
    tuned_samples = study.best_steps.mean(axis=1) * sizes
    one_rate_samples = study.steps[:, 0].mean(axis=1) * sizes
    assert np.all(np.diff(tuned_samples) > 0)
    ratio, untuned = tuned_samples[-1] / tuned_samples[0], one_rate_samples[-1] / one_rate_samples[0]
    assert 20 < ratio < untuned / 2


def test_the_critical_batch_size_on_the_grid_is_32(study):
    assert study.critical_batch_size() == 32
    samples = study.best_steps.mean(axis=1) * np.array(study.batch_sizes)
    assert samples[1] >= 2 * samples[0] and samples[0] == samples.min()


def test_a_rate_of_3_misses_the_target_at_every_batch_size(data):
    """Step 11: the full batch's best rate, 1.0, is not just the edge of the grid (the lesson's seeds)."""
    (X, y), (X_test, y_test) = data
    edge = tuned.tune(X, y, X_test, y_test, batch_sizes=[8, 32, 128, len(X)], learning_rates=[3.0],
                      seeds=SEEDS, target_accuracy=0.9, max_updates=MAX_UPDATES)
    assert np.isnan(edge.steps).all()


def test_a_run_repeats_exactly(data):
    (X, y), (X_test, y_test) = data
    runs = [tuned.steps_to_accuracy(X, y, X_test, y_test, batch_size=32, learning_rate=0.3, seed=3)
            for _ in range(2)]
    assert runs[0] == runs[1] is not None


@pytest.mark.parametrize("kwargs, error, argument", [
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 2000}, ValueError, "batch_size"),
    ({"batch_size": 8.0}, TypeError, "batch_size"),
    ({"learning_rate": -1.0}, ValueError, "learning_rate"),
    ({"seed": -1}, ValueError, "seed"),
    ({"target_accuracy": 1.5}, ValueError, "target_accuracy"),
    ({"max_updates": 0}, ValueError, "max_updates"),
    ({"max_updates": 10**6}, ValueError, "max_updates"),
])
def test_bad_input_to_steps_to_accuracy_names_the_argument(data, kwargs, error, argument):
    (X, y), (X_test, y_test) = data
    settings = {"batch_size": 8, "learning_rate": 0.3, "seed": 0, **kwargs}
    with pytest.raises(error, match=argument):
        tuned.steps_to_accuracy(X, y, X_test, y_test, **settings)


def test_bad_input_to_tune_names_the_argument(data):
    (X, y), (X_test, y_test) = data
    good = {"batch_sizes": [8], "learning_rates": [0.3], "seeds": [0]}
    for name, bad, error in (("batch_sizes", [], TypeError), ("batch_sizes", [5000], ValueError),
                             ("learning_rates", 0.3, TypeError), ("learning_rates", [0.0], ValueError),
                             ("seeds", "0", TypeError), ("seeds", [-2], ValueError)):
        with pytest.raises(error, match=name):
            tuned.tune(X, y, X_test, y_test, **{**good, name: bad})
    with pytest.raises(ValueError, match="X_test"):
        tuned.tune(X, y, X_test[:, :10], y_test, **good)
    with pytest.raises(ValueError, match="seed"):
        tuned.digits_network(-1)


def test_the_steps_text_states_what_the_computation_gives(study):
    """Every number in Step 11's discussion is the study's, as the lesson's table prints it."""
    cells = read(LESSON).cells
    text = next(c.source for c in cells if c.source.startswith("With one rate, 0.1, for every batch size"))
    sizes, means = np.array(study.batch_sizes), study.best_steps.mean(axis=1)
    fixed = study.steps[:, 0].mean(axis=1)
    stated = [f"{fixed.max() / fixed.min():.2f}×", f"{fixed[-1] * sizes[-1] / (fixed[0] * sizes[0]):.0f} times",
              f"{means[-1] * sizes[-1] / (means[0] * sizes[0]):.0f} times", f"{means[0] / means[-1]:.1f}× fewer"]
    stated += [f"{means[k] / means[k + 1]:.1f}× ({sizes[k]} → " for k in range(2)]
    stated += [f"only {means[2] / means[3]:.1f}× (128 → full)", f"grid is {study.critical_batch_size()}"]
    for words in stated:
        assert words in text, f"Step 11 should say {words!r}"
    assert study.best_rates == [0.3, 0.3, 1.0, 1.0], "the text names these best rates"


def test_table_rejects_a_bad_one_rate_index(study):
    with pytest.raises(ValueError, match="one_rate"):
        study.table(one_rate=3)
    with pytest.raises(TypeError, match="one_rate"):
        study.table(one_rate=0.5)


# --- Step 11's wall-time illustration: the structure of what it reports, never its seconds ----------------------

TIMED_SETTINGS = ("timed_sizes = [8, 128, len(X_digits)]",
                  "timed_rates = [tuned_runs.best_rates[digit_sizes.index(b)] for b in timed_sizes]",
                  "seed=0, target_accuracy=0.9, max_updates=200", "repeats=5", "print(timing.table())")


@pytest.fixture(scope="module")
def timing(data):
    (X, y), (X_test, y_test) = data
    return tuned.time_to_accuracy(X, y, X_test, y_test, batch_sizes=[8, 128, len(X)],
                                  learning_rates=[0.3, 1.0, 1.0], seed=0, target_accuracy=0.9,
                                  max_updates=MAX_UPDATES, repeats=5)


def test_the_lesson_times_these_settings_at_step_11s_best_rates(study, timing):
    source = code_of(LESSON)
    for text in TIMED_SETTINGS:
        assert text in source, f"lesson 6 should contain {text}"
    best = dict(zip(study.batch_sizes, study.best_rates))
    assert timing.learning_rates == [best[b] for b in timing.batch_sizes]


def test_the_reported_steps_are_the_first_that_reach_the_target(data, timing):
    (X, y), (X_test, y_test) = data
    for b, rate, steps in zip(timing.batch_sizes, timing.learning_rates, timing.steps):
        assert steps == tuned.steps_to_accuracy(X, y, X_test, y_test, batch_size=b, learning_rate=rate, seed=0,
                                                target_accuracy=0.9, max_updates=MAX_UPDATES)
        one_fewer = tuned.accuracy_after(X, y, X_test, y_test, batch_size=b, learning_rate=rate, seed=0,
                                         updates=steps - 1)
        assert one_fewer < 0.9  # one update fewer: not there yet
    # every timed repeat made those updates and reached the target, with the same accuracy
    assert np.all(timing.accuracies >= 0.9)
    assert np.all(timing.accuracies == timing.accuracies[:, :1])


def test_the_median_is_of_the_repeats_and_epochs_and_samples_follow_from_the_steps(data, timing):
    (X, _), _ = data
    assert timing.seconds.shape == (3, 5) and np.all(np.isfinite(timing.seconds)) and np.all(timing.seconds > 0)
    np.testing.assert_array_equal(timing.median_seconds, np.median(timing.seconds, axis=1))
    steps, sizes = np.array(timing.steps), np.array(timing.batch_sizes)
    np.testing.assert_allclose(timing.epochs, steps * sizes / len(X))
    table = timing.table().splitlines()
    assert "median s of 5" in table[0]
    for line, b, s, median in zip(table[1:], sizes, steps, timing.median_seconds):
        assert line.split()[:3] == [str(b), f"{timing.learning_rates[list(sizes).index(b)]:g}", str(s)]
        assert str(s * b) in line and f"{median:.3f}" in line


def test_the_lessons_conclusion_from_the_steps_holds_for_seed_0(timing):
    """For seed 0 too: the full batch needs the fewest steps, batch 8 the fewest samples and epochs."""
    steps, sizes = np.array(timing.steps), np.array(timing.batch_sizes)
    assert steps.argmin() == len(sizes) - 1
    assert (steps * sizes).argmin() == 0 and timing.epochs.argmin() == 0


def test_a_missed_target_is_reported_and_not_timed(data):
    (X, y), (X_test, y_test) = data
    missed = tuned.time_to_accuracy(X, y, X_test, y_test, batch_sizes=[8], learning_rates=[3.0],
                                    max_updates=MAX_UPDATES, repeats=3)
    assert missed.steps == [None] and np.isnan(missed.seconds).all() and np.isnan(missed.epochs).all()
    assert "did not reach 90%" in missed.table()


def test_bad_input_to_time_to_accuracy_names_the_argument(data):
    (X, y), (X_test, y_test) = data
    good = {"batch_sizes": [8], "learning_rates": [0.3]}
    for name, bad, error in (("learning_rates", [0.3, 1.0], ValueError), ("batch_sizes", [5000], ValueError),
                             ("repeats", 0, ValueError), ("repeats", 1.5, TypeError), ("seed", -1, ValueError)):
        with pytest.raises(error, match=name):
            tuned.time_to_accuracy(X, y, X_test, y_test, **{**good, name: bad})
