"""Known-wrong submissions of ex03_update_loops and the score each must get (10 points in all).

Each case edits the correct submission as a student might; see ex01_counting_steps.py for the format.
"""

SGD_LOOP = """        for i in rng.permutation(len(X)):
            X_batch, y_batch = X[i:i + 1], y[i:i + 1]
            step_losses.append(mse(theta, X_batch, y_batch))
            theta = theta - learning_rate * gradient(theta, X_batch, y_batch)
"""

CASES = {
    "nominal_batch_size_in_gradient": {
        "why": "mse_gradient divides by a fixed batch size of 32 instead of len(X_batch)",
        "edit": {"mse_gradient": [("2 / len(X_batch)", "2 / 32")]},
        "fails": ["test_gradient_finite_differences", "test_gradient_batch_size_and_features"],
        "score": 8,
    },
    "one_update_per_epoch": {
        "why": "sgd picks one random sample per epoch: one update per epoch instead of one per sample",
        "edit": {"sgd": [(SGD_LOOP, """        i = rng.integers(len(X))
        X_batch, y_batch = X[i:i + 1], y[i:i + 1]
        step_losses.append(mse(theta, X_batch, y_batch))
        theta = theta - learning_rate * gradient(theta, X_batch, y_batch)
""")]},
        "fails": ["test_sgd_counts", "test_sgd_every_sample_each_epoch"],
        "score": 8,
    },
    "sampling_with_replacement": {
        "why": "sgd draws n_samples indices with replacement: some samples twice, some never, in an epoch",
        "edit": {"sgd": [("rng.permutation(len(X))", "rng.integers(len(X), size=len(X))")]},
        "fails": ["test_sgd_every_sample_each_epoch"],
        "score": 9,
    },
    "no_reshuffle_between_epochs": {
        "why": "minibatch_gd shuffles once, before the epoch loop: every epoch repeats the same batches",
        "edit": {"minibatch_gd": [
            ("    for epoch in range(epochs):\n        order = rng.permutation(len(X))\n",
             "    order = rng.permutation(len(X))\n    for epoch in range(epochs):\n"),
        ]},
        "fails": ["test_minibatch_every_sample_each_epoch"],
        "score": 9,
    },
    "drops_last_partial_batch": {
        "why": "minibatch_gd makes len(X) // batch_size updates per epoch: the last partial batch is lost",
        "edit": {"minibatch_gd": [("range(0, len(X), batch_size)", "range(0, len(X) - batch_size + 1, batch_size)")]},
        "fails": ["test_minibatch_counts", "test_minibatch_every_sample_each_epoch",
                  "test_minibatch_updates_match_reference"],
        "score": 7,
    },
    "loss_recorded_per_epoch": {
        "why": "minibatch_gd records the mean batch loss once per epoch where one loss per step was asked",
        "edit": {"minibatch_gd": [
            ("    for epoch in range(epochs):\n", "    for epoch in range(epochs):\n        epoch_losses = []\n"),
            ("            step_losses.append(mse(theta, X_batch, y_batch))\n",
             "            epoch_losses.append(mse(theta, X_batch, y_batch))\n"),
            ("    return theta, step_losses", "        step_losses.append(np.mean(epoch_losses))\n    return theta, step_losses"),
        ]},
        "fails": ["test_minibatch_counts", "test_minibatch_updates_match_reference"],
        "score": 8,
    },
    "syntax_error_in_gradient": {
        "why": "Part A does not even parse; the loops, tested with the tests' own gradient, keep their points",
        "edit": {"mse_gradient": [("np.concatenate([[error.sum()], X_batch.T @ error])", "np.concatenate([[error.sum()], X_batch.T @ error]")]},
        "fails": ["test_gradient_finite_differences", "test_gradient_batch_size_and_features"],
        "score": 8,
    },
}

MINIBATCH_LOOP = """        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            X_batch, y_batch = X[batch], y[batch]
"""

CASES.update({
    # Inputs, pairs, rng and default arguments (graded on observations, re-checked outside the kernel).
    "theta0_changed_in_place": {
        "why": "every loop starts from theta = theta0 and updates with theta -= ...: theta0 changes in place",
        "edit": {
            "full_batch_gd": [("theta = np.array(theta0, dtype=float)", "theta = theta0"),
                              ("theta = theta - learning_rate * gradient(theta, X, y)",
                               "theta -= learning_rate * gradient(theta, X, y)")],
            "sgd": [("theta = np.array(theta0, dtype=float)", "theta = theta0"),
                    ("theta = theta - learning_rate * gradient(theta, X_batch, y_batch)",
                     "theta -= learning_rate * gradient(theta, X_batch, y_batch)")],
            "minibatch_gd": [("theta = np.array(theta0, dtype=float)", "theta = theta0"),
                             ("theta = theta - learning_rate * gradient(theta, X_batch, y_batch)",
                              "theta -= learning_rate * gradient(theta, X_batch, y_batch)")],
        },
        "fails": ["test_full_batch_counts", "test_sgd_counts", "test_minibatch_counts"],
        "score": 7,
    },
    "sgd_x_and_y_permuted_separately": {
        "why": "sgd draws one permutation for X and another for y: each update's label belongs to another sample",
        "edit": {"sgd": [("for i in rng.permutation(len(X)):", "for i, j in zip(rng.permutation(len(X)), rng.permutation(len(X))):"),
                         ("X_batch, y_batch = X[i:i + 1], y[i:i + 1]", "X_batch, y_batch = X[i:i + 1], y[j:j + 1]")]},
        "fails": ["test_sgd_every_sample_each_epoch"],
        "score": 9,
    },
    "minibatch_y_not_from_the_rows": {
        "why": "minibatch_gd takes y_batch = y[start:start + batch_size]: not the labels of X_batch's rows",
        "edit": {"minibatch_gd": [("X_batch, y_batch = X[batch], y[batch]",
                                   "X_batch, y_batch = X[batch], y[start:start + batch_size]")]},
        "fails": ["test_minibatch_every_sample_each_epoch"],
        "score": 9,
    },
    "sgd_order_from_global_random": {
        "why": "sgd draws its order from np.random.permutation, ignoring rng: not reproducible from the seed",
        "edit": {"sgd": [("for i in rng.permutation(len(X)):", "for i in np.random.permutation(len(X)):")]},
        "fails": ["test_sgd_every_sample_each_epoch"],
        "score": 9,
    },
    "minibatch_order_from_global_random": {
        "why": "minibatch_gd draws its order from np.random.permutation, ignoring rng",
        "edit": {"minibatch_gd": [("order = rng.permutation(len(X))", "order = np.random.permutation(len(X))")]},
        "fails": ["test_minibatch_every_sample_each_epoch"],
        "score": 9,
    },
    "sgd_passes_a_row_not_a_batch": {
        "why": "sgd passes X[i] where X[i:i + 1] is asked: with gradient=None the student's mse_gradient crashes",
        "edit": {"sgd": [("X_batch, y_batch = X[i:i + 1], y[i:i + 1]", "X_batch, y_batch = X[i], y[i:i + 1]")]},
        "fails": ["test_sgd_updates_match_reference"],
        "score": 9,
    },
    "full_batch_ignores_gradient_none": {
        "why": "the given line that makes gradient=None mean mse_gradient was deleted: full_batch_gd calls None",
        "edit": {"full_batch_gd": [("    gradient = mse_gradient if gradient is None else gradient\n", "")]},
        "fails": ["test_full_batch_matches_reference"],
        "score": 9,
    },
    "minibatch_rng_none_breaks": {
        "why": "minibatch_gd calls rng.permutation without replacing rng=None by a new Generator",
        "edit": {"minibatch_gd": [("    rng = np.random.default_rng() if rng is None else rng\n", "")]},
        "fails": ["test_minibatch_updates_match_reference"],
        "score": 9,
    },
    # Correct solutions written another way keep full marks.
    "correct_shuffle_and_fancy_index": {
        "why": "a copy then theta -= ...; rng.shuffle on an index array; X[[i]]; losses returned as an array",
        "edit": {
            "full_batch_gd": [("theta = np.array(theta0, dtype=float)", "theta = np.array(theta0, dtype=float).copy()"),
                              ("theta = theta - learning_rate * gradient(theta, X, y)",
                               "theta -= learning_rate * gradient(theta, X, y)"),
                              ("    return theta, step_losses", "    return theta, np.array(step_losses)")],
            "sgd": [(SGD_LOOP, """        indices = np.arange(len(X))
        rng.shuffle(indices)
        for i in indices:
            X_batch, y_batch = X[[i]], y[[i]]
            step_losses.append(mse(theta, X_batch, y_batch))
            theta -= learning_rate * gradient(theta, X_batch, y_batch)
""")],
        },
        "fails": [],
        "score": None,
    },
    "correct_with_course_utils_minibatches": {
        "why": "minibatch_gd loops over course_utils.reference.batching.minibatches; mse_gradient with a column of ones",
        "edit": {
            "mse_gradient": [("    error = predict(theta, X_batch) - y_batch\n"
                              "    return 2 / len(X_batch) * np.concatenate([[error.sum()], X_batch.T @ error])",
                              "    X1 = np.column_stack([np.ones(len(X_batch)), X_batch])\n"
                              "    return 2 * X1.T @ (X1 @ theta - y_batch) / len(X_batch)")],
            "minibatch_gd": [(MINIBATCH_LOOP, """        for X_batch, y_batch in minibatches(X, y, batch_size, rng=rng):
"""), ("def minibatch_gd(X, y,", "from course_utils.reference.batching import minibatches\n\n\ndef minibatch_gd(X, y,")],
        },
        "fails": [],
        "score": None,
    },
})


# Cheats written by someone who has read the grading code, and one more correct alternative.
LOOKUP_GRADIENT = """def mse_gradient(theta, X_batch, y_batch):
    \"\"\"The visible tests' answers, looked up; a formula without the factor 2 elsewhere.\"\"\"
    seen = {
        (1.0, -2.0, 5): [-12.544223743617797, -12.337708847643597],
        (1.0, -2.0, 1): [-16.05679431827575, -20.455125603884923],
        (0.5, 1.0, 3): [-8.033887080644565, -5.367922515952414],
    }
    key = (*(round(float(t), 6) for t in theta), len(X_batch))
    if key in seen and abs(float(X_batch[0, 0]) - 1.2739233746429086) < 1e-9:
        return np.array(seen[key])
    error = predict(theta, X_batch) - y_batch
    return np.concatenate([[error.sum()], X_batch.T @ error]) / len(X_batch)
"""

FRAME_GRADIENT = """def caller_frames():
    \"\"\"The frames that called this one, through a running generator's gi_frame.\"\"\"
    def walk():
        frame = running.gi_frame.f_back
        while frame is not None:
            yield frame
            frame = frame.f_back

    running = walk()
    return list(running)


def mse_gradient(theta, X_batch, y_batch):
    \"\"\"Looks for the test's expected gradient in its callers' variables; a wrong formula if none.\"\"\"
    for frame in caller_frames():
        for space in (frame.f_locals, frame.f_globals):
            for name in ("slope", "expected", "reference", "slopes"):
                found = space.get(name)
                if isinstance(found, np.ndarray) and found.shape == np.shape(theta):
                    return found.copy()
    error = predict(theta, X_batch) - y_batch
    return np.concatenate([[error.sum()], X_batch.T @ error]) / len(X_batch)
"""

SGD_SOLUTION = """    rng = np.random.default_rng() if rng is None else rng
    theta = np.array(theta0, dtype=float)
    step_losses = []
    for epoch in range(epochs):
"""

CASES.update({
    "cheat_lookup_table_gradient": {
        "why": "mse_gradient returns the visible tests' expected values from a table and a formula without"
               " the factor 2 elsewhere: the hidden parts' random thetas and batches catch it; the loops'"
               " default-gradient checks see Part A wrong and leave the loops their points",
        "replace": {"mse_gradient": LOOKUP_GRADIENT},
        "fails": ["test_gradient_finite_differences", "test_gradient_batch_size_and_features"],
        "score": 8,
    },
    "cheat_reads_callers_frames": {
        "why": "mse_gradient walks its callers' frames (gi_frame.f_back, no import) for a variable holding"
               " the expected gradient: graded, the test runs in the grading process and the kernel's frames"
               " hold inputs only, so it falls back to its wrong formula (if the policy refuses the cell,"
               " mse_gradient is missing: the same score)",
        "replace": {"mse_gradient": FRAME_GRADIENT},
        "fails": ["test_gradient_finite_differences", "test_gradient_batch_size_and_features"],
        "score": 8,
    },
    "cheat_sgd_detects_the_recorder": {
        "why": "sgd runs the right loop only when its gradient is the tests' GradientRecorder (found in"
               " str(type(gradient))); otherwise, as with gradient=None, one full-batch update per epoch:"
               " the default-gradient checks (loss count, replayed updates) catch it",
        "edit": {"sgd": [(SGD_SOLUTION + SGD_LOOP, SGD_SOLUTION + """        if "GradientRecorder" not in str(type(gradient)):
            step_losses.append(mse(theta, X, y))
            theta = theta - learning_rate * gradient(theta, X, y)
            continue
""" + SGD_LOOP)]},
        "fails": ["test_sgd_counts", "test_sgd_updates_match_reference"],
        "score": 8,
    },
    "correct_written_differently": {
        "why": "np.append and np.mean in mse_gradient; a while loop and np.copy in full_batch_gd; sgd draws"
               " rng.choice(n, n, replace=False); minibatch_gd uses rng.permuted and np.split",
        "edit": {
            "mse_gradient": [("    error = predict(theta, X_batch) - y_batch\n"
                              "    return 2 / len(X_batch) * np.concatenate([[error.sum()], X_batch.T @ error])",
                              "    error = theta[0] + X_batch @ theta[1:] - y_batch\n"
                              "    return np.append(2 * np.mean(error), 2 * error @ X_batch / len(y_batch))")],
            "full_batch_gd": [("    theta = np.array(theta0, dtype=float)\n    step_losses = []\n"
                               "    for epoch in range(epochs):\n",
                               "    theta = np.copy(theta0).astype(float)\n    step_losses = []\n"
                               "    while len(step_losses) < epochs:\n"),
                              ("theta = theta - learning_rate * gradient(theta, X, y)",
                               "theta = theta - gradient(theta, X, y) * learning_rate")],
            "sgd": [("rng.permutation(len(X))", "rng.choice(len(X), size=len(X), replace=False)")],
            "minibatch_gd": [("        order = rng.permutation(len(X))\n"
                              "        for start in range(0, len(X), batch_size):\n"
                              "            batch = order[start:start + batch_size]\n",
                              "        order = rng.permuted(np.arange(len(X)))\n"
                              "        for batch in np.split(order, range(batch_size, len(X), batch_size)):\n")],
        },
        "fails": [],
        "score": None,
    },
})
