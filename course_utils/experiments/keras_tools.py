"""Small Keras helpers the lessons and tests share.

Importing this module imports Keras with TensorFlow's C++ start-up lines (oneDNN, CUDA
drivers, absl) hidden: they go to the process' stderr before any setting can stop them,
and a learner would read them as errors. Import it before ``import keras``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

import numpy as np

from course_utils.reference import arguments

MAX_KERAS_UPDATES = 100_000
"""The most updates one call of a helper that trains a Keras model may make
(``count_steps``, ``tuned_batch_study``): Keras takes about a millisecond per
step on these models, so 10**5 updates are a few minutes. (Kept here, not in
``batching``: a grading kernel that gets this module must not get ``batching``,
which holds ex01's answers; tests/grading/test_grading_security.py checks it.)
"""


@contextlib.contextmanager
def _stderr_silenced():
    """Send file descriptor 2 to /dev/null for the duration (Python's and C++'s writes alike)."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if "keras" not in sys.modules:
    with _stderr_silenced():
        import keras
        import tensorflow as tf

        tf.constant(0.0)  # the CUDA-driver probe runs on first use
else:
    import keras
# Refitting with many batch sizes retraces tf.functions; Keras warns about it, harmlessly here.
logging.getLogger("tensorflow").setLevel(logging.ERROR)


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
    n_inputs = arguments.positive_int("dense_model: n_inputs", n_inputs)
    units = arguments.positive_int("dense_model: units", units)
    if not isinstance(activation, str):
        raise TypeError(f"dense_model: activation must be a Keras activation name such as 'sigmoid', got {arguments.describe(activation)}")
    seed = arguments.positive_int("dense_model: seed", seed, minimum=0)
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((n_inputs,)), keras.layers.Dense(units, activation=activation)])


def count_steps(n_samples: int, batch_size: int | None, epochs: int, **fit_kwargs) -> StepCounter:
    """Fit a one-weight model on ``n_samples`` zeros and return what the StepCounter saw.

    ``n_samples`` is at most 10**6 and ``epochs * ceil(n_samples / batch_size)`` at most
    ``MAX_KERAS_UPDATES`` (Keras is slow per step).
    """
    n_samples = arguments.positive_int("count_steps: n_samples", n_samples)
    if n_samples > 10**6:
        raise ValueError(f"count_steps: n_samples must be at most 10**6, got {n_samples}")
    batch_size = arguments.optional_int("count_steps: batch_size", batch_size)
    epochs = arguments.positive_int("count_steps: epochs", epochs)
    steps = epochs * -(-n_samples // (batch_size or 32))
    if steps > MAX_KERAS_UPDATES:
        raise ValueError(f"count_steps: epochs * steps_per_epoch must be at most {MAX_KERAS_UPDATES} "
                         f"(Keras is slow per step), got {steps}")
    model = dense_model(1)
    model.compile(optimizer="sgd", loss="mse")
    counter = StepCounter()
    X = np.zeros((n_samples, 1), dtype="float32")
    model.fit(X, X, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[counter], **fit_kwargs)
    return counter
