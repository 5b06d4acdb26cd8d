"""Reference NumPy implementations for the batches-epochs-steps course, held against Keras 3 by the tests.

Importing course_utils before Keras keeps TensorFlow's start-up log quiet
(``TF_CPP_MIN_LOG_LEVEL=3`` unless already set).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from course_utils.reference.batching import DEFAULT_BATCH_SIZE, batch_indices, minibatches, steps_per_epoch, total_steps
from course_utils.reference.models import Dense
from course_utils.reference.optimizers import SGD, Adam
from course_utils.reference.training import History, fit

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Adam",
    "Dense",
    "History",
    "SGD",
    "batch_indices",
    "fit",
    "minibatches",
    "steps_per_epoch",
    "total_steps",
]
