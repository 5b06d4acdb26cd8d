"""The progress bar that course_utils.fit prints (course_utils.reference.progress), as Keras prints it."""

import io

from course_utils import SGD, fit
from course_utils.reference import datasets
from course_utils.reference.models import Dense


def _fit_output(verbose):
    X, y = datasets.linear_regression(10)
    out = io.StringIO()
    fit(Dense(1, rng=0), X, y, loss="mse", optimizer=SGD(), batch_size=4, epochs=2, verbose=verbose, file=out)
    return out.getvalue()


def test_progress_bar_shows_epochs_and_steps_like_keras():
    text = _fit_output(1)
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    assert "3/3 [" in text and "loss:" in text


def test_verbose_2_prints_one_line_per_epoch_and_0_is_silent():
    lines = _fit_output(2).splitlines()
    assert len(lines) == 4 and "\r" not in "".join(lines)
    assert _fit_output(0) == ""
