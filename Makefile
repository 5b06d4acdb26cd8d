# Two commands set everything up on a fresh machine with Python 3.10+ and pip:
#   make lab    installs what is missing into .venv and opens the course in JupyterLab
#   make test   installs what is missing into .venv and runs the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader runs `alembic` by name when it creates a gradebook: put the venv's tools on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: lab test benchmark

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab lessons/00_course-map.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py
