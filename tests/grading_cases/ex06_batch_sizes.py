"""Known-wrong submissions of ex06_batch_sizes and the score each must get (6 points in all).

The format is ex01_counting_steps.py's: each case edits the solution code as a student might;
``fails`` lists the graded test cells that must score 0 and ``score`` is the total.
"""

COUNT = "        samples += last if in_epoch == per_epoch - 1 else batch_size\n"
HESSIAN = "    X1 = np.hstack([X, np.ones((len(X), 1))])\n"
LIMIT = "    return float(2 / np.linalg.eigvalsh(hessian).max())"
SPREAD = "    return float(s / math.sqrt(batch_size) * math.sqrt((n - batch_size) / (n - 1)))"

CASES = {
    "strictly_below": {
        "why": "loss < target: a loss equal to the target does not count as reaching it",
        "edit": {"work_to_target": [("        if loss <= target:", "        if loss < target:")]},
        "fails": ["test_work_to_target", "test_work_to_target_partial_batches"],
        "score": 4,
    },
    "every_batch_full": {
        "why": "sample-gradients = updates * batch_size: the partial last batch of each epoch counted as full",
        "edit": {"work_to_target": [(COUNT, "        samples += batch_size\n")]},
        "fails": ["test_work_to_target_partial_batches"],
        "score": 5,
    },
    "partial_batch_in_first_epoch_only": {
        "why": "only the first epoch ends with a partial batch",
        "edit": {"work_to_target": [(COUNT, "        samples += last if update == per_epoch else batch_size\n")]},
        "fails": ["test_work_to_target_partial_batches"],
        "score": 5,
    },
    "zero_when_never_reached": {
        "why": "returns (0, 0) instead of None when the target is never reached",
        "edit": {"work_to_target": [("    return None", "    return 0, 0")]},
        "fails": ["test_work_to_target"],
        "score": 5,
    },
    "no_bias_column": {
        "why": "the Hessian of w alone: right for centred x (the visible examples), wrong when x has an offset",
        "edit": {"full_batch_limit": [(HESSIAN, "    X1 = X\n")]},
        "fails": ["test_full_batch_limit_on_data"],
        "score": 5,
    },
    "largest_diagonal_entry": {
        "why": "2 / the largest diagonal entry of H, ignoring the coupling of w and b",
        "edit": {"full_batch_limit": [(LIMIT, "    return float(2 / hessian.diagonal().max())")]},
        "fails": ["test_full_batch_limit_on_data"],
        "score": 5,
    },
    "with_replacement": {
        "why": "s / sqrt(b) without the factor sqrt((n - b) / (n - 1)): large batches over-predicted",
        "edit": {"batch_loss_spread": [(SPREAD, "    return float(s / math.sqrt(batch_size))")]},
        "fails": ["test_batch_loss_spread", "test_batch_loss_spread_measured"],
        "score": 4,
    },
    "sample_standard_deviation": {
        "why": "np.std(ddof=1): the lesson's s is the spread of the n losses themselves (ddof=0)",
        "edit": {"batch_loss_spread": [("    s = losses.std()", "    s = losses.std(ddof=1)")]},
        "fails": ["test_batch_loss_spread", "test_batch_loss_spread_measured"],
        "score": 4,
    },
    # Correct solutions written another way keep full marks.
    "sizes_list_svd_and_mean_square": {
        "why": "batch sizes listed per epoch; lambda_max from the largest singular value; s by hand",
        "edit": {
            "work_to_target": [(
                "        in_epoch = (update - 1) % per_epoch\n" + COUNT,
                "        sizes = [batch_size] * (per_epoch - 1) + [last]\n"
                "        samples += sizes[(update - 1) % per_epoch]\n")],
            "full_batch_limit": [(
                "    hessian = 2 * X1.T @ X1 / len(X1)\n" + LIMIT,
                "    sigma = np.linalg.svd(X1, compute_uv=False)[0]\n"
                "    return len(X1) / sigma**2")],
            "batch_loss_spread": [("    s = losses.std()", "    s = np.sqrt(np.mean((losses - losses.mean()) ** 2))")],
        },
        "fails": [],
        "score": None,
    },
}
