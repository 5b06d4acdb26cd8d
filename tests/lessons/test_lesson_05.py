"""Lesson 05 (read epochs and learning curves): what it concludes from its Keras runs, checked by running the same
code over 5 seeds; then what it must contain and what it concludes in NumPy.

The lesson's settings are read from its cells with ``ast`` (the network it defines, the EarlyStopping it
builds, the keyword arguments of its ``fit`` calls), so the tests run what the lesson runs. Claims tested at
the end of this file in NumPy (mistakes level off; the epoch's running mean is above the loss after the epoch;
the sorted tail's labels; ``running_means`` against ``course_utils.fit``) are not repeated with Keras. To keep
the file fast (each run of the lesson's network costs seconds), the overfitting claim is read from the
EarlyStopping runs (the same network, seed and settings as the 30-epoch run), which go on 5 epochs past the
lowest validation loss.
"""

import ast
import math

import numpy as np
import pytest

from course_utils import SGD, Dense, batch_indices, fit
from course_utils.reference import datasets
from course_utils.experiments.keras_tools import BatchLossRecorder, dense_model
from notebook_reading import code_cells, code_of, function_from, lesson_path

LESSON = lesson_path(5)
SEEDS = range(5)
TOLERANCE = 1e-5  # float32 Keras against float64 NumPy, as in test_fit_vs_keras.py


def statements():
    for source in code_cells(LESSON):
        yield from ast.parse(source).body


def assigned_call(target):
    """The call the lesson assigns to ``target`` (as ``ast.unparse`` writes the target)."""
    for node in statements():
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == target:
            assert isinstance(node.value, ast.Call), f"lesson 5: {target} = ... is not a call"
            return node.value
    raise AssertionError(f"lesson 5 assigns nothing to {target!r}")


def evaluated(expression, namespace):
    return eval(compile(ast.Expression(expression), LESSON.name, "eval"), namespace)


def fit_settings(target, namespace, leave_out=("callbacks",)):
    """The keyword arguments of the ``fit`` call whose result the lesson names ``target``."""
    call = assigned_call(target)
    return {k.arg: evaluated(k.value, namespace) for k in call.keywords if k.arg not in leave_out}


def split_point(n_samples, validation_split):
    return int(math.floor(n_samples * (1 - validation_split)))  # Keras: the last fraction is held out


# --- Steps 3, 4 and 7: overfitting, EarlyStopping, History -------------------------------------------------------


@pytest.fixture(scope="module")
def stopped_runs(keras):
    """The lesson's EarlyStopping run (Step 4) for each seed: (history, stopper, held-out loss after fit)."""
    namespace = {"keras": keras, "datasets": datasets}
    (X, y), _ = evaluated(assigned_call("((small_X, small_y), _)"), namespace)
    big_network = function_from(5, "big_network", **namespace)
    settings = fit_settings("stopped", namespace)
    held_out = slice(split_point(len(X), settings["validation_split"]), None)
    runs = []
    for seed in SEEDS:
        stopper = evaluated(assigned_call("stopper"), namespace)
        network = big_network(seed)
        history = network.fit(X, y, callbacks=[stopper], **settings)
        runs.append((history, stopper, network.evaluate(X[held_out], y[held_out], verbose=0)))
    return settings, runs


def test_lesson_5_settings_are_the_ones_its_prose_names(stopped_runs, keras):
    settings, runs = stopped_runs
    stopper = runs[0][1]
    assert settings["validation_split"] == 0.5 and settings["epochs"] == 30
    assert isinstance(stopper, keras.callbacks.EarlyStopping)
    assert (stopper.monitor, stopper.patience, stopper.restore_best_weights) == ("val_loss", 5, True)
    assert fit_settings("overfit", {}) == settings  # Step 3's run: the same settings, no callback


def test_lesson_5_training_loss_keeps_falling_while_validation_loss_turns_up(stopped_runs):
    for seed, (history, stopper, _) in zip(SEEDS, stopped_runs[1]):
        loss, val_loss = np.array(history.history["loss"]), np.array(history.history["val_loss"])
        best = int(np.argmin(val_loss))
        assert np.all(np.diff(loss) < 0), f"seed {seed}: training loss {loss}"
        assert 0 < best < len(val_loss) - 1, f"seed {seed}: validation loss {val_loss}"  # falls, then rises
        assert val_loss[-1] > val_loss[best] and loss[-1] < loss[best]


def test_lesson_5_early_stopping_stops_patience_epochs_after_the_best_and_restores_it(stopped_runs):
    settings, runs = stopped_runs
    for seed, (history, stopper, held_out_loss) in zip(SEEDS, runs):
        val_loss = history.history["val_loss"]
        best = int(np.argmin(val_loss))
        assert len(history.epoch) < settings["epochs"], f"seed {seed}: did not stop by itself"
        assert len(history.epoch) == best + 1 + stopper.patience  # 5 epochs without a lower val_loss
        assert stopper.best_epoch == best and stopper.best == val_loss[best]
        # restore_best_weights: the held-out half scores the best epoch's loss, not the last epoch's
        assert held_out_loss == pytest.approx(val_loss[best], abs=TOLERANCE)
        assert abs(held_out_loss - val_loss[-1]) > 100 * TOLERANCE


def test_lesson_5_history_holds_one_value_per_epoch_numbered_from_0_and_the_steps(stopped_runs):
    settings, runs = stopped_runs
    n_train = split_point(200, settings["validation_split"])
    for history, _, _ in runs:
        assert set(history.history) == {"loss", "val_loss"}
        assert history.epoch == list(range(len(history.epoch)))
        assert all(len(values) == len(history.epoch) for values in history.history.values())
        assert history.params["epochs"] == settings["epochs"]
        assert history.params["steps"] == math.ceil(n_train / settings["batch_size"])


# --- Step 5: validation_split takes the last fraction, before shuffling --------------------------------------------


def sorted_digits(digits_rows):
    X, y = digits_rows
    order = np.argsort(y, kind="stable")  # the lesson's sort: by label
    return X[order], y[order]


def test_lesson_5_keras_validates_on_the_tail_of_the_arrays_even_with_shuffle_true(keras, digits_rows):
    """Keras' behaviour, so 1 epoch instead of the lesson's 3."""
    settings = fit_settings("sorted_run", {})
    assert settings["validation_split"] == 0.2 and settings["shuffle"] is True
    sorted_X, sorted_y = sorted_digits(digits_rows)
    n_train = split_point(len(sorted_X), settings["validation_split"])
    head = slice(0, len(sorted_X) - n_train)
    model = dense_model(64, 10, activation="softmax", seed=0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    for seed in SEEDS:  # one model trained on, each epoch's shuffle from another seed (no retracing)
        keras.utils.set_random_seed(seed)
        val_loss = model.fit(sorted_X, sorted_y, **{**settings, "epochs": 1}).history["val_loss"][-1]
        tail_loss = model.evaluate(sorted_X[n_train:], sorted_y[n_train:], verbose=0)
        assert val_loss == pytest.approx(tail_loss, abs=TOLERANCE)
        assert abs(val_loss - model.evaluate(sorted_X[head], sorted_y[head], verbose=0)) > 100 * TOLERANCE


def test_lesson_5_course_utils_fit_splits_the_sorted_digits_as_keras_does(keras, digits_rows):
    sorted_X, sorted_y = sorted_digits(digits_rows)
    keras_model = dense_model(64, 10, activation="softmax", seed=0)
    keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    numpy_model = Dense(64, 10, activation="softmax")
    numpy_model.set_weights(keras_model.get_weights())
    settings = {"validation_split": 0.2, "batch_size": 32, "epochs": 1, "shuffle": False, "verbose": 0}
    theirs = keras_model.fit(sorted_X, sorted_y, **settings).history
    ours = fit(numpy_model, sorted_X, sorted_y, loss="sparse_categorical_crossentropy",
               optimizer=SGD(learning_rate=0.05), **settings).history
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(ours[key], theirs[key], atol=TOLERANCE, rtol=0)


def test_lesson_5_the_sorted_tail_is_an_unfair_validation_set_and_shuffling_first_fixes_it(digits_rows):
    """The lesson's Step 5 runs (3 epochs, SGD 0.05, batch 32, validation_split=0.2), in course_utils.fit."""
    for name in ("sorted_run", "fair_run"):
        settings = fit_settings(name, {})
        assert (settings["validation_split"], settings["epochs"], settings.get("shuffle", True)) == (0.2, 3, True)
    sorted_X, sorted_y = sorted_digits(digits_rows)
    n_train = split_point(len(sorted_X), 0.2)
    seen_in_training = np.isin(sorted_y[n_train:], sorted_y[:n_train]).mean()

    def accuracies(X, y, seed):
        """Training and validation accuracy after the lesson's run on X, y, split as Keras splits."""
        model = Dense(64, 10, activation="softmax", rng=seed)
        fit(model, X, y, loss="sparse_categorical_crossentropy", optimizer=SGD(learning_rate=0.05),
            batch_size=32, epochs=3, validation_split=0.2, rng=seed, verbose=0)
        right = model.predict(X).argmax(axis=1) == y
        return right[:n_train].mean(), right[n_train:].mean()

    for seed in SEEDS:
        _, sorted_val = accuracies(sorted_X, sorted_y, seed)
        # a label never trained on is (almost) never predicted: accuracy on the tail <= the seen share
        assert sorted_val <= seen_in_training + 0.05, f"seed {seed}"
        shuffled = np.random.default_rng(seed).permutation(len(sorted_X))
        fair_train, fair_val = accuracies(sorted_X[shuffled], sorted_y[shuffled], seed)
        assert fair_val > sorted_val + 0.3, f"seed {seed}"
        assert fair_val > fair_train - 0.1, f"seed {seed}"  # as good as on the training part, near enough


# --- Step 6: the progress-bar loss is a batch-size-weighted running mean ------------------------------------------


def test_lesson_5_running_means_of_numpy_batch_losses_are_keras_bar_and_end_above_evaluate(keras, digits_rows):
    X, y = digits_rows
    running_means = function_from(5, "running_means", np=np)
    sizes = [len(batch) for batch in batch_indices(len(X), 32, shuffle=False)]
    assert sizes[-1] < 32  # a partial last batch, so the weighting matters
    keras_model = dense_model(64, 10, activation="softmax", seed=0)
    keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    for seed in SEEDS:  # plain SGD keeps no state: new weights make a fresh run, without retracing
        keras_model.set_weights(dense_model(64, 10, activation="softmax", seed=seed).get_weights())
        numpy_model = Dense(64, 10, activation="softmax")
        numpy_model.set_weights(keras_model.get_weights())
        recorder = BatchLossRecorder()
        keras_history = keras_model.fit(X, y, batch_size=32, epochs=1, shuffle=False, verbose=0,
                                        callbacks=[recorder])
        numpy_history = fit(numpy_model, X, y, loss="sparse_categorical_crossentropy",
                            optimizer=SGD(learning_rate=0.05), batch_size=32, shuffle=False, verbose=0)
        ours = running_means(numpy_history.step_losses, sizes)
        np.testing.assert_allclose(ours, recorder.running_means, atol=TOLERANCE, rtol=0)
        assert keras_history.history["loss"][0] == pytest.approx(ours[-1], abs=TOLERANCE)
        after_epoch = keras_model.evaluate(X, y, verbose=0)
        assert keras_history.history["loss"][0] > after_epoch, f"seed {seed}"


# --- Step 8: what shuffle does to the batches ----------------------------------------------------------------------


def test_lesson_5_shuffle_true_reorders_all_batch_only_within_batches_false_never():
    in_order = [list(range(start, start + 4)) for start in (0, 4, 8)]
    for seed in SEEDS:
        epochs = {}
        for shuffle in (False, True, "batch"):
            rng = np.random.default_rng(seed)
            epochs[shuffle] = [[list(b) for b in batch_indices(12, 4, shuffle=shuffle, rng=rng)] for _ in (1, 2)]
            for batches in epochs[shuffle]:
                assert sorted(i for batch in batches for i in batch) == list(range(12))  # every sample once
        assert epochs[False] == [in_order, in_order]
        assert epochs[True][0] != epochs[True][1]  # a new order each epoch
        assert any(sorted(batch) != sorted(start) for batch, start in zip(epochs[True][0], in_order))
        for batches in epochs["batch"]:
            assert [sorted(batch) for batch in batches] == in_order  # the same batches, in order
        assert epochs["batch"][0] != in_order or epochs["batch"][1] != in_order


def fingerprint_model(keras):
    """A one-weight model that never learns (learning rate 0, prediction 0): its batch mse is mean(y**2)."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def keras_batches(keras, model, shuffle, seed, n_samples=12, batch_size=4, epochs=3):
    """Which samples each of Keras' batches held, epoch by epoch, read from the bar's running means.

    ``seed`` goes to ``keras.utils.set_random_seed``; ``None`` clears TensorFlow's global seed instead.
    The targets squared are 2**index, so a batch's sum of them names its samples (distinct powers of 2).
    """
    if seed is None:
        import tensorflow as tf

        tf.random.set_seed(None)  # no global seed, as in a fresh Python that never set one
    else:
        keras.utils.set_random_seed(seed)
    recorder = BatchLossRecorder()
    model.fit(np.zeros((n_samples, 1)), 2.0 ** (np.arange(n_samples) / 2), batch_size=batch_size, epochs=epochs,
              shuffle=shuffle, verbose=0, callbacks=[recorder])
    steps = math.ceil(n_samples / batch_size)
    means = np.array(recorder.running_means).reshape(epochs, steps)
    seen = np.arange(1, steps + 1) * batch_size  # equal batches: n_samples is a multiple of batch_size
    sums = np.diff(means * seen, axis=1, prepend=0)  # each batch's sum of 2**index
    codes = np.rint(sums).astype(np.int64)
    return [[[i for i in range(n_samples) if code >> i & 1] for code in epoch] for epoch in codes]


def test_lesson_5_keras_keeps_batches_with_batch_and_after_set_random_seed_repeats_one_order(keras):
    """The lesson's Step 8 statements about Keras itself (Keras 3, TensorFlow backend).

    The fingerprint shows a batch's samples, not their order inside it, so "shuffles inside each batch"
    is checked on ``batch_indices`` above, which follows Keras' source (``tf.random.shuffle`` per batch).
    ``shuffle=False`` is checked against Keras in test_fit_vs_keras.py.
    """
    model = fingerprint_model(keras)
    in_order = [list(range(start, start + 4)) for start in (0, 4, 8)]
    # the same batches, in order (what "batch" draws at random, the order inside a batch, is not seen here)
    assert keras_batches(keras, model, "batch", 0, epochs=2) == [in_order] * 2
    orders = []
    for seed in SEEDS:
        shuffled = keras_batches(keras, model, True, seed, epochs=2)
        assert sorted(i for batch in shuffled[0] for i in batch) == list(range(12))
        # measured: with the global seed set, the second epoch repeats the first epoch's order
        assert shuffled[1] == shuffled[0], f"seed {seed}: {shuffled}"
        orders.append(shuffled[0])
    assert in_order not in orders and len({str(order) for order in orders}) > 1  # shuffled, seed by seed
    # without a global seed, a new order each epoch (all three equal by chance: p < 1e-9)
    unseeded = keras_batches(keras, model, True, None)
    assert unseeded[0] != unseeded[1] or unseeded[1] != unseeded[2], f"{unseeded}"


def test_lesson_5_step_8s_keras_orders_repeat_after_a_seed_on_20_seeds_and_change_without_one():
    """The lesson's own ``SeenBatches``/``keras_orders``, in a fresh process: unseeded first, then 20 seeds."""
    import json
    import subprocess
    import sys

    sources = []
    for node in statements():
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in ("SeenBatches", "keras_orders"):
            sources.append(ast.unparse(node))
    assert len(sources) == 2, "lesson 5 should define SeenBatches and keras_orders"
    script = "\n".join([
        "import json", "import numpy as np", "from course_utils.experiments import keras_tools", "import keras", *sources,
        "out = {'unseeded': keras_orders(True, epochs=3, seed=None)}",
        "out['seeded'] = {str(s): {str(m): keras_orders(m, seed=s) for m in (True, 'batch')} for s in range(20)}",
        "print('ORDERS', json.dumps(out))"])
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            cwd=LESSON.parents[1])
    lines = [line for line in result.stdout.splitlines() if line.startswith("ORDERS ")]
    assert result.returncode == 0 and lines, result.stderr[-3000:]
    out = json.loads(lines[-1][len("ORDERS "):])
    unseeded = out["unseeded"]
    assert all(sorted(epoch) == list(range(12)) for epoch in unseeded)
    assert unseeded[0] != unseeded[1] or unseeded[1] != unseeded[2], unseeded  # all equal by chance: p < 1e-9
    for seed, by_mode in out["seeded"].items():
        for mode, (first, second) in by_mode.items():
            assert sorted(first) == list(range(12)) and first == second, (seed, mode, first, second)
        batches = [sorted(by_mode["batch"][0][i : i + 4]) for i in (0, 4, 8)]
        assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]  # "batch" keeps the batches in order


# --- what it must contain, and running_means against course_utils.fit -----------------------------------------------


def test_lesson_5_contains_the_keras_facts():
    code = code_of(5)
    for needed in ("mistakes", "validation_split=0.5", "validation_split=0.2", "EarlyStopping(",
                   "restore_best_weights=True", "BatchLossRecorder()", "step_losses", ".evaluate(",
                   ".history", ".params", "batch_indices(", '"batch"', "np.argsort(train_y"):
        assert needed in code, f"lesson 5 should use {needed}"


def test_lesson_5_running_means_agrees_with_course_utils_fit():
    running_means = function_from(5, "running_means", np=np)
    (X, y), _ = datasets.digits()
    X = X.reshape(len(X), 64)[:300]
    y = y[:300]
    start = Dense(64, 10, activation="softmax", rng=0).get_weights()

    def one_epoch(n_samples):
        model = Dense(64, 10, activation="softmax")
        model.set_weights(start)
        return fit(model, X[:n_samples], y[:n_samples], loss="sparse_categorical_crossentropy",
                   optimizer=SGD(0.05), batch_size=32, shuffle=False, verbose=0)

    history = one_epoch(len(X))
    sizes = [len(batch) for batch in batch_indices(len(X), 32, shuffle=False)]
    means = running_means(history.step_losses, sizes)
    assert sizes[-1] == 300 - 9 * 32  # a partial last batch, so the weighting matters
    assert means[-1] == pytest.approx(history.history["loss"][0], rel=1e-12)
    for k in (1, 4, 9):  # after k batches: the epoch loss of a fit on those k batches alone
        assert means[k - 1] == pytest.approx(one_epoch(32 * k).history["loss"][0], rel=1e-12)


# --- what it concludes, in NumPy ------------------------------------------------------------------------------------


def test_lesson_5_mistakes_fall_steeply_at_first_then_level_off(digits_rows):
    X, y = digits_rows
    for seed in SEEDS:
        model, optimizer, rng, mistakes = Dense(64, 10, "softmax", rng=seed), SGD(0.05), np.random.default_rng(seed), []
        for _ in range(30):
            fit(model, X, y, loss="sparse_categorical_crossentropy", optimizer=optimizer, batch_size=32, rng=rng,
                verbose=0)
            mistakes.append(int(np.sum(model.predict(X).argmax(axis=1) != y)))
        assert mistakes[0] - mistakes[1] > 5 * (mistakes[19] - mistakes[29]), f"seed {seed}: {mistakes}"


def test_lesson_5_the_epochs_running_mean_is_above_the_loss_after_the_epoch(digits_rows):
    X, y = digits_rows
    running_means = function_from(5, "running_means")
    for seed in SEEDS:
        model = Dense(64, 10, "softmax", rng=seed)
        history = fit(model, X, y, loss="sparse_categorical_crossentropy", optimizer=SGD(0.05), batch_size=32,
                      rng=seed, verbose=0)
        sizes = [len(b) for b in batch_indices(len(X), 32, shuffle=False)]
        epoch_loss = running_means(history.step_losses, sizes)[-1]
        assert epoch_loss == pytest.approx(history.history["loss"][0])
        assert epoch_loss > model.loss(X, y, "sparse_categorical_crossentropy")


def test_lesson_5_a_sorted_tail_holds_only_the_highest_labels_mostly_unseen_in_training(digits_rows):
    _, y = digits_rows
    sorted_y = np.sort(y, kind="stable")
    n_train = int(np.floor(len(sorted_y) * (1 - 0.2)))
    train_labels, tail_labels = set(sorted_y[:n_train]), set(sorted_y[n_train:])
    assert min(tail_labels) >= max(train_labels)
    assert len(tail_labels - train_labels) > len(tail_labels) / 2
