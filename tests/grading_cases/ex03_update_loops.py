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
        "why": "minibatch_gd loops over course_utils.batching.minibatches; mse_gradient with a column of ones",
        "edit": {
            "mse_gradient": [("    error = predict(theta, X_batch) - y_batch\n"
                              "    return 2 / len(X_batch) * np.concatenate([[error.sum()], X_batch.T @ error])",
                              "    X1 = np.column_stack([np.ones(len(X_batch)), X_batch])\n"
                              "    return 2 * X1.T @ (X1 @ theta - y_batch) / len(X_batch)")],
            "minibatch_gd": [(MINIBATCH_LOOP, """        for X_batch, y_batch in minibatches(X, y, batch_size, rng=rng):
"""), ("def minibatch_gd(X, y,", "from course_utils.batching import minibatches\n\n\ndef minibatch_gd(X, y,")],
        },
        "fails": [],
        "score": None,
    },
})
