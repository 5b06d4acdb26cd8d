# Two commands set everything up on a fresh machine with Python 3.10+ and pip:
#   make lab    installs what is missing into .venv and opens the course in JupyterLab
#   make test   installs what is missing into .venv and runs the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# What `make test` adds: pytest, Playwright, Hypothesis, the PostgreSQL driver, Dask, jupytext, Jupyter Book 1 (pyproject's "test" extra).
TEST_STAMP := $(VENV)/.installed-test
# nbgrader runs `alembic` by name when it creates a gradebook: put the venv's tools on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
# Extra JupyterLab options, e.g. on a remote or headless machine: make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
# JupyterLab refuses to run as root without --allow-root; root is usual in containers.
AS_ROOT = $(filter 0,$(shell id -u))

# Kernels of the environment load course_utils.grading.runall (Run All goes on past a failing test).
KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.json

.PHONY: lab test benchmark

# What running the course needs. pip shows its own progress (downloads, then installs).
$(STAMP): pyproject.toml
	@echo "==> [1/3] creating the virtual environment $(VENV)/"
	$(PYTHON) -m venv $(VENV)
	@echo "==> [2/3] updating pip"
	$(BIN)/python -m pip install --upgrade pip
	@echo "==> [3/3] installing the course: TensorFlow, Keras, JupyterLab, nbgrader (a few minutes the first time)"
	$(BIN)/python -m pip install -e .
	touch $(STAMP)
	@echo "==> installed; '$(VENV)/' now takes $$(du -sh $(VENV) | cut -f1)"

# What the tests need in addition.
$(TEST_STAMP): $(STAMP)
	@echo "==> installing the test tools: pytest, Playwright, Hypothesis, psycopg2, Dask, jupytext, Jupyter Book 1"
	$(BIN)/python -m pip install -e ".[test]"
	touch $(TEST_STAMP)

$(KERNEL_CONFIG): binder-settings/etc/ipython/ipython_kernel_config.json $(STAMP)
	mkdir -p $(dir $(KERNEL_CONFIG))
	cp $< $@

# The server's root is the repository (as on Binder), so the course map's links to exercises/ and docs/ open.
lab: $(STAMP) $(KERNEL_CONFIG)
	@$(if $(AS_ROOT),echo "Running as root (as in a container): starting JupyterLab with --allow-root.")
	$(BIN)/jupyter lab $(if $(AS_ROOT),--allow-root) --ServerApp.root_dir=. lessons/00_course-map.ipynb $(LAB_ARGS)

test: $(TEST_STAMP) $(KERNEL_CONFIG)
	$(BIN)/python -m pytest

# The lesson notebooks are generated from their text sources (lessons/source/NN_slug.md, jupytext's MyST Markdown).
.PHONY: lessons
lessons: $(TEST_STAMP)
	$(BIN)/python -m course_utils.authoring.lesson_sources

# The class-grading benchmark uses the tests' harness (pytest).
benchmark: $(TEST_STAMP)
	$(BIN)/python benchmarks/run.py

# A third command for maintainers: the Korean edition ko/ from the English notebooks and translations/ko/.
.PHONY: translations
translations: $(TEST_STAMP)
	$(BIN)/python -m course_utils.authoring.translations build

# A third command: the course as a static website in _build/site/ (en/, and ko/ when the Korean edition is there),
# built offline; lessons are executed once and cached in _build/executed/ (shared with the tests).
.PHONY: site
site: $(TEST_STAMP) $(KERNEL_CONFIG)
	$(BIN)/python -m course_utils.authoring.site
