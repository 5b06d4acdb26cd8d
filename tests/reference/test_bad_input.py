"""Bad input gets a ValueError or TypeError that names the function, the argument and what is accepted.

One table per module: each row is a call, the error it must raise and words its message must hold.
No row may return a result (a silent wrong answer) or run on without bound.
"""

import io

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from course_utils import SGD, Adam, fit
from course_utils.experiments import batch_size_study, explorer, plotting
from course_utils.reference import batching, datasets, gd, losses  # noqa: E402
from course_utils.reference.models import Dense  # noqa: E402
from course_utils.reference.progress import ProgressBar  # noqa: E402

X20, Y20 = datasets.linear_regression(20)


def _fit(**overrides):
    kwargs = dict(loss="mse", optimizer=SGD(), batch_size=4, epochs=1, verbose=0)
    kwargs.update(overrides)
    X, y = kwargs.pop("X", X20), kwargs.pop("y", Y20)
    model = kwargs.pop("model", None) or Dense(1, rng=0)
    return fit(model, X, y, **kwargs)


def _with_nan(array, row):
    array = np.array(array, dtype=float)
    array[row] = np.nan
    return array


def _check(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"


# --- counts: every count argument, every bad kind of count ----------------------------------------------------------

COUNTS = [
    ("steps_per_epoch: batch_size", lambda v: batching.steps_per_epoch(10, v)),
    ("steps_per_epoch: n_samples", lambda v: batching.steps_per_epoch(v, 2)),
    ("total_steps: epochs", lambda v: batching.total_steps(10, 2, v)),
    ("batch_indices: batch_size", lambda v: batching.batch_indices(10, v)),
    ("minibatches: batch_size", lambda v: list(batching.minibatches(np.zeros(4), np.zeros(4), v))),
    ("fit: batch_size", lambda v: _fit(batch_size=v)),
    ("fit: epochs", lambda v: _fit(epochs=v)),
    ("Dense: n_inputs", lambda v: Dense(v)),
    ("Dense: units", lambda v: Dense(1, v)),
    ("ProgressBar: steps", lambda v: ProgressBar(1, v)),
    ("gradient_descent: epochs", lambda v: gd.gradient_descent(X20, Y20, 4, epochs=v)),
    ("linear_regression: n_samples", lambda v: datasets.linear_regression(v)),
    ("plot_batch_assignment: epochs", lambda v: plotting.plot_batch_assignment(10, 4, v)),
]


@pytest.mark.parametrize("value, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (2.0, TypeError),
                                          ("8", TypeError), (True, TypeError), (np.True_, TypeError), (None, TypeError)])
@pytest.mark.parametrize("name, call", COUNTS, ids=[name for name, _ in COUNTS])
def test_counts_must_be_whole_numbers_at_least_one(name, call, value, error):
    if value is None and "batch_size" in name:
        return  # None means Keras' default, 32
    _check(lambda: call(value), error, [name, ">= 1", "got"])


@pytest.mark.parametrize("value", [np.int64(3), np.int32(3), np.uint8(3)])
def test_numpy_integers_are_counts(value):
    assert batching.steps_per_epoch(value, value) == 1
    assert len(_fit(batch_size=value, epochs=value).history["loss"]) == 3


# --- batching ---------------------------------------------------------------------------------------------------------

BATCHING = [
    ("shuffle=1", lambda: batching.batch_indices(10, 2, shuffle=1), TypeError, ["batch_indices: shuffle", "True, False or 'batch'", "got 1"]),
    ("shuffle='yes'", lambda: batching.batch_indices(10, 2, shuffle="yes"), ValueError, ["shuffle must be True, False or 'batch'"]),
    ("shuffle=None", lambda: batching.minibatches(np.zeros(4), np.zeros(4), 2, shuffle=None), TypeError, ["minibatches: shuffle"]),
    ("fit shuffle=0", lambda: _fit(shuffle=0), TypeError, ["fit: shuffle"]),
    ("drop_remainder=1", lambda: batching.steps_per_epoch(10, 3, drop_remainder=1), TypeError, ["drop_remainder", "True or False"]),
    ("rng=-1", lambda: batching.batch_indices(10, 2, rng=-1), ValueError, ["batch_indices: rng", ">= 0"]),
    ("rng='seed'", lambda: batching.batch_indices(10, 2, rng="seed"), TypeError, ["rng must be None, an int seed >= 0 or a numpy.random.Generator"]),
    ("rng=1.5", lambda: batching.minibatches(np.zeros(4), np.zeros(4), 2, rng=1.5), TypeError, ["minibatches: rng"]),
    ("X, y lengths", lambda: batching.minibatches(np.zeros(5), np.zeros(4), 2), ValueError, ["minibatches: X and y must have the same number of samples", "len(X)=5 and len(y)=4"]),
    ("empty", lambda: batching.minibatches(np.zeros((0, 2)), np.zeros(0), 2), ValueError, ["minibatches", "empty"]),
    ("scalar", lambda: batching.minibatches(3.0, 3.0, 2), ValueError, ["minibatches", "scalar"]),
]


@pytest.mark.parametrize("call, error, words", [row[1:] for row in BATCHING], ids=[row[0] for row in BATCHING])
def test_batching(call, error, words):
    _check(call, error, words)


def test_numpy_bools_shuffle_as_bools_do():
    assert np.array_equal(np.concatenate(batching.batch_indices(10, 3, shuffle=np.False_)), np.arange(10))
    shuffled = np.concatenate(batching.batch_indices(10, 3, shuffle=np.True_, rng=0))
    assert np.array_equal(shuffled, np.concatenate(batching.batch_indices(10, 3, shuffle=True, rng=0)))


# --- losses -------------------------------------------------------------------------------------------------------------

BCE, SCCE, MSE = losses.BINARY_CROSSENTROPY, losses.SPARSE_CATEGORICAL_CROSSENTROPY, losses.MSE

LOSSES = [
    ("bce label 2", lambda: BCE([2.0], [0.5]), ValueError, ["binary_crossentropy: y_true must be labels in [0, 1]", "2"]),
    ("bce y_pred 1.5", lambda: BCE.gradient([1.0], [1.5]), ValueError, ["y_pred must be probabilities in [0, 1]", "1.5"]),
    ("bce y_pred -0.1", lambda: BCE([0.0], [-0.1]), ValueError, ["y_pred must be probabilities"]),
    ("scce label 3 of 2", lambda: SCCE([3], [[0.5, 0.5]]), ValueError, ["y_true must be class labels in [0, 1]", "3"]),
    ("scce label -1", lambda: SCCE([-1], [[0.5, 0.5]]), ValueError, ["class labels in [0, 1]", "-1"]),
    ("scce label 0.5", lambda: SCCE([0.5], [[0.5, 0.5]]), ValueError, ["integer class labels"]),
    ("scce 1-D y_pred", lambda: SCCE([0], [0.5]), ValueError, ["y_pred must be a non-empty array of shape (batch, units)"]),
    ("mse shapes", lambda: MSE([1.0, 2.0, 3.0], [[1.0], [2.0]]), ValueError, ["mean_squared_error: y_true must hold 2 samples"]),
    ("mse columns", lambda: MSE([[1.0, 2.0], [3.0, 4.0]], [[1.0], [2.0]]), ValueError, ["y_true must have shape (n_samples,) or (n_samples, 1)"]),
    ("mse NaN", lambda: MSE([np.nan], [1.0]), ValueError, ["y_true contains NaN or infinity (row 0)"]),
    ("mse inf pred", lambda: MSE([1.0], [np.inf]), ValueError, ["y_pred contains NaN or infinity"]),
    ("mse strings", lambda: MSE(["a"], [1.0]), TypeError, ["y_true must be an array of numbers"]),
    ("mse empty", lambda: MSE([], []), ValueError, ["y_pred must be a non-empty array"]),
    ("get hinge", lambda: losses.get("hinge"), ValueError, ["loss must be one of", "'hinge'"]),
    ("get 3", lambda: losses.get(3), TypeError, ["loss must be one of", "3 (int)"]),
    ("targets units 0", lambda: losses.targets(MSE, [1.0], 0), ValueError, ["targets: units"]),
]


@pytest.mark.parametrize("call, error, words", [row[1:] for row in LOSSES], ids=[row[0] for row in LOSSES])
def test_losses(call, error, words):
    _check(call, error, words)


# --- models -------------------------------------------------------------------------------------------------------------

MODELS = [
    ("activation relu", lambda: Dense(1, activation="relu"), ValueError, ["Dense: activation must be one of"]),
    ("activation list", lambda: Dense(1, activation=["sigmoid"]), TypeError, ["Dense: activation must be one of"]),
    ("rng -1", lambda: Dense(1, rng=-1), ValueError, ["Dense: rng"]),
    ("X columns", lambda: Dense(2).predict(np.zeros((3, 3))), ValueError, ["Dense.predict: X must have shape (batch, 2)"]),
    ("X NaN", lambda: Dense(2).predict(_with_nan(np.zeros((4, 2)), 3)), ValueError, ["Dense.predict: X contains NaN or infinity (row 3)"]),
    ("X empty", lambda: Dense(2).logits(np.zeros((0, 2))), ValueError, ["batch >= 1"]),
    ("X strings", lambda: Dense(1).predict(["a"]), TypeError, ["Dense.predict: X must be an array of numbers"]),
    ("y length", lambda: Dense(1).loss_and_gradients(np.zeros((3, 1)), np.zeros(4), "mse"), ValueError, ["Dense.loss_and_gradients: y must hold 3 samples"]),
    ("y NaN", lambda: Dense(1).loss_and_gradients(np.zeros((3, 1)), [0, np.nan, 0], "mse"), ValueError, ["y contains NaN or infinity (row 1)"]),
    ("linear + bce", lambda: Dense(1).loss(np.zeros((3, 1)), np.zeros(3), "binary_crossentropy"), ValueError, ["Dense.loss", "activation='linear'", "'sigmoid'"]),
    ("loss keras object", lambda: Dense(1).loss(np.zeros((3, 1)), np.zeros(3), object()), TypeError, ["Dense.loss: loss must be one of"]),
    ("set_weights one", lambda: Dense(1).set_weights([np.zeros((1, 1))]), TypeError, ["Dense.set_weights: weights must be a list [W, b]"]),
    ("set_weights shape", lambda: Dense(1).set_weights([np.zeros((2, 1)), np.zeros(1)]), ValueError, ["Dense.set_weights: weights must have shapes"]),
    ("set_weights NaN", lambda: Dense(1).set_weights([[[np.nan]], [0.0]]), ValueError, ["Dense.set_weights: W contains NaN"]),
    ("W shape", lambda: setattr(Dense(2), "W", np.zeros((3, 1))), ValueError, ["Dense.W must have shape (2, 1)"]),
]


@pytest.mark.parametrize("call, error, words", [row[1:] for row in MODELS], ids=[row[0] for row in MODELS])
def test_models(call, error, words):
    _check(call, error, words)


# --- optimizers ---------------------------------------------------------------------------------------------------------

W = np.zeros((2, 1))

OPTIMIZERS = [
    ("lr 0", lambda: SGD(0), ValueError, ["SGD: learning_rate must be a finite number > 0", "got 0"]),
    ("lr nan", lambda: Adam(float("nan")), ValueError, ["Adam: learning_rate must be a finite number > 0"]),
    ("lr '0.1'", lambda: SGD("0.1"), TypeError, ["SGD: learning_rate"]),
    ("lr True", lambda: SGD(True), TypeError, ["SGD: learning_rate"]),
    ("momentum 1.5", lambda: SGD(momentum=1.5), ValueError, ["SGD: momentum must be in [0, 1]"]),
    ("nesterov 'no'", lambda: SGD(momentum=0.9, nesterov="no"), TypeError, ["SGD: nesterov must be True or False"]),
    ("beta_1 1", lambda: Adam(beta_1=1.0), ValueError, ["Adam: beta_1 must be in [0.0, 1.0)"]),
    ("epsilon 0", lambda: Adam(epsilon=0), ValueError, ["Adam: epsilon"]),
    ("fewer gradients", lambda: SGD().apply([W, W.copy()], [W]), ValueError, ["SGD.apply: parameters and gradients must be non-empty lists of the same length", "2 parameters and 1 gradients"]),
    ("list parameter", lambda: Adam().apply([[0.0, 0.0]], [np.zeros(2)]), TypeError, ["Adam.apply: parameters[0] must be a writeable NumPy float array"]),
    ("int parameter", lambda: SGD().apply([np.zeros(2, dtype=int)], [np.zeros(2)]), TypeError, ["parameters[0]"]),
    ("gradient shape", lambda: SGD().apply([W], [np.zeros(3)]), ValueError, ["SGD.apply: gradients[0] must have the shape of parameters[0], (2, 1)"]),
    ("gradient NaN", lambda: SGD().apply([W], [np.full((2, 1), np.nan)]), ValueError, ["SGD.apply: gradients[0] contains NaN"]),
    ("one array, not a list", lambda: SGD().apply(W, W), TypeError, ["SGD.apply: parameters must be a list of NumPy arrays"]),
]


@pytest.mark.parametrize("call, error, words", [row[1:] for row in OPTIMIZERS], ids=[row[0] for row in OPTIMIZERS])
def test_optimizers(call, error, words):
    _check(call, error, words)


def test_a_refused_update_changes_nothing():
    optimizer, param = Adam(), np.ones(2)
    with pytest.raises(ValueError):
        optimizer.apply([param, np.ones(3)], [np.ones(2)])
    assert optimizer.iterations == 0 and np.array_equal(param, np.ones(2))


# --- fit ----------------------------------------------------------------------------------------------------------------

FIT = [
    ("optimizer 'sgd'", lambda: _fit(optimizer="sgd"), TypeError,
     ["fit: optimizer must be an optimizer object such as course_utils.SGD(0.01), got the string 'sgd'", "Keras accepts strings"]),
    ("optimizer class", lambda: _fit(optimizer=SGD), TypeError, ["fit: optimizer must be an optimizer object"]),
    ("model", lambda: _fit(model="dense"), TypeError, ["fit: model must be a course_utils.reference.models.Dense"]),
    ("loss hinge", lambda: _fit(loss="hinge"), ValueError, ["fit: loss must be one of"]),
    ("loss None", lambda: _fit(loss=None), TypeError, ["fit: loss must be one of"]),
    ("X NaN", lambda: _fit(X=_with_nan(X20, 3)), ValueError, ["fit: X contains NaN or infinity (row 3)"]),
    ("y inf", lambda: _fit(y=np.where(np.arange(20) == 7, np.inf, Y20)), ValueError, ["fit: y contains NaN or infinity (row 7)"]),
    ("X, y lengths", lambda: _fit(X=np.zeros((5, 1)), y=np.zeros(4)), ValueError, ["fit: X and y must have the same number of samples"]),
    ("empty", lambda: _fit(X=np.zeros((0, 1)), y=np.zeros(0)), ValueError, ["fit: X and y are empty"]),
    ("X columns", lambda: _fit(X=np.zeros((20, 2))), ValueError, ["fit: X must have shape (batch, 1)"]),
    ("y columns", lambda: _fit(y=np.zeros((20, 2))), ValueError, ["fit: y must have shape (n_samples,) or (n_samples, 1)"]),
    ("y strings", lambda: _fit(y=np.array(["a"] * 20)), TypeError, ["fit: y must be an array of numbers"]),
    ("bce label 2", lambda: _fit(model=Dense(1, activation="sigmoid"), loss="binary_crossentropy", y=np.full(20, 2.0)), ValueError, ["fit: y must be labels in [0, 1]"]),
    ("bce linear", lambda: _fit(loss="binary_crossentropy", y=np.zeros(20)), ValueError, ["fit: loss binary_crossentropy takes probabilities"]),
    ("scce label 5 of 3", lambda: _fit(model=Dense(1, 3, "softmax"), loss="sparse_categorical_crossentropy", y=np.full(20, 5)), ValueError, ["fit: y must be class labels in [0, 2]"]),
    ("validation_split 1.0", lambda: _fit(validation_split=1.0), ValueError, ["fit: validation_split must be in [0.0, 1.0)"]),
    ("validation_split nan", lambda: _fit(validation_split=float("nan")), ValueError, ["fit: validation_split"]),
    ("validation_split leaves nothing", lambda: _fit(X=np.zeros((1, 1)), y=np.zeros(1), validation_split=0.5), ValueError,
     ["validation_split=0.5 leaves no samples for training or validation with 1 samples"]),
    ("verbose 3", lambda: _fit(verbose=3), ValueError, ["fit: verbose must be 0"]),
    ("verbose '1'", lambda: _fit(verbose="1"), TypeError, ["fit: verbose must be 0"]),
    ("rng -1", lambda: _fit(rng=-1), ValueError, ["fit: rng"]),
    ("file", lambda: _fit(verbose=1, file="out.txt"), TypeError, ["file must be None"]),
    ("too many updates", lambda: _fit(batch_size=1, epochs=10**7), ValueError, ["fit: epochs=10000000 with 20 samples and batch_size=1 would make 200000000 updates", "at most 1000000 are allowed"]),
    ("used optimizer", lambda: _fit(model=Dense(2, rng=0), X=np.zeros((20, 2)), optimizer=_used_adam()), ValueError, ["fit: optimizer has already trained another model"]),
]


def _used_adam():
    optimizer = Adam()
    _fit(optimizer=optimizer)
    return optimizer


@pytest.mark.parametrize("call, error, words", [row[1:] for row in FIT], ids=[row[0] for row in FIT])
def test_fit(call, error, words):
    _check(call, error, words)


def test_a_diverging_loss_stops_fit_naming_the_step():
    X = np.linspace(-100, 100, 20).reshape(-1, 1)
    optimizer = SGD(10.0)
    with pytest.raises(FloatingPointError) as info:
        fit(Dense(1, rng=0), X, 3 * X[:, 0], loss="mse", optimizer=optimizer, batch_size=4, epochs=50, verbose=0)
    message = str(info.value)
    assert "at step" in message and "epoch" in message and "smaller learning_rate than 10.0" in message
    step = int(message.split("at step ")[1].split()[0])
    assert 1 < step <= 250
    assert optimizer.iterations == step - 1  # the updates made before the loss blew up


def test_keras_style_verbose_auto_is_accepted():
    out = io.StringIO()
    _fit(verbose="auto", file=out)
    assert "Epoch 1/1" in out.getvalue()


# --- datasets, gd, progress, plotting, studies, explorer --------------------------------------------------------------

OTHERS = [
    ("digits test_fraction 0.9999", lambda: datasets.digits(test_fraction=0.9999), ValueError, ["digits: test_fraction=0.9999 leaves no training images"]),
    ("digits test_fraction 1", lambda: datasets.digits(test_fraction=1.0), ValueError, ["digits: test_fraction must be in [0.0, 1.0)"]),
    ("linear_regression noise nan", lambda: datasets.linear_regression(noise=float("nan")), ValueError, ["linear_regression: noise must be a finite number >= 0"]),
    ("linear_regression noise -1", lambda: datasets.linear_regression(noise=-1), ValueError, ["linear_regression: noise"]),
    ("tabular n_features 2", lambda: datasets.tabular_binary(n_features=2), ValueError, ["tabular_binary: n_features must be a whole number >= 3"]),
    ("gd 10**9 epochs", lambda: gd.gradient_descent(X20, Y20, 1, epochs=10**9), ValueError, ["gradient_descent: epochs=1000000000", "at most 1000000 are allowed"]),
    ("gd theta nan", lambda: gd.cost([np.nan, 0], X20, Y20), ValueError, ["cost: theta contains NaN"]),
    ("gd X nan", lambda: gd.gradient([0, 0], _with_nan(X20, 2), Y20), ValueError, ["gradient: X contains NaN or infinity (row 2)"]),
    ("gd replacement 1", lambda: gd.gradient_descent(X20, Y20, 4, replacement=1), TypeError, ["gradient_descent: replacement must be True or False"]),
    ("ProgressBar verbose", lambda: ProgressBar(1, 1, 5), ValueError, ["ProgressBar: verbose"]),
    ("ProgressBar interval", lambda: ProgressBar(1, 1, interval=-1), ValueError, ["ProgressBar: interval"]),
    ("plot_loss 2-D", lambda: plotting.plot_loss(np.zeros((3, 2))), ValueError, ["plot_loss: curves must be a non-empty 1-D sequence"]),
    ("plot_loss empty", lambda: plotting.plot_loss({"a": []}), ValueError, ["plot_loss: curves['a']"]),
    ("plot_loss per", lambda: plotting.plot_loss([1.0], per="batch"), ValueError, ["plot_loss: per must be 'epoch' or 'step'"]),
    ("plot_loss ax", lambda: plotting.plot_loss([1.0], ax="left"), TypeError, ["ax must be None"]),
    ("plot_gd_paths shape", lambda: plotting.plot_gd_paths(lambda w, b: w, {"gd": np.zeros((3, 3))}), ValueError, ["plot_gd_paths: paths['gd'] must have shape (n_updates + 1, 2)"]),
    ("plot_gd_paths loss_fn", lambda: plotting.plot_gd_paths("mse", {"gd": np.zeros((3, 2))}), TypeError, ["plot_gd_paths: loss_fn"]),
    ("plot_batch_assignment epochs 0", lambda: plotting.plot_batch_assignment(10, 4, 0), ValueError, ["plot_batch_assignment: epochs"]),
    ("study train lr", lambda: batch_size_study.train(lambda: Dense(1), X20, Y20, loss="mse", batch_size=4, learning_rate=0, epochs=1), ValueError, ["train: learning_rate"]),
    ("study make_model", lambda: batch_size_study.train(lambda: "dense", X20, Y20, loss="mse", batch_size=4, learning_rate=0.1, epochs=1), TypeError, ["train: make_model(): model must be a course_utils.reference.models.Dense"]),
    ("study noise model", lambda: batch_size_study.gradient_noise("dense", X20, Y20, loss="mse", batch_sizes=[2]), TypeError, ["gradient_noise: model"]),
    ("study sweep rng -1", lambda: batch_size_study.sweep(lambda: Dense(1), X20, Y20, loss="mse", batch_sizes=[2], learning_rate=0.1, epochs=1, rng=-1), TypeError, ["sweep: rng"]),
    ("linear_scaling call", lambda: batch_size_study.linear_scaling(0.1, 32)(0), ValueError, ["batch_size"]),
    ("explorer NaN", lambda: explorer.explore_batch_size(_with_nan(X20, 0), Y20), ValueError, ["explore_batch_size: X contains NaN"]),
    ("explorer labels", lambda: explorer.explore_batch_size(X20, np.full(20, 3.0), loss="binary_crossentropy", activation="sigmoid"), ValueError, ["explore_batch_size: y must be labels in [0, 1]"]),
    ("explorer epochs", lambda: explorer.explore_batch_size(epochs=[10**9]), ValueError, ["explore_batch_size: epochs=1000000000 with", "at most 1000000 are allowed"]),
]


@pytest.mark.parametrize("call, error, words", [row[1:] for row in OTHERS], ids=[row[0] for row in OTHERS])
def test_other_modules(call, error, words):
    _check(call, error, words)


def test_keras_tools_counts():
    from course_utils.experiments import keras_tools

    _check(lambda: keras_tools.count_steps(10, 0, 1), ValueError, ["count_steps: batch_size must be a whole number >= 1 or None, got 0"])
    _check(lambda: keras_tools.count_steps(10, 2, 10**6), ValueError, ["count_steps: epochs * steps_per_epoch must be at most"])
    _check(lambda: keras_tools.dense_model(1, seed=-1), ValueError, ["dense_model: seed"])
