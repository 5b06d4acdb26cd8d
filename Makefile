# Two commands set everything up on a fresh machine with Python 3.10+ and pip:
#   make lab    installs what is missing into .venv and opens the course in JupyterLab
#   make test   installs what is missing into .venv and runs the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader runs `alembic` by name when it creates a gradebook: put the venv's tools on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
# Extra JupyterLab options, e.g. on a remote or headless machine: make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
# JupyterLab refuses to run as root without --allow-root; root is usual in containers.
AS_ROOT = $(filter 0,$(shell id -u))

.PHONY: lab test benchmark

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The server's root is the repository (as on Binder), so the course map's links to exercises/ and docs/ open.
lab: $(STAMP)
	@$(if $(AS_ROOT),echo "Running as root (as in a container): starting JupyterLab with --allow-root.")
	$(BIN)/jupyter lab $(if $(AS_ROOT),--allow-root) --ServerApp.root_dir=. lessons/00_course-map.ipynb $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py
