"""Shared fixtures. Importing course_utils first keeps TensorFlow's start-up log quiet."""

import pathlib

import course_utils  # noqa: F401
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def keras():
    import keras

    return keras


@pytest.fixture
def repo_root() -> pathlib.Path:
    return ROOT
