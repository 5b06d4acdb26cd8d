"""Fixtures the lessons' test files share."""

import pytest

from course_utils.reference import datasets


@pytest.fixture(scope="module")
def digits_rows():
    """The digits' training images as rows of 64 pixels, and their labels (lessons 2 and 5)."""
    (X, y), _ = datasets.digits(rng=0)
    return X.reshape(len(X), -1), y
