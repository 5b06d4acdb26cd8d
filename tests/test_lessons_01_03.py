"""Lessons 01-03: the functions they build agree with course_utils, and they hold what the issue asks for.

Executing the lessons top to bottom is a separate, generic test; here each function a lesson
builds is taken out of its cell (by name, with ``ast``) and compared with the package's version.
"""

import ast
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils.reference import batching, gd
from course_utils.reference.datasets import linear_regression
from course_utils.reference.models import Dense

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
LESSON_01 = LESSONS / "01_count-batches-epochs-steps.ipynb"
LESSON_02 = LESSONS / "02_vectorize-a-batch.ipynb"
LESSON_03 = LESSONS / "03_compare-gradient-descent-variants.ipynb"
ALL = [LESSON_01, LESSON_02, LESSON_03]
EXERCISES = {LESSON_01: "ex01_counting_steps", LESSON_02: "ex02_minibatches", LESSON_03: "ex03_update_loops"}


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(path):
    return [cell.source for cell in read(path).cells if cell.cell_type == "code"]


def text(path, kind="markdown"):
    return "\n".join(cell.source for cell in read(path).cells if cell.cell_type == kind)


def function_from(path, name, **namespace):
    """The function ``name`` defined in one of the lesson's code cells, compiled on its own."""
    for source in code_cells(path):
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                namespace = {"np": np, **namespace}
                exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), namespace)
                return namespace[name]
    raise AssertionError(f"{path.name} defines no function {name!r}")


def cell_defining(path, variable):
    """The source of the first code cell that assigns ``variable`` at top level."""
    for source in code_cells(path):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == variable
                or isinstance(t, ast.Tuple) and any(isinstance(e, ast.Name) and e.id == variable for e in t.elts)
                for t in node.targets
            ):
                return source
    raise AssertionError(f"no code cell assigns {variable!r}")


# --- shape and hygiene of every lesson -------------------------------------------------------


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_lesson_is_stripped_python3_nbformat4_and_10_to_25_cells(path):
    nb = read(path)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    assert 10 <= len(nb.cells) <= 25, f"{path.name} has {len(nb.cells)} cells"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: outputs not stripped"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_lesson_opens_with_learn_and_need_and_ends_with_summary_and_exercise(path):
    cells = read(path).cells
    assert cells[0].source.startswith("# "), "the first cell is the title"
    assert "What you'll learn" in cells[0].source and "What you'll need" in cells[0].source
    assert "## Summary" in cells[-1].source
    exercise = EXERCISES[path]
    assert f"exercises/{exercise}/{exercise}.ipynb" in cells[-1].source


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_steps_are_numbered_bold_sentences(path):
    steps = [c.source for c in read(path).cells if c.cell_type == "markdown" and c.source.startswith("**Step ")]
    assert len(steps) >= 5
    assert [s.split(".")[0] for s in steps] == [f"**Step {i}" for i in range(1, len(steps) + 1)]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_lesson_uses_keras_3_names_and_no_downloads(path):
    code = "\n".join(code_cells(path))
    assert "lr=" not in code.replace(" ", "")
    assert "keras.datasets" not in code and "urlopen" not in code


@pytest.mark.parametrize("path", [LESSON_01, LESSON_03], ids=lambda p: p.name)
def test_cells_that_only_draw_say_so(path):
    drawing = [s for s in code_cells(path) if "plt.show()" in s]
    assert drawing and all("# This cell only draws a figure." in s for s in drawing)


# --- lesson 01: counting ----------------------------------------------------------------------


def test_lesson_01_ceiling_count_agrees_with_course_utils():
    count_steps_per_epoch = function_from(LESSON_01, "count_steps_per_epoch")
    for n_samples in (1, 6, 7, 99, 100, 101, 1000, 8000):
        for batch_size in (1, 2, 3, 10, 20, 32, 100, 128, 9000):
            assert count_steps_per_epoch(n_samples, batch_size) == batching.steps_per_epoch(n_samples, batch_size)


def test_lesson_01_naive_formula_is_seed_004s_and_holds_only_when_b_divides_n():
    naive_steps = function_from(LESSON_01, "naive_steps")
    assert naive_steps(1000, 20) == 50 and naive_steps(1000, 20, 10) == 500
    assert [naive_steps(100, b) for b in (100, 10, 1)] == [1, 10, 100]
    assert naive_steps(100, 32) == 3.125 != batching.steps_per_epoch(100, 32)


def test_lesson_01_holds_the_seed_examples_and_checks_them_with_keras():
    code, prose = "\n".join(code_cells(LESSON_01)), text(LESSON_01)
    assert "count_steps(n_samples=1000, batch_size=20, epochs=10)" in code  # seed 000
    assert "for batch_size in (100, 10, 1)" in code and "100 questions" in prose  # seed 001
    assert "batch_size=10" in code and "tabular_binary(n_train=8000)" in code and "800/800" in prose  # seed 003
    assert "s = n · e / b" in prose and "⌈n / b⌉" in prose  # seed 004
    assert "optimizer.iterations" in code and "plot_batch_assignment(" in code
    assert "(100, None)" in code and "ValueError" in code  # batch_size None -> 32, an error caught


def test_lesson_01_glossary_pairs_the_notes_korean_terms_with_english():
    prose = text(LESSON_01)
    pairs = {
        "배치": "batch", "배치 사이즈": "batch size", "에포크": "epoch", "스텝": "step", "반복": "iteration",
        "이터레이션": "iteration", "미니배치": "mini-batch", "풀배치": "full batch", "경사하강법": "gradient descent",
        "확률적 경사하강법": "stochastic gradient descent", "가중치 갱신": "weight update", "과적합": "overfitting",
    }
    rows = [line for line in prose.splitlines() if line.startswith("|")]
    for korean, english in pairs.items():
        assert any(korean in row and english in row for row in rows), f"glossary misses {korean} = {english}"


# --- lesson 02: vectorized batches -------------------------------------------------------------


@pytest.mark.parametrize("shape, units", [((1, 3), 1), ((7, 3), 2), ((50, 64), 10)])
def test_lesson_02_loop_over_samples_agrees_with_the_batch_product(shape, units):
    forward_loop = function_from(LESSON_02, "forward_loop")
    dense = Dense(shape[1], units, rng=1)
    X = np.random.default_rng(2).standard_normal(shape)
    np.testing.assert_allclose(forward_loop(dense, X), dense.logits(X))


@pytest.mark.parametrize("batch_size, layer_sizes", [(1, [3]), (32, [64, 10]), (17, [5, 8, 2])])
def test_lesson_02_batch_bytes_counts_real_float32_arrays(batch_size, layer_sizes):
    batch_bytes = function_from(LESSON_02, "batch_bytes")
    arrays = [np.zeros((batch_size, size), dtype=np.float32) for size in layer_sizes]
    assert batch_bytes(batch_size, layer_sizes) == sum(a.nbytes for a in arrays)
    assert batch_bytes(batch_size, layer_sizes, bytes_per_value=8) == 2 * sum(a.nbytes for a in arrays)


def test_lesson_02_shows_both_layouts_timing_and_memory():
    code, prose = "\n".join(code_cells(LESSON_02)), text(LESSON_02)
    assert "(n_x, m)" in prose and "(m, n_x)" in prose and "X_keras.T" in code
    assert "time.perf_counter()" in code and "vary" in prose and "machine" in prose
    assert "keras.layers.Dense" in code and "except ValueError" in code
    assert "seed 000" in prose and "out of memory" in code


# --- lesson 03: gradient-descent variants ------------------------------------------------------


@pytest.mark.parametrize("n_samples, seed", [(1, 0), (4, 1), (100, 0)])
@pytest.mark.parametrize("theta", [(0.0, 0.0), (4.0, 3.0), (-1.5, 2.5)])
def test_lesson_03_cost_and_gradient_agree_with_course_utils(n_samples, seed, theta):
    cost, gradient = function_from(LESSON_03, "cost"), function_from(LESSON_03, "gradient")
    X, y = linear_regression(n_samples, rng=seed)
    assert cost(theta, X, y) == pytest.approx(gd.cost(theta, X, y))
    np.testing.assert_allclose(gradient(theta, X, y), gd.gradient(theta, X, y))


def test_lesson_03_full_batch_loop_agrees_with_course_utils():
    source = cell_defining(LESSON_03, "package_path")
    X, y = linear_regression(100, rng=0)
    namespace = {"np": np, "gd": gd, "X": X, "y": y, "gradient": function_from(LESSON_03, "gradient"),
                 "cost": function_from(LESSON_03, "cost"), "J_best": gd.cost(gd.least_squares(X, y), X, y),
                 "print": lambda *a: None}
    exec(source, namespace)
    np.testing.assert_allclose(namespace["path"], gd.gradient_descent(X, y, 100, epochs=50, learning_rate=0.1))


def test_lesson_03_covers_the_variants_and_seed_004s_table():
    code, prose = "\n".join(code_cells(LESSON_03)), text(LESSON_03)
    assert "linear_regression(" in code and "contourf(" in code and "LogNorm()" in code  # readable near the optimum
    assert '"full batch": (100, False)' in code and '"SGD": (1, False)' in code and '"SGD, replacement": (1, True)' in code
    for b in (8, 16, 32):
        assert f'"mini-batch {b}": ({b}, False)' in code  # powers of two
    assert r"\frac{1}{2m}" in prose and "len(batch)" in prose
    assert "gd.gradient_noise(" in code and "gd.predicted_gradient_noise(" in code
    assert "study.compare_variants(" in code and "study.median_seconds_per_epoch(" in code
    assert "study.near_duplicates(" in code and "study.repeat_or_fresh(" in code
    for claim in ("relatively fewer epochs", "data per update", "noise", "accuracy as updates go on",
                  "sample-gradients", "vary by machine", "minibatch_size = 20", "√((n − b)/(n − 1))",
                  "상대적으로 적은 Epoch", "비슷한 문항", "새로운 데이터"):
        assert claim in prose, claim
    assert "first to the target" not in code  # no single-run winner (issue 10)


def test_lesson_03_code_lines_fit_in_88_columns():
    long = [line for source in code_cells(LESSON_03) for line in source.splitlines() if len(line) > 88]
    assert not long, long
