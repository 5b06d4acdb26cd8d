"""Small Keras helpers the lessons and tests share. Importing this module imports Keras."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402


class StepCounter(keras.callbacks.Callback):
    """Counts the updates Keras makes: ``on_train_batch_end`` calls, in total and per epoch."""

    def __init__(self):
        super().__init__()
        self.steps = 0
        self.steps_per_epoch: list[int] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.steps_per_epoch.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        self.steps_per_epoch[-1] += 1


class BatchLossRecorder(keras.callbacks.Callback):
    """Records ``logs["loss"]`` after every batch: Keras' running mean over the epoch so far."""

    def __init__(self):
        super().__init__()
        self.running_means: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        self.running_means.append(float(logs["loss"]))


def dense_model(n_inputs: int, units: int = 1, activation: str = "linear", *, seed: int = 0) -> keras.Sequential:
    """``Sequential([Input((n_inputs,)), Dense(units, activation)])`` with seeded Glorot weights."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((n_inputs,)), keras.layers.Dense(units, activation=activation)])


def count_steps(n_samples: int, batch_size: int | None, epochs: int, **fit_kwargs) -> StepCounter:
    """Fit a one-weight model on ``n_samples`` zeros and return what the StepCounter saw."""
    model = dense_model(1)
    model.compile(optimizer="sgd", loss="mse")
    counter = StepCounter()
    X = np.zeros((n_samples, 1), dtype="float32")
    model.fit(X, X, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[counter], **fit_kwargs)
    return counter
