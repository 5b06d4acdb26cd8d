"""Helpers for the exercises' test cells: feedback that says what was expected, what was given, and a hint.

Every check raises ``AssertionError`` with a message of the form::

    expected 3 steps for n_samples=7, batch_size=3, got 2:
    is the last partial batch counted? Keras keeps it: ceil(n_samples / batch_size)

wrapped to short lines, because ``nbgrader validate`` cuts every line of a
traceback at 90 characters. Messages are in the notebook's language
(``messages``): a test's hint and problem are looked up in the catalogue, the
checks' own phrases are templates with named fields. Test cells import what they use from here inside
the cell, so a student who redefines a helper in their own cell changes nothing.
"""

from __future__ import annotations

import numbers
import textwrap

import numpy as np

from course_utils.grading import messages
from course_utils.grading.messages import text
from course_utils.grading.kernel import given


def show(value) -> str:
    """A short, readable form of a value for a feedback message."""
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=4, threshold=12, edgeitems=3, separator=", ")
    if isinstance(value, (list, tuple)) and len(value) > 12:
        head = ", ".join(show(v) for v in value[:5])
        return f"[{head}, ... ({len(value)} items)]"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + f"... ({len(text)} characters)"


MAX_SHOWN = 300
"""Longest form of one value in a feedback message."""

MAX_MESSAGE = 3000
"""Longest problem (and hint) a feedback message wraps: wrapping is slow on huge text."""


WIDTH = 68
"""Longest line of a feedback message (nbgrader validate shows 90 characters, indented)."""


def feedback(problem: str, hint: str = "") -> str:
    """``problem``, then ``hint`` on the next lines, each wrapped to WIDTH characters, in the notebook's language."""
    return _wrapped(_translated(problem), hint)


def _translated(value) -> str:
    return messages.translated(str(value)[:MAX_MESSAGE])


def _wrapped(problem: str, hint) -> str:
    """``problem`` (already in the notebook's language), then ``hint`` (translated here), wrapped."""
    problem, hint = problem[:MAX_MESSAGE], _translated(hint)
    lines = textwrap.wrap(text("{problem}:", problem=problem) if hint else problem, WIDTH, break_on_hyphens=False)
    if hint:
        lines += textwrap.wrap(text("{hint}", hint=hint), WIDTH, break_on_hyphens=False)
    return "\n".join(lines)


def _message(what: str, expected, got, hint: str) -> str:
    problem = text("expected {expected} {what}, got {got}", expected=show(expected), what=_translated(what),
                   got=show(got))
    return _wrapped(problem, hint)


def _same(expected, got) -> bool:
    if isinstance(expected, numbers.Number) and not isinstance(expected, bool):
        return isinstance(got, numbers.Number) and not isinstance(got, bool) and got == expected
    try:
        return bool(np.array_equal(np.asarray(expected), np.asarray(got)))
    except (TypeError, ValueError):
        return expected == got


def expect_equal(what: str, expected, got, hint: str = "") -> None:
    """Fail unless ``got`` equals ``expected`` (numbers by value, so 3.0 counts as 3; sequences element-wise)."""
    __tracebackhide__ = True  # IPython shows the test's line, not this helper's
    if not _same(expected, got):
        raise AssertionError(_message(what, expected, got, hint))


def expect_close(what: str, expected, got, hint: str = "", *, atol: float = 1e-6, rtol: float = 1e-6) -> None:
    """Fail unless ``got`` has the shape of ``expected`` and is within ``atol + rtol * |expected|`` of it."""
    __tracebackhide__ = True  # IPython shows the test's line, not this helper's
    expected = np.asarray(expected, dtype=float)
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(_message(what, expected, got, hint or "the result should be numbers")) from None
    if got_array.size == expected.size and got_array.shape != expected.shape:
        got_array = got_array.reshape(expected.shape)  # a (2, 1) column where (2,) was expected is fine
    if got_array.shape != expected.shape:
        problem = text("expected shape {expected} {what}, got shape {got}", expected=expected.shape,
                       what=_translated(what), got=got_array.shape)
        raise AssertionError(_wrapped(problem, hint))
    if not np.allclose(got_array, expected, atol=atol, rtol=rtol):
        worst = float(np.max(np.abs(got_array - expected)))
        what = text("{what} (largest difference {worst})", what=_translated(what), worst=f"{worst:.3g}")
        problem = text("expected {expected} {what}, got {got}", expected=show(expected), what=what,
                       got=show(got_array))
        raise AssertionError(_wrapped(problem, hint))


def expect_true(condition, problem: str, hint: str = "") -> None:
    """Fail, saying ``problem`` and ``hint``, unless ``condition`` holds."""
    __tracebackhide__ = True  # IPython shows the test's line, not this helper's
    if not condition:
        raise AssertionError(feedback(problem, hint))


def expect_raises(what: str, errors, result, hint: str = "", *, names: str | None = None) -> None:
    """Fail unless ``result`` (from ``outcome``) is a raised one of ``errors``; with ``names``, naming that word.

    Returns None, so that a test cell ending with it prints nothing when it passes.
    """
    __tracebackhide__ = True  # IPython shows the test's line, not this helper's
    from course_utils.grading.kernel.plain import Raised

    errors = errors if isinstance(errors, tuple) else (errors,)
    accepted = text(" or ").join(e.__name__ for e in errors)
    if not isinstance(result, Raised):
        problem = text("expected {accepted} for {what}, but nothing was raised", accepted=accepted,
                       what=_translated(what))
        raise AssertionError(_wrapped(problem, hint))
    if not result.is_a(*errors):
        problem = text("expected {accepted} for {what}, got {name}: {message}", accepted=accepted,
                       what=_translated(what), name=result.name, message=_translated(result.message))
        raise AssertionError(_wrapped(problem, hint))
    if names is not None and names not in result.message:
        problem = text("expected the {name} for {what} to name {names}, got {message}", name=result.name,
                       what=_translated(what), names=repr(names), message=repr(result.message))
        raise AssertionError(_wrapped(problem, hint))


def as_batches(result, what: str = "the batches") -> list[tuple[np.ndarray, np.ndarray]]:
    """Turn what a mini-batch function returned (list or generator of ``(X_batch, y_batch)``) into a list of arrays."""
    try:
        items = list(result)
    except TypeError:
        problem = text("expected {what} to be a list or generator of (X_batch, y_batch) pairs, got {type}",
                       what=_translated(what), type=type(result).__name__)
        raise AssertionError(_wrapped(problem, "")) from None
    batches = []
    for number, item in enumerate(items, 1):
        try:
            X_batch, y_batch = item
        except (TypeError, ValueError):
            problem = text("expected batch {number} of {what} to be a pair (X_batch, y_batch), got {item}",
                           number=number, what=_translated(what), item=show(item))
            raise AssertionError(_wrapped(problem, "")) from None
        batches.append((np.asarray(X_batch), np.asarray(y_batch)))
    return batches


def row_ids(rows, X) -> list[int]:
    """The index in ``X`` of each row of ``rows`` (rows of X must be unique); fail if a row is not in X."""
    X = np.asarray(X)
    lookup = {np.asarray(row).tobytes(): i for i, row in enumerate(X.reshape(len(X), -1))}
    rows = np.asarray(rows, dtype=X.dtype).reshape(-1, X[0].size)
    ids = []
    for row in rows:
        key = row.tobytes()
        if key not in lookup:
            raise AssertionError(_wrapped(text("a batch holds a row that is not in X: {row}", row=show(row)), ""))
        ids.append(lookup[key])
    return ids


class GradientRecorder(given.GradientRecorder):
    """What a kernel's ``GradientRecorder`` (``kernel.given``) saw, with the trusted copy of its gradient.

    ``calls`` counts the calls (one per update in a correct loop); ``thetas``,
    ``X_batches`` and ``y_batches`` hold what each call received, and
    ``gradient`` is the trusted function of the same name, so that a test can
    replay the updates here. Called directly (the checks' own tests) it records
    as the kernel's does, with ``gradient`` any function.
    """

    def __init__(self, gradient, n_features: int):
        self.gradient, self.name = gradient, getattr(gradient, "__name__", repr(gradient))
        self.n_features, self.max_calls = int(n_features), given.MAX_RECORDED_CALLS
        self.thetas: list[np.ndarray] = []
        self.X_batches: list[np.ndarray] = []
        self.y_batches: list[np.ndarray] = []

    @property
    def calls(self) -> int:
        return len(self.thetas)

    @property
    def batch_sizes(self) -> list[int]:
        return [len(X_batch) for X_batch in self.X_batches]

    @classmethod
    def from_plain(cls, plain: dict) -> "GradientRecorder":
        """A recorder holding what the kernel's recorder reported; its gradient is the trusted one it named."""
        n_features = int(plain["n_features"])
        recorder = cls(given.GRADIENTS[str(plain["gradient"])], n_features)
        recorder.thetas = [np.asarray(t, dtype=float) for t in plain["thetas"]]
        recorder.X_batches = [np.asarray(X, dtype=float).reshape(-1, n_features) for X in plain["X_batches"]]
        recorder.y_batches = [np.asarray(y, dtype=float).reshape(-1) for y in plain["y_batches"]]
        return recorder

    @classmethod
    def from_given(cls, seen: dict) -> "GradientRecorder":
        """The recorder among what ``observe(..., probe="with_given")`` reported of the helpers it passed."""
        recorders = [plain for plain in seen["given"] if isinstance(plain, dict) and "thetas" in plain]
        if len(recorders) != 1:
            problem = text("expected one gradient recorder in the call, found {count}", count=len(recorders))
            raise AssertionError(_wrapped(problem, ""))
        return cls.from_plain(recorders[0])

    def epochs_of_ids(self, X, steps_per_epoch: int) -> list[list[int]]:
        """The sample indices each epoch used, in order, grouping the calls ``steps_per_epoch`` at a time."""
        ids = [row_ids(X_batch, X) for X_batch in self.X_batches]
        return [sum(ids[start : start + steps_per_epoch], []) for start in range(0, len(ids), steps_per_epoch)]


def check_updates(recorder: GradientRecorder, theta0, theta, learning_rate: float, hint: str = "") -> None:
    """Check that each gradient call was followed by exactly one update ``theta -= learning_rate * gradient``.

    The first call must see ``theta0``; each later call (and the returned
    ``theta``) must see the parameters of the call before it, minus
    ``learning_rate`` times the gradient the recorder gave there: recomputed here
    with the trusted gradient the recorder wraps, from the parameters and batch
    it saw (the same inputs give the same gradient, so a step's rounding never
    grows into a difference).
    """
    expected = np.array(theta0, dtype=float)
    for step, (seen, X_batch, y_batch) in enumerate(zip(recorder.thetas, recorder.X_batches, recorder.y_batches), 1):
        expect_close(
            f"parameters before update {step}",
            expected,
            seen,
            hint or "was each gradient applied once, with theta -= learning_rate * gradient, before the next one?",
        )
        seen = np.asarray(seen, dtype=float).reshape(expected.shape)
        expected = seen - learning_rate * recorder.gradient(seen, X_batch, y_batch)
    expect_close("parameters after the last update", expected, theta, hint or "return the parameters after the last update")


def lines_of(ax) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``(x, y)`` data of every line drawn on ``ax``."""
    return [(np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)) for line in ax.get_lines()]


def axes_of(result):
    """The Axes a plotting function returned (an Axes, or a Figure with one Axes)."""
    import matplotlib.axes
    import matplotlib.figure

    if isinstance(result, matplotlib.axes.Axes):
        return result
    if isinstance(result, matplotlib.figure.Figure) and len(result.axes) == 1:
        return result.axes[0]
    problem = text("expected a matplotlib Axes (or a Figure with one Axes), got {type}", type=type(result).__name__)
    raise AssertionError(_wrapped(problem, ""))


def check_loss_axes(ax, curves: dict, per: str) -> None:
    """Check a loss plot: one line per curve, its y data the curve, x counting 1, 2, 3, ... (or from 0), a legend."""
    lines = lines_of(ax)
    expect_equal("lines on the plot", len(curves), len(lines), "draw one line per curve")
    for (label, values), (x, y) in zip(curves.items(), lines):
        values = np.asarray(values, dtype=float)
        expect_close(f"y values of the line for {label!r}", values, y, "plot the losses themselves, in order")
        start = x[0] if len(x) else 1
        expect_true(
            start in (0, 1) and np.array_equal(x, start + np.arange(len(values))),
            f"expected the x values of the line for {label!r} to count {per}s 1, 2, 3, ..., got {show(x)}",
            f"one point per {per}, in order",
        )
    legend = ax.get_legend()
    labels = [label.get_text() for label in legend.get_texts()] if legend is not None else []
    expect_equal("legend labels", list(curves), labels, "label each line with its key and call ax.legend()")


X_AXIS_WORDS = {"epoch": ("epoch",), "step": ("step", "update", "iteration")}


def check_axis_labels(ax, per: str) -> None:
    """Check that the x-axis says what it counts (epoch, or step/update) and the y-axis says loss."""
    xlabel, ylabel = ax.get_xlabel(), ax.get_ylabel()
    words = X_AXIS_WORDS[per]
    says = any(word in xlabel.lower() for word in words) and not (per == "step" and "epoch" in xlabel.lower())
    expect_true(
        says,
        f"expected the x-axis label to say {' or '.join(repr(w) for w in words)} for per={per!r}, got {xlabel!r}",
        "a reader must know whether the x-axis counts epochs or steps (updates)",
    )
    expect_true("loss" in ylabel.lower(), f"expected the y-axis label to mention 'loss', got {ylabel!r}")


def linear_mse(theta, X_batch, y_batch) -> float:
    """Reference batch MSE of ``b + X @ w`` for ``theta = [b, w_1, ..., w_k]`` (Keras' ``"mse"``)."""
    theta = np.asarray(theta, dtype=float)
    X_batch = np.asarray(X_batch, dtype=float).reshape(len(np.atleast_1d(y_batch)), -1)
    error = theta[0] + X_batch @ theta[1:] - np.asarray(y_batch, dtype=float).reshape(-1)
    return float(np.mean(error**2))


def linear_mse_gradient(theta, X_batch, y_batch) -> np.ndarray:
    """Reference gradient of the batch MSE of ``b + X @ w`` for ``theta = [b, w_1, ..., w_k]``.

    Computed by ``course_utils.reference.models.Dense`` (Keras' MSE: the mean over the
    batch), so the exercises' loops are held to the package's reference.
    """
    from course_utils.reference.models import Dense

    theta = np.asarray(theta, dtype=float)
    X_batch = np.asarray(X_batch, dtype=float).reshape(len(y_batch), -1)
    dense = Dense(X_batch.shape[1], rng=0)
    dense.set_weights([theta[1:].reshape(-1, 1), theta[:1]])
    _, (dW, db) = dense.loss_and_gradients(X_batch, np.asarray(y_batch, dtype=float), "mse")
    return np.concatenate([db, dW[:, 0]])
