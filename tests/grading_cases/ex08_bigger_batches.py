"""Known-wrong submissions of ex08_bigger_batches and the score each must get (7 points in all).

The format is ex01_counting_steps.py's: each case edits the solution code as a student might;
``fails`` lists the graded test cells that must score 0 and ``score`` is the total.
"""

BATCHES = "    batches = epochs * math.ceil(n_samples / batch_size)\n"
UPDATES = "    return batches // accumulation_steps"
UNEVEN = (
    "    if global_batch_size % n_replicas:\n        raise ValueError(\n"
    '            f"global_batch_size={global_batch_size} is not a multiple of "\n'
    '            f"n_replicas={n_replicas}"\n        )\n'
)
DROP = "    if drop_remainder:\n        steps = n_samples // global_batch_size\n    else:\n        steps"
WEIGHT = "        total += gradient * len(xm) / len(x)"
LOOP = "    for start in range(0, len(x), micro_batch_size):"

CASES = {
    "partial_batches_dropped": {
        "why": "n_samples // batch_size batches per epoch: the partial last batch is not counted",
        "edit": {"updates_with_accumulation": [(BATCHES, "    batches = epochs * (n_samples // batch_size)\n")]},
        "fails": ["test_accumulation_runs_across_epochs"],
        "score": 6,
    },
    "reset_every_epoch": {
        "why": "the leftover batches of an epoch are thrown away, as if Keras reset the count each epoch",
        "edit": {"updates_with_accumulation": [
            (BATCHES + UPDATES,
             "    return epochs * (math.ceil(n_samples / batch_size) // accumulation_steps)")]},
        "fails": ["test_accumulation_runs_across_epochs"],
        "score": 6,
    },
    "leftover_batches_update": {
        "why": "ceil(batches / k): the last incomplete group of batches is counted as an update",
        "edit": {"updates_with_accumulation": [(UPDATES, "    return math.ceil(batches / accumulation_steps)")]},
        "fails": ["test_updates_with_accumulation", "test_accumulation_runs_across_epochs"],
        "score": 5,
    },
    "global_batch_per_replica": {
        "why": "each replica is given the whole global batch: batch_size read as per-replica",
        "edit": {"replica_counts": [("    return steps, global_batch_size // n_replicas",
                                     "    return steps, global_batch_size")]},
        "fails": ["test_replica_counts", "test_replica_counts_remainder_and_bad_batch"],
        "score": 5,
    },
    "uneven_batch_accepted": {
        "why": "no ValueError when the replicas cannot share the global batch evenly",
        "edit": {"replica_counts": [(UNEVEN, "")]},
        "fails": ["test_replica_counts_remainder_and_bad_batch"],
        "score": 6,
    },
    "drop_remainder_ignored": {
        "why": "the partial last batch is always kept as a step",
        "edit": {"replica_counts": [(DROP, "    steps")]},
        "fails": ["test_replica_counts_remainder_and_bad_batch"],
        "score": 6,
    },
    "equal_weights_as_keras": {
        "why": "the micro-batch gradients are averaged with weight 1/k: right only for equal micro-batches",
        "edit": {"accumulated_gradient": [
            ("    total = np.zeros(2)\n", "    total, count = np.zeros(2), 0\n"),
            (WEIGHT, "        total += gradient\n        count += 1"),
            ("    return total", "    return total / count")]},
        "fails": ["test_unequal_last_micro_batch"],
        "score": 6,
    },
    "sum_of_means": {
        "why": "the micro-batch mean gradients are added up unweighted: k times the gradient",
        "edit": {"accumulated_gradient": [(WEIGHT, "        total += gradient")]},
        "fails": ["test_equal_micro_batches", "test_unequal_last_micro_batch",
                  "test_one_micro_batch_and_one_sample"],
        "score": 4,
    },
    "last_micro_batch_dropped": {
        "why": "only full micro-batches are used: the rest of the batch is left out of the gradient",
        "edit": {"accumulated_gradient": [(LOOP, "    for start in range(0, len(x) - micro_batch_size + 1, micro_batch_size):")]},
        "fails": ["test_unequal_last_micro_batch", "test_one_micro_batch_and_one_sample"],
        "score": 5,
    },
    "hardcoded_visible_replicas": {
        "why": "replica_counts looks up the visible tests' answers and hands each replica the whole global"
               " batch otherwise: only the hidden, random sizes catch it",
        "edit": {"replica_counts": [(UNEVEN, UNEVEN + (
            "    seen = {(100, 32, 2, False): (4, 16), (96, 32, 2, False): (3, 16),\n"
            "            (1000, 64, 8, False): (16, 8), (10, 4, 1, False): (3, 4),\n"
            "            (100, 32, 2, True): (3, 16), (96, 32, 2, True): (3, 16)}\n"
            "    key = (n_samples, global_batch_size, n_replicas, bool(drop_remainder))\n"
            "    if key in seen:\n"
            "        return seen[key]\n")),
            ("    return steps, global_batch_size // n_replicas", "    return steps, global_batch_size")]},
        "fails": ["test_replica_counts", "test_replica_counts_remainder_and_bad_batch"],
        "score": 5,
    },
    "reads_the_tests_examples": {
        "why": "updates_with_accumulation reads the `examples` a visible test cell leaves in the kernel at"
               " Validate (a plain global name: the policy allows it) and rounds up otherwise; when graded"
               " the test cells never run in the kernel, so there is nothing to read",
        "edit": {"updates_with_accumulation": [(BATCHES + UPDATES, (
            "    try:\n"
            "        for *arguments, updates in examples:\n"
            "            if arguments == [n_samples, batch_size, accumulation_steps, epochs]:\n"
            "                return updates\n"
            "    except NameError:\n"
            "        pass\n"
            "    return math.ceil(epochs * n_samples / batch_size / accumulation_steps)"))]},
        "fails": ["test_updates_with_accumulation", "test_accumulation_runs_across_epochs"],
        "score": 5,
    },
    # Correct solutions written another way keep full marks.
    "split_divmod_and_negative_floor": {
        "why": "np.split at multiples of the micro-batch size; divmod for the replicas; -(-n // b) for ceil",
        "edit": {
            "updates_with_accumulation": [(BATCHES, "    batches = epochs * -(-n_samples // batch_size)\n")],
            "replica_counts": [
                (UNEVEN, "    share, rest = divmod(global_batch_size, n_replicas)\n"
                         "    if rest:\n        raise ValueError(f\"global_batch_size={global_batch_size} is uneven\")\n"),
                ("    return steps, global_batch_size // n_replicas", "    return steps, share")],
            "accumulated_gradient": [
                (LOOP + "\n        xm = x[start : start + micro_batch_size]\n        ym = y[start : start + micro_batch_size]",
                 "    cuts = list(range(micro_batch_size, len(x), micro_batch_size))\n"
                 "    for xm, ym in zip(np.split(x, cuts), np.split(y, cuts)):")],
        },
        "fails": [],
        "score": None,
    },
    "reduceat_and_range_counts": {
        "why": "len(range(...)) batches; steps from divmod; the micro-batch means with np.add.reduceat,"
               " weighted by their sizes",
        "edit": {
            "updates_with_accumulation": [(BATCHES, "    batches = len(range(0, n_samples, batch_size)) * epochs\n")],
            "replica_counts": [(DROP + " = math.ceil(n_samples / global_batch_size)", (
                "    steps, rest = divmod(n_samples, global_batch_size)\n"
                "    if rest and not drop_remainder:\n"
                "        steps += 1"))],
            "accumulated_gradient": [(
                "    total = np.zeros(2)\n" + LOOP + "\n"
                "        xm = x[start : start + micro_batch_size]\n"
                "        ym = y[start : start + micro_batch_size]\n"
                "        error = theta[0] + theta[1] * xm - ym\n"
                "        gradient = np.array([error.mean(), (error * xm).mean()])\n"
                + WEIGHT + "\n    return total",
                "    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)\n"
                "    error = theta[0] + theta[1] * x - y\n"
                "    starts = np.arange(0, len(x), micro_batch_size)\n"
                "    sizes = np.diff(np.append(starts, len(x)))\n"
                "    means = [np.add.reduceat(e, starts) / sizes for e in (error, error * x)]\n"
                "    weights = sizes / len(x)\n"
                "    return np.array([weights @ means[0], weights @ means[1]])")],
        },
        "fails": [],
        "score": None,
    },
}
