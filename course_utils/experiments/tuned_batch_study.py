"""Steps to a target accuracy against the batch size on a real network, each batch size with its own rate (lesson 6).

A small Keras network (64 pixels -> 32 ReLU units -> 10 logits) learns the digits
(``course_utils.reference.datasets.digits``, shipped with the course) with plain SGD.
``steps_to_accuracy`` trains it once and counts the updates until the accuracy on
the held-out images first reaches a target; ``tune`` repeats that over a grid of
learning rates for every batch size and over seeds, and picks for each batch size
the rate with the fewest mean steps (Shallue et al. 2018 tune the same way).
``time_to_accuracy`` then times, for a few batch sizes at their rates, the updates
to the target: the median of repeats, beside the steps and epochs (the times are
the machine's; the steps are the work).
Every run of one seed starts from the same weights (``keras.utils.set_random_seed``)
and shuffles with that seed; one compiled model is reused, so Keras traces its
training step once.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course_utils.reference import arguments, datasets
from course_utils.experiments import keras_tools  # first: imports Keras quietly

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

HIDDEN_UNITS = 32
"""Width of the network's hidden layer."""


def digits_arrays(rng=0) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The digits as flat float32 pixels: ``(X_train (1438, 64), y_train), (X_test (359, 64), y_test)``."""
    (X, y), (X_test, y_test) = datasets.digits(rng=rng)
    return ((X.reshape(len(X), -1).astype("float32"), y),
            (X_test.reshape(len(X_test), -1).astype("float32"), y_test))


def digits_network(seed: int) -> keras.Sequential:
    """``Input(64) -> Dense(32, relu) -> Dense(10)`` (logits) with weights drawn after ``set_random_seed(seed)``."""
    seed = arguments.positive_int("digits_network: seed", seed, minimum=0)
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((64,)), keras.layers.Dense(HIDDEN_UNITS, activation="relu"),
                             keras.layers.Dense(10)])


@functools.lru_cache(maxsize=1)
def _trainer() -> keras.Sequential:
    """One compiled network and SGD optimizer, reused by every run (its weights and rate are reset per run)."""
    model = digits_network(0)
    model.compile(optimizer=keras.optimizers.SGD(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


class _StopAtAccuracy(keras.callbacks.Callback):
    """After every update, scores the held-out images (NumPy forward pass) and stops once accuracy >= target."""

    def __init__(self, X_test, y_test, target_accuracy):
        super().__init__()
        self.X_test, self.y_test, self.target = X_test, y_test, target_accuracy
        self.steps, self.reached = 0, None

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        W1, b1, W2, b2 = (v.numpy() for v in self.model.weights)
        logits = np.maximum(self.X_test @ W1 + b1, 0) @ W2 + b2
        if np.mean(logits.argmax(axis=1) == self.y_test) >= self.target:
            self.reached = self.steps
            self.model.stop_training = True
        elif not np.isfinite(W2).all():  # diverged: no later update can recover
            self.model.stop_training = True


def _checked(fn, X, y, X_test, y_test, target_accuracy, max_updates):
    X, y = arguments.paired_arrays(X, y, fn, check_finite=True)
    X_test, y_test = arguments.paired_arrays(X_test, y_test, fn, check_finite=True)
    for name, array in (("X", X), ("X_test", X_test)):
        if array.ndim != 2 or array.shape[1] != 64:
            raise ValueError(f"{fn}: {name} must have shape (n_samples, 64) (flat 8x8 digits), got {array.shape}")
    target_accuracy = arguments.number_in(f"{fn}: target_accuracy", target_accuracy, 0, 1, closed_high=True)
    max_updates = arguments.positive_int(f"{fn}: max_updates", max_updates)
    if max_updates > keras_tools.MAX_KERAS_UPDATES:
        raise ValueError(f"{fn}: max_updates must be at most {keras_tools.MAX_KERAS_UPDATES} (Keras is slow per step), "
                         f"got {max_updates}")
    return X.astype("float32"), y, X_test.astype("float32"), y_test, target_accuracy, max_updates


def _fit(X, y, batch_size, learning_rate, seed, max_updates, callbacks) -> None:
    model = _trainer()
    model.set_weights(digits_network(seed).get_weights())
    model.optimizer.learning_rate = learning_rate
    model.optimizer.iterations.assign(0)
    keras.utils.set_random_seed(seed)
    data = (tf.data.Dataset.from_tensor_slices((X, y))
            .shuffle(len(X), seed=seed, reshuffle_each_iteration=True)  # a new order every epoch
            .batch(batch_size)  # the last partial batch is kept
            .repeat())
    model.fit(data, epochs=1, steps_per_epoch=max_updates, shuffle=False, verbose=0, callbacks=callbacks)


def steps_to_accuracy(X, y, X_test, y_test, *, batch_size: int, learning_rate: float, seed: int,
                      target_accuracy: float = 0.9, max_updates: int = 300) -> int | None:
    """Updates (steps) of plain SGD until the held-out accuracy first reaches ``target_accuracy``; None if not
    within ``max_updates``.

    X ``(n_samples, 64)``, y ``(n_samples,)`` integer labels 0-9; the same for the held-out X_test, y_test.
    """
    fn = "steps_to_accuracy"
    X, y, X_test, y_test, target_accuracy, max_updates = _checked(
        fn, X, y, X_test, y_test, target_accuracy, max_updates)
    batch_size, learning_rate, seed = _checked_run(fn, len(X), batch_size, learning_rate, seed)
    stop = _StopAtAccuracy(X_test, y_test, target_accuracy)
    _fit(X, y, batch_size, learning_rate, seed, max_updates, [stop])
    return stop.reached


def accuracy_after(X, y, X_test, y_test, *, batch_size: int, learning_rate: float, seed: int,
                   updates: int) -> float:
    """Held-out accuracy after exactly ``updates`` steps of the run ``steps_to_accuracy`` makes
    (the same network, order of batches and rate), e.g. to check that one step fewer falls short."""
    fn = "accuracy_after"
    X, y, X_test, y_test, _, updates = _checked(fn, X, y, X_test, y_test, 1, updates)
    batch_size, learning_rate, seed = _checked_run(fn, len(X), batch_size, learning_rate, seed)
    _fit(X, y, batch_size, learning_rate, seed, updates, [])
    return _held_out_accuracy(_trainer(), X_test, y_test)


def _checked_run(fn, n_samples, batch_size, learning_rate, seed) -> tuple[int, float, int]:
    batch_size = arguments.positive_int(f"{fn}: batch_size", batch_size)
    if batch_size > n_samples:
        raise ValueError(f"{fn}: batch_size must be <= n_samples={n_samples}, got {batch_size}")
    learning_rate = arguments.positive_float(f"{fn}: learning_rate", learning_rate)
    return batch_size, learning_rate, arguments.positive_int(f"{fn}: seed", seed, minimum=0)


@dataclass
class TunedSteps:
    """Steps to the target for every batch size, learning rate and seed, and the best rate of each batch size."""

    batch_sizes: list[int]
    learning_rates: list[float]
    seeds: list[int]
    steps: np.ndarray  # (batch sizes, learning rates, seeds); NaN where the target was not reached

    @property
    def mean_steps(self) -> np.ndarray:
        """Mean over seeds, ``(batch sizes, learning rates)``; inf where any seed missed the target."""
        return np.where(np.isnan(self.steps).any(axis=2), np.inf, np.nan_to_num(self.steps).mean(axis=2))

    @property
    def best_rates(self) -> list[float]:
        """For each batch size, the rate with the fewest mean steps (NaN if no rate reached it in every seed)."""
        best = self.mean_steps.argmin(axis=1)
        return [self.learning_rates[i] if np.isfinite(self.mean_steps[k, i]) else float("nan")
                for k, i in enumerate(best)]

    @property
    def best_steps(self) -> np.ndarray:
        """Steps at each batch size's best rate, ``(batch sizes, seeds)``."""
        return self.steps[np.arange(len(self.batch_sizes)), self.mean_steps.argmin(axis=1)]

    def table(self, one_rate: int = 0) -> str:
        """Mean ± std over seeds of the steps at ``learning_rates[one_rate]`` and at each size's best rate,
        how much each bigger batch cuts the tuned steps, the samples (steps x batch) and the critical batch."""
        one_rate = arguments.positive_int("TunedSteps.table: one_rate", one_rate, minimum=0)
        if one_rate >= len(self.learning_rates):
            raise ValueError(f"TunedSteps.table: one_rate must be an index < {len(self.learning_rates)}, "
                             f"got {one_rate}")
        sizes, fixed, best = np.array(self.batch_sizes), self.steps[:, one_rate], self.best_steps
        rate = self.learning_rates[one_rate]
        lines = [f"batch  steps at lr {rate:<4g}  best lr  steps at best lr  cut vs previous  samples to target"]
        for k, b in enumerate(sizes):
            cut = "" if k == 0 else f"{best[k - 1].mean() / best[k].mean():.1f}x for {b / sizes[k - 1]:.1f}x"
            lines.append(f"{b:5d}  {np.mean(fixed[k]):7.1f} ± {np.std(fixed[k]):4.1f}  {self.best_rates[k]:7.2f}  "
                         f"{best[k].mean():8.1f} ± {best[k].std():4.1f}  {cut:>15}  {best[k].mean() * b:17.0f}")
        means = {f"lr {rate:g}": np.mean(fixed, axis=1), "best lr": best.mean(axis=1)}
        fixed_means = means[f"lr {rate:g}"]
        lines.append(f"at lr {rate:g}, most / fewest mean steps: {fixed_means.max() / fixed_means.min():.2f}")
        for name, m in means.items():
            lines.append(f"at {name}: batch {sizes[-1]}'s samples / batch {sizes[0]}'s = "
                         f"{m[-1] * sizes[-1] / (m[0] * sizes[0]):.0f}; steps, batch {sizes[0]}'s / "
                         f"batch {sizes[-1]}'s = {m[0] / m[-1]:.1f}")
        lines.append(f"critical batch size (samples >= 2x the fewest on this grid): {self.critical_batch_size()}")
        return "\n".join(lines)

    def critical_batch_size(self) -> int | None:
        """Smallest batch size whose samples to the target (mean steps x batch size at its best rate) are >= twice
        the fewest (McCandlish et al. 2018, as lesson 8 finds it); None if no batch size of the grid is."""
        samples = self.best_steps.mean(axis=1) * np.array(self.batch_sizes)
        return next((b for b, s in zip(self.batch_sizes, samples) if s >= 2 * np.nanmin(samples)), None)


def _list(fn, name, values, check) -> list:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)) or not len(values):
        raise TypeError(f"{fn}: {name} must be a non-empty list, got {arguments.describe(values)}")
    return [check(f"{fn}: {name}", v) for v in values]


def _sizes_and_rates(fn: str, n_samples: int, batch_sizes, learning_rates) -> tuple[list[int], list[float]]:
    """The checked batch sizes (each at most ``n_samples``) and learning rates."""
    sizes = _list(fn, "batch_sizes", batch_sizes, arguments.positive_int)
    if max(sizes) > n_samples:
        raise ValueError(f"{fn}: batch_sizes must be <= n_samples={n_samples}, got {max(sizes)}")
    return sizes, _list(fn, "learning_rates", learning_rates, arguments.positive_float)


def tune(X, y, X_test, y_test, *, batch_sizes, learning_rates, seeds, target_accuracy: float = 0.9,
         max_updates: int = 300) -> TunedSteps:
    """``steps_to_accuracy`` for every batch size, learning rate and seed (the same rate grid for every size)."""
    fn = "tune"
    X, y, X_test, y_test, target_accuracy, max_updates = _checked(
        fn, X, y, X_test, y_test, target_accuracy, max_updates)
    sizes, rates = _sizes_and_rates(fn, len(X), batch_sizes, learning_rates)
    seeds = _list(fn, "seeds", seeds, lambda name, s: arguments.positive_int(name, s, minimum=0))
    steps = np.full((len(sizes), len(rates), len(seeds)), np.nan)
    for k, i, j in np.ndindex(steps.shape):
        b, rate, seed = sizes[k], rates[i], seeds[j]
        reached = steps_to_accuracy(X, y, X_test, y_test, batch_size=b, learning_rate=rate, seed=seed,
                                    target_accuracy=target_accuracy, max_updates=max_updates)
        steps[k, i, j] = np.nan if reached is None else reached
    return TunedSteps(sizes, rates, seeds, steps)



def _held_out_accuracy(model, X_test, y_test) -> float:
    """Accuracy of the network's current weights on the held-out images (NumPy forward pass)."""
    W1, b1, W2, b2 = (np.asarray(v.numpy()) for v in model.weights)
    logits = np.maximum(X_test @ W1 + b1, 0) @ W2 + b2
    return float(np.mean(logits.argmax(axis=1) == y_test))


class _Stopwatch(keras.callbacks.Callback):
    """Wall time from the start of the first update to the end of the last (not ``fit``'s start-up)."""

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.seconds = time.perf_counter() - self.start


@dataclass
class TimeToAccuracy:
    """Steps, epochs and wall time to a target accuracy, one learning rate per batch size, one seed.

    ``steps[k]`` is the first update at which batch ``batch_sizes[k]`` reached the target (None: not within
    ``max_updates``); ``seconds`` ``(batch sizes, repeats)`` is the wall time of exactly that many updates (from
    the first update's start to the last one's end: no scoring, no ``fit`` start-up); ``accuracies`` ``(batch sizes, repeats)`` the held-out accuracy
    after each timed run (NaN where nothing was timed).
    """

    batch_sizes: list[int]
    learning_rates: list[float]
    n_samples: int
    target_accuracy: float
    steps: list[int | None]
    seconds: np.ndarray
    accuracies: np.ndarray

    @property
    def median_seconds(self) -> np.ndarray:
        """Median wall time over the repeats, one per batch size (NaN where the target was missed)."""
        return np.median(self.seconds, axis=1)

    @property
    def epochs(self) -> np.ndarray:
        """Epochs to the target, ``steps * batch_size / n_samples`` (NaN where the target was missed)."""
        steps = np.array([np.nan if s is None else s for s in self.steps], dtype=float)
        return steps * np.array(self.batch_sizes) / self.n_samples

    def table(self) -> str:
        """One line per batch size: rate, steps, epochs, samples to the target, and the times."""
        lines = [f"batch  lr    steps  epochs  samples  median s of {self.seconds.shape[1]}  (fastest - slowest)"]
        for k, b in enumerate(self.batch_sizes):
            head = f"{b:5d}  {self.learning_rates[k]:<4g}"
            if self.steps[k] is None:
                lines.append(f"{head}  did not reach {self.target_accuracy:.0%}")
                continue
            times = self.seconds[k]
            lines.append(f"{head}  {self.steps[k]:5d}  {self.epochs[k]:6.2f}  {self.steps[k] * b:7d}  "
                         f"{self.median_seconds[k]:14.3f}  ({times.min():.3f} - {times.max():.3f})")
        return "\n".join(lines)


def time_to_accuracy(X, y, X_test, y_test, *, batch_sizes, learning_rates, seed: int = 0,
                     target_accuracy: float = 0.9, max_updates: int = 300, repeats: int = 3) -> TimeToAccuracy:
    """Steps to ``target_accuracy`` for each batch size at its own learning rate, then the wall time of
    training exactly that many steps, ``repeats`` times.

    ``learning_rates[k]`` goes with ``batch_sizes[k]``. Every run starts from ``seed``'s weights and shuffles
    with it, so a batch size's repeats make the same updates and reach the same accuracy; only their time
    varies. The repeats take turns over the batch sizes, so a slow spell of the machine hits all of them.
    X ``(n_samples, 64)``, y ``(n_samples,)``; the same for X_test, y_test.
    """
    fn = "time_to_accuracy"
    X, y, X_test, y_test, target_accuracy, max_updates = _checked(
        fn, X, y, X_test, y_test, target_accuracy, max_updates)
    sizes, rates = _sizes_and_rates(fn, len(X), batch_sizes, learning_rates)
    if len(rates) != len(sizes):
        raise ValueError(f"{fn}: learning_rates must have one rate per batch size ({len(sizes)}), got {len(rates)}")
    seed = arguments.positive_int(f"{fn}: seed", seed, minimum=0)
    repeats = arguments.positive_int(f"{fn}: repeats", repeats)
    steps = [steps_to_accuracy(X, y, X_test, y_test, batch_size=b, learning_rate=rate, seed=seed,
                               target_accuracy=target_accuracy, max_updates=max_updates)
             for b, rate in zip(sizes, rates)]
    seconds = np.full((len(sizes), repeats), np.nan)
    accuracies = np.full((len(sizes), repeats), np.nan)
    for r in range(repeats):
        for k, (b, rate) in enumerate(zip(sizes, rates)):
            if steps[k] is None:
                continue
            stopwatch = _Stopwatch()
            _fit(X, y, b, rate, seed, steps[k], [stopwatch])
            seconds[k, r] = stopwatch.seconds
            accuracies[k, r] = _held_out_accuracy(_trainer(), X_test, y_test)
    return TimeToAccuracy(sizes, rates, len(X), target_accuracy, steps, seconds, accuracies)
