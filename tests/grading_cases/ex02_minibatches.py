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
    "cheat_global_state_seeded_by_a_redefined_helper": {
        "why": "np.random.permutation ignores rng, and a cell redefines the given seeded_rng to seed np.random: "
               "the tests hand minibatches their own Generator, so it stays unreproducible",
        "edit": {"minibatches": [("order = rng.permutation(len(X))", "order = np.random.permutation(len(X))")]},
        "append": {"minibatches": "\n\ndef seeded_rng(seed):\n    np.random.seed(seed)\n"
                                  "    return np.random.default_rng(seed)\n"},
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

# Cheats written by someone who has read the grading code (issue 23): each earns only what its right
# part deserves.
LOOKUP_TABLE = '''def minibatches(X, y, batch_size=None, *, shuffle=True, rng=None):
    """Right for the sizes of the visible tests; elsewhere data order and no partial batch."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError("X and y must have the same length")
    batch_size = 32 if batch_size is None else batch_size
    if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1):
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    if (len(X), batch_size) in {(10, 3), (12, 4), (7, 3), (20, 8)}:
        rng = np.random.default_rng() if rng is None else rng
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        return [(X[order[s:s + batch_size]], y[order[s:s + batch_size]])
                for s in range(0, len(X), batch_size)]
    return [(X[s:s + batch_size], y[s:s + batch_size])
            for s in range(0, len(X) - batch_size + 1, batch_size)]
'''

CALLER_FRAMES = '''def minibatches(X, y, batch_size=None, *, shuffle=True, rng=None):
    """Walks up the calling frames (through a generator's gi_frame) for the test's reference."""
    box = []

    def frames():
        frame = box[0].gi_frame.f_back
        scopes = []
        while frame is not None:
            scopes += [frame.f_locals, frame.f_globals]
            frame = frame.f_back
        yield scopes

    box.append(frames())
    for scope in next(box[0]):
        for name in ("batch_indices", "reference", "expected", "minibatches_reference"):
            found = scope.get(name)
            if callable(found) and name == "batch_indices":
                parts = found(len(X), batch_size, shuffle=shuffle, rng=rng)
                return [(np.asarray(X)[p], np.asarray(y)[p]) for p in parts]
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError("X and y must have the same length")
    batch_size = 32 if batch_size is None else batch_size
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    return [(X[s:s + batch_size], y[s:s + batch_size])
            for s in range(0, len(X) - batch_size + 1, batch_size)]
'''

CORRECT_WHILE_CHOICE = '''def minibatches(X, y, batch_size=None, *, shuffle=True, rng=None):
    """A generator: a while loop over rng.choice(n, n, replace=False); float(b).is_integer()."""
    n = len(y)
    if len(X) != n:
        raise ValueError(f"len(X) = {len(X)} differs from len(y) = {n}")
    size = 32 if batch_size is None else batch_size
    if not float(size).is_integer() or size < 1:
        raise ValueError(f"batch_size must be a positive whole number, got {batch_size}")
    size = int(size)
    if shuffle:
        if rng is None:
            rng = np.random.default_rng()
        order = rng.choice(n, size=n, replace=False)
    else:
        order = np.arange(n)
    X, y = np.asarray(X), np.asarray(y)
    start = 0
    while start < n:
        pick = order[start:start + size]
        yield X[pick], y[pick]
        start += size
'''

CASES.update({
    "lookup_table_of_visible_sizes": {
        "why": "right for the visible tests' (n_samples, batch_size); elsewhere data order and the last "
               "partial batch dropped: the hidden parts' random sizes catch it; pairs and checks are right",
        "replace": {"minibatches": LOOKUP_TABLE},
        "fails": ["test_every_sample_once", "test_data_order_and_edge_cases",
                  "test_reproducible_with_a_seed", "test_new_order_each_epoch"],
        "score": 2,
    },
    "reads_the_callers_frames": {
        "why": "looks for the test's reference (batch_indices) in the calling frames, else data order "
               "without the partial batch: the policy refuses gi_frame/f_back/f_globals, so the cell "
               "does not run (and graded, the test and its reference are in the grading process anyway)",
        "replace": {"minibatches": CALLER_FRAMES},
        "fails": ["test_every_sample_once", "test_pairs_kept", "test_data_order_and_edge_cases",
                  "test_reproducible_with_a_seed", "test_new_order_each_epoch", "test_bad_input"],
        "score": 0,
    },
    "generator_while_loop_with_choice": {
        "why": "a generator with a while loop; rng.choice(n, n, replace=False); ValueError for 2.5 too",
        "replace": {"minibatches": CORRECT_WHILE_CHOICE},
        "fails": [],
        "score": None,
    },
})
