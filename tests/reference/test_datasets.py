"""The datasets (course_utils.reference.datasets): offline, shaped as documented, deterministic from their seed."""

import numpy as np

from course_utils.reference import datasets


def test_datasets_are_offline_and_shaped_as_documented():
    X, y = datasets.seed000_points()
    assert X.shape == y.shape == (13,) and y.sum() == 6
    x, y = datasets.seed002_counts()
    np.testing.assert_array_equal(x, np.arange(1, 7)) and np.testing.assert_array_equal(y, x)
    (Xt, yt), (Xs, ys) = datasets.tabular_binary()
    assert Xt.shape == (8000, 10) and Xs.shape == (2000, 10) and 0.3 < yt.mean() < 0.7
    (Xi, yi), (Xj, yj) = datasets.digits()
    assert Xi.shape[1:] == (8, 8) and len(Xi) + len(Xj) == 1797 and set(yi) == set(range(10))
    assert 0 <= Xi.min() and Xi.max() == 1.0


def test_datasets_are_deterministic_from_their_seed():
    a, b = datasets.tabular_binary(rng=3), datasets.tabular_binary(rng=3)
    np.testing.assert_array_equal(a[0][0], b[0][0])
