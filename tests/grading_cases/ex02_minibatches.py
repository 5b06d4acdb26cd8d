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
            ("isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1", "False"),
        ]},
        "fails": ["test_bad_input"],
        "score": 5,
    },
}
