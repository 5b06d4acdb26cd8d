"""course_utils.experiments.batch_size_study: gradient noise, timed training runs, sweeps, the linear scaling rule."""

import numpy as np
import pytest

from course_utils import SGD, Dense, fit
from course_utils.reference import datasets
from course_utils.experiments import batch_size_study as study


@pytest.fixture(scope="module")
def data():
    return datasets.linear_regression(256, rng=0)


def make_model():
    return Dense(1, rng=0)


def per_sample_spread(model, X, y):
    """mean ||g_i - g||^2 over samples: the variance of a one-sample gradient."""
    full = np.concatenate([g.ravel() for g in model.loss_and_gradients(X, y, "mse")[1]])
    singles = [np.concatenate([g.ravel() for g in model.loss_and_gradients(X[i : i + 1], y[i : i + 1], "mse")[1]])
               for i in range(len(X))]
    return np.mean([np.sum((g - full) ** 2) for g in singles])


# --- gradient_noise ------------------------------------------------------------------------------------------------


def test_gradient_noise_has_one_value_per_batch_size_and_falls_with_b(data):
    X, y = data
    noise = study.gradient_noise(make_model(), X, y, loss="mse", batch_sizes=[1, 4, 16, 64], n_batches=100, rng=0)
    assert noise.shape == (4,)
    assert np.all(noise > 0)
    assert np.all(np.diff(noise) < 0), f"noise should fall as the batch grows, got {noise}"


def test_gradient_noise_matches_sampling_theory(data):
    """Batches drawn without replacement from n samples: noise^2 = s^2 / b * (n - b) / (n - 1)."""
    X, y = data
    model = make_model()
    spread = per_sample_spread(model, X, y)
    sizes = [1, 8, 32]
    noise = study.gradient_noise(model, X, y, loss="mse", batch_sizes=sizes, n_batches=3000, rng=1)
    n = len(X)
    expected = np.sqrt([spread / b * (n - b) / (n - 1) for b in sizes])
    np.testing.assert_allclose(noise, expected, rtol=0.06)


def test_gradient_noise_is_zero_for_the_full_batch(data):
    X, y = data
    noise = study.gradient_noise(make_model(), X, y, loss="mse", batch_sizes=[len(X)], n_batches=3, rng=0)
    assert noise[0] == pytest.approx(0.0, abs=1e-9)


def test_gradient_noise_is_reproducible_and_leaves_the_model_alone(data):
    X, y = data
    model = make_model()
    before = model.get_weights()
    first = study.gradient_noise(model, X, y, loss="mse", batch_sizes=[2, 8], n_batches=50, rng=3)
    second = study.gradient_noise(model, X, y, loss="mse", batch_sizes=[2, 8], n_batches=50, rng=3)
    np.testing.assert_array_equal(first, second)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"batch_sizes": []}, TypeError, "batch_sizes"),
        ({"batch_sizes": 8}, TypeError, "batch_sizes"),
        ({"batch_sizes": [0]}, ValueError, "batch_sizes"),
        ({"batch_sizes": [2.5]}, TypeError, "batch_sizes"),
        ({"batch_sizes": [10_000]}, ValueError, "n_samples"),
        ({"batch_sizes": [4], "n_batches": 0}, ValueError, "n_batches"),
        ({"batch_sizes": [4], "loss": "hinge"}, ValueError, "loss"),
        ({"batch_sizes": [4], "rng": "seed"}, TypeError, "rng"),
    ],
)
def test_gradient_noise_rejects_bad_arguments(data, kwargs, error, words):
    X, y = data
    arguments = {"loss": "mse", "n_batches": 5} | kwargs
    with pytest.raises(error, match=words):
        study.gradient_noise(make_model(), X, y, **arguments)


# --- linear_scaling ------------------------------------------------------------------------------------------------


def test_linear_scaling_multiplies_the_rate_with_the_batch():
    rate = study.linear_scaling(0.1, 256)
    assert rate(256) == pytest.approx(0.1)
    assert rate(512) == pytest.approx(0.2)
    assert rate(32) == pytest.approx(0.0125)


@pytest.mark.parametrize("args, error", [((0, 32), ValueError), ((0.1, 0), ValueError), (("0.1", 32), TypeError)])
def test_linear_scaling_rejects_bad_arguments(args, error):
    with pytest.raises(error, match="base_"):
        study.linear_scaling(*args)


# --- train ---------------------------------------------------------------------------------------------------------


def test_train_records_one_loss_and_time_per_epoch(data):
    X, y = data
    run = study.train(make_model, X, y, loss="mse", batch_size=50, learning_rate=0.05, epochs=4)
    assert (run.batch_size, run.learning_rate, run.steps_per_epoch) == (50, 0.05, 6)  # ceil(256 / 50)
    assert len(run.losses) == len(run.epoch_seconds) == 4
    assert len(run.step_losses) == 4 * 6
    assert all(seconds > 0 for seconds in run.epoch_seconds)
    assert run.seconds_per_epoch == pytest.approx(np.median(run.epoch_seconds))
    assert run.diverged is None


def test_train_is_course_utils_fit_epoch_by_epoch(data):
    X, y = data
    run = study.train(make_model, X, y, loss="mse", batch_size=16, learning_rate=0.05, epochs=3, rng=7)
    model, optimizer, rng = make_model(), SGD(0.05), np.random.default_rng(7)
    expected_losses, expected_steps = [], []
    for _ in range(3):
        history = fit(model, X, y, loss="mse", optimizer=optimizer, batch_size=16, rng=rng, verbose=0)
        expected_steps += history.step_losses
        expected_losses.append(model.loss(X, y, "mse"))
    np.testing.assert_allclose(run.losses, expected_losses, rtol=1e-12)
    np.testing.assert_allclose(run.step_losses, expected_steps, rtol=1e-12)


def test_train_stops_at_the_target_and_reports_when(data):
    X, y = data
    run = study.train(make_model, X, y, loss="mse", batch_size=8, learning_rate=0.02, epochs=50, target_loss=1.5)
    reached = run.epochs_to(1.5)
    assert reached == len(run.losses) < 50
    assert run.losses[-1] <= 1.5 < min(run.losses[:-1], default=np.inf)
    assert run.steps_to(1.5) == reached * run.steps_per_epoch
    assert run.seconds_to(1.5) == pytest.approx(sum(run.epoch_seconds))
    assert run.epochs_to(1e-9) is None and run.steps_to(1e-9) is None and run.seconds_to(1e-9) is None


def test_train_catches_divergence_instead_of_raising(data):
    X, y = data
    run = study.train(make_model, X, y, loss="mse", batch_size=32, learning_rate=5.0, epochs=100)
    assert run.diverged is not None and "step" in run.diverged
    assert len(run.losses) < 100
    assert run.epochs_to(2.0) is None


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"make_model": "Dense"}, TypeError, "make_model"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"epochs": 1.5}, TypeError, "epochs"),
        ({"learning_rate": -1}, ValueError, "learning_rate"),
        ({"target_loss": 0}, ValueError, "target_loss"),
    ],
)
def test_train_rejects_bad_arguments(data, kwargs, error, words):
    X, y = data
    arguments = {"make_model": make_model, "loss": "mse", "batch_size": 8, "learning_rate": 0.01, "epochs": 1} | kwargs
    with pytest.raises(error, match=words):
        study.train(X=X, y=y, **arguments)


# --- sweep ---------------------------------------------------------------------------------------------------------


def test_sweep_runs_each_batch_size_from_the_same_start(data):
    X, y = data
    runs = study.sweep(make_model, X, y, loss="mse", batch_sizes=[256, 256, 64], learning_rate=0.05, epochs=2)
    assert [run.batch_size for run in runs] == [256, 256, 64]
    assert [run.steps_per_epoch for run in runs] == [1, 1, 4]
    assert runs[0].losses == runs[1].losses  # same weights, same shuffling seed


def test_sweep_takes_a_learning_rate_function(data):
    X, y = data
    runs = study.sweep(make_model, X, y, loss="mse", batch_sizes=[4, 16], learning_rate=study.linear_scaling(0.01, 4),
                       epochs=1)
    assert [run.learning_rate for run in runs] == pytest.approx([0.01, 0.04])


def test_linear_scaling_keeps_epochs_to_target_while_the_rate_is_small(data):
    X, y = data
    runs = study.sweep(make_model, X, y, loss="mse", batch_sizes=[1, 4, 16], learning_rate=study.linear_scaling(0.002, 1),
                       epochs=30, target_loss=1.2)
    epochs = [run.epochs_to(1.2) for run in runs]
    assert None not in epochs and max(epochs) - min(epochs) <= 1, epochs


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"learning_rate": "0.1"}, TypeError, "learning_rate"),
        ({"rng": np.random.default_rng(0)}, TypeError, "rng"),
        ({"batch_sizes": [1000]}, ValueError, "batch_sizes"),
    ],
)
def test_sweep_rejects_bad_arguments(data, kwargs, error, words):
    X, y = data
    arguments = {"loss": "mse", "batch_sizes": [8], "learning_rate": 0.01, "epochs": 1} | kwargs
    with pytest.raises(error, match=words):
        study.sweep(make_model, X, y, **arguments)


# --- train_steps ---------------------------------------------------------------------------------------------------


def test_train_steps_matches_fit_update_by_update(data):
    X, y = data
    run = study.train_steps(make_model, X, y, loss="mse", batch_size=50, learning_rate=0.05, epochs=3, rng=7)
    model = make_model()
    history = fit(model, X, y, loss="mse", optimizer=SGD(0.05), batch_size=50, epochs=3,
                  rng=np.random.default_rng(7), verbose=0)
    assert len(run.batch_losses) == len(run.full_losses) == 3 * 6  # ceil(256 / 50) = 6 updates per epoch
    assert run.batch_lengths == [50] * 5 + [6] + [50] * 5 + [6] + [50] * 5 + [6]  # the partial last batch is kept
    np.testing.assert_allclose(run.batch_losses, history.step_losses, rtol=1e-12)
    assert run.full_losses[-1] == pytest.approx(model.loss(X, y, "mse"), rel=1e-12)
    np.testing.assert_allclose(run.model.Wb, model.Wb, rtol=1e-12)
    assert run.diverged is None


def test_train_steps_counts_updates_and_sample_gradients_to_the_target_exactly(data):
    X, y = data
    run = study.train_steps(make_model, X, y, loss="mse", batch_size=50, learning_rate=0.05, epochs=50)
    target = 1.5
    k = run.updates_to(target)
    assert run.full_losses[k - 1] <= target < min(run.full_losses[: k - 1])
    assert run.sample_gradients_to(target) == sum(run.batch_lengths[:k])
    assert k % 6 != 0 or k == 0, "this target is reached inside an epoch, not at its end"
    stopped = study.train_steps(make_model, X, y, loss="mse", batch_size=50, learning_rate=0.05, epochs=50,
                                target_loss=target)
    assert len(stopped.full_losses) == k and stopped.full_losses == run.full_losses[:k]
    assert run.updates_to(1e-9) is None and run.sample_gradients_to(1e-9) is None


def test_train_steps_stops_after_max_updates(data):
    X, y = data
    run = study.train_steps(make_model, X, y, loss="mse", batch_size=16, learning_rate=0.01, epochs=100, max_updates=37)
    assert len(run.full_losses) == len(run.batch_lengths) == 37


def test_train_steps_reports_a_blown_up_run(data):
    X, y = data
    run = study.train_steps(make_model, X, y, loss="mse", batch_size=256, learning_rate=2.0, epochs=100)
    start = make_model().loss(X, y, "mse")
    assert run.diverged == len(run.full_losses) < 100
    assert run.full_losses[-1] > study.BLOWN_UP * start >= max(run.full_losses[:-1])


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"make_model": "Dense"}, TypeError, "make_model"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"learning_rate": 0}, ValueError, "learning_rate"),
        ({"epochs": 1.5}, TypeError, "epochs"),
        ({"max_updates": 0}, ValueError, "max_updates"),
        ({"target_loss": -1}, ValueError, "target_loss"),
        ({"epochs": 2 * 10**5}, ValueError, "epochs=200000 with 256 samples and batch_size=8 would make 6400000 updates"),
        ({"epochs": 10**5, "max_updates": 10**6 + 1}, ValueError, "(max_updates=1000001) would make 1000001 updates"),
        ({"make_model": lambda: "dense"}, TypeError, "make_model()"),
    ],
)
def test_train_steps_rejects_bad_arguments(data, kwargs, error, words):
    X, y = data
    arguments = {"make_model": make_model, "loss": "mse", "batch_size": 8, "learning_rate": 0.01, "epochs": 1} | kwargs
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        study.train_steps(X=X, y=y, **arguments)


def test_train_steps_refuses_more_loss_evaluations_than_its_compute_cap():
    X, y = datasets.linear_regression(5000, rng=0)  # 625 updates per epoch, each scoring all 5000 samples
    with pytest.raises(ValueError, match=r"updates \* n_samples must be at most 10\*\*9"):
        study.train_steps(make_model, X, y, loss="mse", batch_size=8, learning_rate=0.01, epochs=400)
