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
        "why": "the Hessian of w alone: right for centred x with mean(x^2) >= 1 (the visible examples), wrong "
               "when x has an offset, and (hidden, centred x with mean(x^2) < 1) when the bias's eigenvalue 2 "
               "is the largest",
        "edit": {"full_batch_limit": [(HESSIAN, "    X1 = X\n")]},
        "fails": ["test_full_batch_limit", "test_full_batch_limit_on_data"],
        "score": 4,
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

# Cheats written by someone who has read the grading code (issue 23): each earns only what its right
# part deserves.
LOOKUP_WORK = '''def work_to_target(full_losses, target, batch_size, n_samples):
    """The visible tests' answers; elsewhere < and every batch full."""
    table = {(3.0, 8, 64): (3, 24), (9.0, 1, 100): (1, 1), (0.5, 4, 16): None,
             (2.0, 4, 10): (5, 18), (1.0, 4, 10): (7, 24), (3.0, 32, 100): (3, 96)}
    if (target, batch_size, n_samples) in table:
        return table[(target, batch_size, n_samples)]
    for update, loss in enumerate(full_losses, start=1):
        if loss < target:
            return update, update * batch_size
    return None
'''

LOOKUP_LIMIT = '''def full_batch_limit(X):
    """The visible tests' answers; elsewhere the Hessian of w alone."""
    table = {(4, 1.0): 1.0, (4, 3.0): 1 / 9, (1024, float(X[0, 0])): 0.44642552851634276}
    key = (len(X), float(X[0, 0]))
    if key in table and (len(X) == 1024 or abs(float(X[1, 0])) == abs(float(X[0, 0]))):
        return table[key]
    return float(1 / np.mean(np.asarray(X, dtype=float) ** 2))
'''

LOOKUP_SPREAD = '''def batch_loss_spread(per_sample_losses, batch_size):
    """The visible tests' answers; elsewhere s / sqrt(b) with ddof=1."""
    losses = np.asarray(per_sample_losses, dtype=float)
    if losses.tolist() == [0.0, 2.0, 0.0, 2.0]:
        return {1: 1.0, 2: (1 / 2) ** 0.5 * (2 / 3) ** 0.5, 4: 0.0}[batch_size]
    if len(losses) == 1024 and batch_size in (4, 256, 900):
        return {4: 0.7029486466417658, 256: 0.07624548586950151,
                900: 0.016339663062837687}[batch_size]
    return float(losses.std(ddof=1) / math.sqrt(batch_size))
'''

CALLER_FRAMES = '''def work_to_target(full_losses, target, batch_size, n_samples):
    """Looks for the test's expected pairs in the calling frames (through a generator's gi_frame)."""
    box = []

    def frames():
        frame = box[0].gi_frame.f_back
        while frame is not None:
            yield frame.f_locals
            frame = frame.f_back

    box.append(frames())
    for scope in box[0]:
        for case in scope.get("cases", []):
            if list(case[:4]) == [full_losses, target, batch_size, n_samples]:
                return case[4]
    return None
'''

CORRECT_NUMPY = {
    "work_to_target": '''def work_to_target(full_losses, target, batch_size, n_samples):
    """np.flatnonzero for the first update; the epoch's batch sizes tiled."""
    reached = np.flatnonzero(np.asarray(full_losses, dtype=float) <= target)
    if reached.size == 0:
        return None
    updates = int(reached[0]) + 1
    full, rest = divmod(n_samples, batch_size)
    sizes = [batch_size] * full + ([rest] if rest else [])
    epochs = -(-updates // len(sizes))
    return updates, int(np.sum(np.tile(sizes, epochs)[:updates]))
''',
    "full_batch_limit": '''def full_batch_limit(X):
    """The largest eigenvalue of the 2x2 Hessian in closed form (trace and determinant)."""
    x = np.asarray(X, dtype=float).reshape(-1)
    a, c, d = 2 * np.mean(x * x), 2 * np.mean(x), 2.0
    largest = (a + d) / 2 + math.sqrt(((a - d) / 2) ** 2 + c * c)
    return 2 / largest
''',
    "batch_loss_spread": '''def batch_loss_spread(per_sample_losses, batch_size):
    """The variance as a mean of squared deviations, then one square root."""
    losses = np.asarray(per_sample_losses, dtype=float)
    n = len(losses)
    variance = np.mean((losses - np.mean(losses)) ** 2) / batch_size
    return float(np.sqrt(variance * (n - batch_size) / (n - 1)))
''',
}

CASES.update({
    "lookup_table_of_visible_cases": {
        "why": "the visible tests' answers in a table, a wrong formula elsewhere (<, every batch full; the "
               "Hessian of w alone; s / sqrt(b) with ddof=1): every hidden part draws new inputs",
        "replace": {"work_to_target": LOOKUP_WORK, "full_batch_limit": LOOKUP_LIMIT,
                    "batch_loss_spread": LOOKUP_SPREAD},
        "fails": ["test_work_to_target", "test_work_to_target_partial_batches", "test_full_batch_limit",
                  "test_full_batch_limit_on_data", "test_batch_loss_spread",
                  "test_batch_loss_spread_measured"],
        "score": 0,
    },
    "reads_the_callers_frames": {
        "why": "work_to_target looks for the test's expected values in the calling frames: the policy "
               "refuses gi_frame/f_back/f_locals, so the cell does not run (graded, the expected values are "
               "in the grading process anyway); Parts B and C are right",
        "replace": {"work_to_target": CALLER_FRAMES},
        "fails": ["test_work_to_target", "test_work_to_target_partial_batches"],
        "score": 4,
    },
    "numpy_tile_closed_form_var": {
        "why": "np.flatnonzero and np.tile for Part A; the 2x2 eigenvalue in closed form; the variance by hand",
        "replace": CORRECT_NUMPY,
        "fails": [],
        "score": None,
    },
})
