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
