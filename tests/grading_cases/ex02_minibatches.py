"""Known-wrong submissions of ex02_minibatches and the score each must get (6 points in all).

Each case edits the correct submission as a student might; see ex01_counting_steps.py for the format.
"""

CASES = {
    "drops_last_partial_batch": {
        "why": "range(0, len(X) - batch_size + 1, batch_size): the last partial batch is lost",
        "edit": {"minibatches": [("range(0, len(X), batch_size)", "range(0, len(X) - batch_size + 1, batch_size)")]},
        "fails": ["test_every_sample_once", "test_data_order_and_edge_cases"],
        "score": 4,
    },
    "no_reshuffle_between_epochs": {
        "why": "a generator re-seeded inside the function: every epoch (and every seed) gets the same order",
        "edit": {"minibatches": [("    if rng is None:\n        rng = np.random.default_rng()\n",
                                  "    rng = np.random.default_rng(0)\n")]},
        "fails": ["test_reproducible_with_a_seed", "test_new_order_each_epoch"],
        "score": 4,
    },
    "pairs_broken": {
        "why": "X and y are shuffled with two different permutations",
        "edit": {"minibatches": [("batches.append((X[indices], y[indices]))",
                                  "batches.append((X[indices], y[np.sort(indices)]))")]},
        "fails": ["test_pairs_kept"],
        "score": 5,
    },
    "global_random_state": {
        "why": "np.random.permutation ignores rng: not reproducible from the seed",
        "edit": {"minibatches": [("order = rng.permutation(len(X))", "order = np.random.permutation(len(X))")]},
        "fails": ["test_reproducible_with_a_seed"],
        "score": 5,
    },
    "no_input_checks": {
        "why": "no argument checks: mismatched X and y give batches with wrong labels, batch_size=0 hangs or breaks",
        "edit": {"minibatches": [
            ("    if len(X) != len(y):\n", "    if False:\n"),
            ("isinstance(batch_size, bool)\n"
             "            or not isinstance(batch_size, (int, np.integer))\n"
             "            or batch_size < 1", "False"),
        ]},
        "fails": ["test_bad_input"],
        "score": 5,
    },
}

CORRECT_GENERATOR = '''def minibatches(X, y, batch_size=None, *, shuffle=True, rng=None):
    """A generator: indices shuffled in place with rng.shuffle, batches yielded one by one."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError("X and y must have the same length")
    batch_size = 32 if batch_size is None else batch_size
    if batch_size != int(batch_size) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size}")
    indices = np.arange(len(X))
    if shuffle:
        rng = rng if rng is not None else np.random.default_rng()
        rng.shuffle(indices)
    for start in range(0, len(X), batch_size):
        batch = indices[start:start + batch_size]
        yield X[batch], y[batch]
'''

CORRECT_ARRAY_SPLIT = '''def minibatches(X, y, batch_size=None, *, shuffle=True, rng=None):
    """A list, from np.array_split at multiples of batch_size and X.take; TypeError for a non-integer."""
    if len(X) != len(y):
        raise ValueError(f"len(X)={len(X)} but len(y)={len(y)}")
    if batch_size is None:
        batch_size = 32
    if not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be a whole number, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    rng = np.random.default_rng() if rng is None else rng
    order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
    pieces = np.array_split(order, np.arange(batch_size, len(X), batch_size))
    return [(np.take(X, piece, axis=0), np.take(y, piece, axis=0)) for piece in pieces]
'''

CASES.update({
    "x_and_y_permuted_separately": {
        "why": "X and y are each shuffled with their own permutation: the labels no longer go with their rows",
        "edit": {"minibatches": [
            ("    batches = []\n", "    other = rng.permutation(len(X)) if shuffle else order\n    batches = []\n"),
            ("batches.append((X[indices], y[indices]))",
             "batches.append((X[indices], y[other[start:start + batch_size]]))"),
        ]},
        "fails": ["test_pairs_kept"],
        "score": 5,
    },
    "shuffles_in_place": {
        "why": "X and y are shuffled in place (X[:] = X[order]) before being cut in data order",
        "edit": {"minibatches": [
            ("    batches = []\n",
             "    X[:], y[:] = X[order], y[order]\n    order = np.arange(len(X))\n    batches = []\n"),
        ]},
        "fails": ["test_pairs_kept"],
        "score": 5,
    },
    "returns_nothing": {
        "why": "range(len(X), 0, batch_size): an empty list of batches; no test may pass on it but Part C's",
        "edit": {"minibatches": [("range(0, len(X), batch_size)", "range(len(X), 0, batch_size)")]},
        "fails": ["test_every_sample_once", "test_pairs_kept", "test_data_order_and_edge_cases",
                  "test_reproducible_with_a_seed", "test_new_order_each_epoch"],
        "score": 1,
    },
    "type_error_for_zero": {
        "why": "batch_size=0 raises TypeError where Part C asks for ValueError (a whole number below 1)",
        "edit": {"minibatches": [
            ("raise ValueError(\"batch_size must be", "raise TypeError(\"batch_size must be"),
        ]},
        "fails": ["test_bad_input"],
        "score": 5,
    },
    # Correct solutions written another way keep full marks.
    "generator_with_rng_shuffle": {
        "why": "a generator; rng.shuffle on an index array; ValueError for every bad batch_size",
        "replace": {"minibatches": CORRECT_GENERATOR},
        "fails": [],
        "score": None,
    },
    "list_with_array_split": {
        "why": "np.array_split at multiples of batch_size, np.take; TypeError for 2.5 (Part C allows it)",
        "replace": {"minibatches": CORRECT_ARRAY_SPLIT},
        "fails": [],
        "score": None,
    },
})
