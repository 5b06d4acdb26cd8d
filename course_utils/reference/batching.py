"""Step counts and the mini-batch iterator, with Keras' rules.

A *step* (also called an update or iteration) is one weight update, made from one
batch. Keras keeps the last, partial batch, so an epoch of ``n_samples`` samples
takes ``ceil(n_samples / batch_size)`` steps.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from course_utils.reference import arguments

DEFAULT_BATCH_SIZE = 32
"""What ``keras.Model.fit`` uses when ``batch_size`` is None."""

SHUFFLE_MODES = (True, False, "batch")

MAX_UPDATES = 1_000_000
"""The most updates one call of any NumPy training loop in ``course_utils`` may make.

Every loop keeps a record per update (``fit``'s ``History.step_losses``, the
path of ``gd.gradient_descent`` and ``schedules.descend``, ``train_steps``'
losses): 10**6 records take 16 to 32 MB, which fits a 2 GB Binder session,
and 10**6 updates of the course's small models run in seconds, not hours.
A larger request is an error (see ``check_updates``), not a hang.
"""

def steps_per_epoch(n_samples: int, batch_size: int | None = None, *, drop_remainder: bool = False) -> int:
    """Number of updates in one epoch: ``ceil(n_samples / batch_size)``.

    ``batch_size=None`` means Keras' default of 32. With ``drop_remainder=True``
    the last partial batch is skipped: ``floor(n_samples / batch_size)``.
    """
    return _steps(n_samples, batch_size, drop_remainder, "steps_per_epoch")


def _steps(n_samples, batch_size, drop_remainder, fn: str) -> int:
    n_samples = arguments.positive_int(f"{fn}: n_samples", n_samples)
    batch_size = arguments.optional_int(f"{fn}: batch_size", batch_size) or DEFAULT_BATCH_SIZE
    if arguments.flag(f"{fn}: drop_remainder", drop_remainder):
        return n_samples // batch_size
    return -(-n_samples // batch_size)


def total_steps(
    n_samples: int, batch_size: int | None = None, epochs: int = 1, *, drop_remainder: bool = False
) -> int:
    """Number of updates in ``epochs`` epochs: ``epochs * steps_per_epoch(...)``."""
    epochs = arguments.positive_int("total_steps: epochs", epochs)
    return epochs * _steps(n_samples, batch_size, drop_remainder, "total_steps")


def check_updates(fn: str, updates: int, settings: str, *, limit: int | None = None,
                  remedy: str = "lower epochs or raise batch_size") -> None:
    """Raise a ValueError if a loop would make more than ``limit`` updates (default ``MAX_UPDATES``).

    ``fn`` names the function, ``settings`` the arguments that set the count
    (``"epochs=10 with 1000 samples and batch_size=1"``); the message gives
    both, the count, the limit and ``remedy``.
    """
    limit = MAX_UPDATES if limit is None else limit
    if updates > limit:
        raise ValueError(f"{fn}: {settings} would make {updates} updates; at most {limit} are allowed ({remedy})")


def shuffle_mode(name: str, shuffle) -> bool | str:
    """``shuffle`` as True, False or ``"batch"``; NumPy bools accepted, 0/1 and other strings refused."""
    if isinstance(shuffle, (bool, np.bool_)):
        return bool(shuffle)
    if isinstance(shuffle, str):
        if shuffle == "batch":
            return shuffle
        raise ValueError(f"{name} must be True, False or 'batch', got {shuffle!r}")
    raise TypeError(f"{name} must be True, False or 'batch', got {arguments.describe(shuffle)}")


def batch_indices(
    n_samples: int,
    batch_size: int | None = None,
    *,
    shuffle: bool | str = True,
    rng=None,
    drop_remainder: bool = False,
) -> list[np.ndarray]:
    """Index arrays, one per batch, for one epoch.

    ``shuffle=True`` permutes all samples; ``"batch"`` keeps the batches in
    order and shuffles only inside each batch (Keras' ``shuffle="batch"``);
    ``False`` keeps the data order.
    """
    n_steps = _steps(n_samples, batch_size, drop_remainder, "batch_indices")
    shuffle = shuffle_mode("batch_indices: shuffle", shuffle)
    rng = arguments.rng_from(rng, "batch_indices: rng")
    return _batch_indices(int(n_samples), batch_size or DEFAULT_BATCH_SIZE, n_steps, shuffle, rng)


def _batch_indices(n_samples: int, batch_size: int, n_steps: int, shuffle, rng) -> list[np.ndarray]:
    """``batch_indices`` for checked arguments (``fit`` calls it once per epoch)."""
    order = rng.permutation(n_samples) if shuffle is True else np.arange(n_samples)
    batches = [order[i * batch_size : (i + 1) * batch_size] for i in range(n_steps)]
    if shuffle == "batch":
        batches = [rng.permutation(batch) for batch in batches]
    return batches


def minibatches(
    X,
    y,
    batch_size: int | None = None,
    *,
    shuffle: bool | str = True,
    rng=None,
    drop_remainder: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X_batch, y_batch)`` pairs covering one epoch.

    X has shape ``(n_samples, ...)`` and y ``(n_samples, ...)``; every sample
    appears once, pairs stay together, and the last batch may be smaller.
    Pass the same ``rng`` (a ``numpy.random.Generator``) to successive epochs
    to get a new order each epoch that is reproducible from its seed.
    """
    X, y = arguments.paired_arrays(X, y, "minibatches", numeric=False)
    n_steps = _steps(len(X), batch_size, drop_remainder, "minibatches")
    shuffle = shuffle_mode("minibatches: shuffle", shuffle)
    rng = arguments.rng_from(rng, "minibatches: rng")
    indices = _batch_indices(len(X), batch_size or DEFAULT_BATCH_SIZE, n_steps, shuffle, rng)
    if shuffle is False:  # consecutive slices: views, no copies
        return ((X[batch[0] : batch[-1] + 1], y[batch[0] : batch[-1] + 1]) for batch in indices)
    return ((X[batch], y[batch]) for batch in indices)  # an empty epoch (drop_remainder, n < batch_size) yields nothing
