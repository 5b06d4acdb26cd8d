"""Lesson 01 (count batches, epochs and steps): the functions it builds agree with course_utils, it holds the
seeds' examples the issue asks for, and what it concludes holds when its own code runs.

Each function the lesson defines is taken from its cell with ``ast`` and run here (tests/notebook_reading.py).
"""

from course_utils.reference import batching
from course_utils.reference.batching import batch_indices, steps_per_epoch
from notebook_reading import code_cells, function_from, lesson_path, markdown_of

LESSON_01 = lesson_path(1)


# --- the functions it builds, and what the issue asks it to hold ----------------------------------------------------


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
    code, prose = "\n".join(code_cells(LESSON_01)), markdown_of(LESSON_01)
    assert "count_steps(n_samples=1000, batch_size=20, epochs=10)" in code  # seed 000
    assert "for batch_size in (100, 10, 1)" in code and "100 questions" in prose  # seed 001
    assert "batch_size=10" in code and "tabular_binary(n_train=8000)" in code and "800/800" in prose  # seed 003
    assert "s = n · e / b" in prose and "⌈n / b⌉" in prose  # seed 004
    assert "optimizer.iterations" in code and "plot_batch_assignment(" in code
    assert "(100, None)" in code and "ValueError" in code  # batch_size None -> 32, an error caught


def test_lesson_01_glossary_pairs_the_notes_korean_terms_with_english():
    prose = markdown_of(LESSON_01)
    pairs = {
        "배치": "batch", "배치 사이즈": "batch size", "에포크": "epoch", "스텝": "step", "반복": "iteration",
        "이터레이션": "iteration", "미니배치": "mini-batch", "풀배치": "full batch", "경사하강법": "gradient descent",
        "확률적 경사하강법": "stochastic gradient descent", "가중치 갱신": "weight update", "과적합": "overfitting",
    }
    rows = [line for line in prose.splitlines() if line.startswith("|")]
    for korean, english in pairs.items():
        assert any(korean in row and english in row for row in rows), f"glossary misses {korean} = {english}"


# --- what it concludes ----------------------------------------------------------------------------------------------


def test_lesson_1_seed_004s_5000_samples_in_batches_of_1000_make_5_steps():
    naive_steps = function_from(1, "naive_steps")
    assert naive_steps(5000, 1000) == 5 == steps_per_epoch(5000, 1000)
    assert "5000" in markdown_of(1) and "1000" in markdown_of(1)


def test_lesson_1_steps_times_batch_size_counts_samples_only_without_a_partial_batch():
    samples_in_steps = function_from(1, "samples_in_steps", batch_indices=batch_indices)
    for n_samples in range(1, 40):
        for batch_size in range(1, 12):
            per_epoch = steps_per_epoch(n_samples, batch_size)
            last = n_samples - batch_size * (per_epoch - 1)
            for steps in range(1, 3 * per_epoch + 2):
                sizes = [last if k % per_epoch == per_epoch - 1 else batch_size for k in range(steps)]
                got = samples_in_steps(n_samples, batch_size, steps)
                assert got == sum(sizes)
                assert (got == steps * batch_size) == all(size == batch_size for size in sizes)
    # the lesson's three cases: exactly 500 of 5000 samples, fewer when a partial batch is among the 5
    assert samples_in_steps(5000, 100, 5) == 500
    assert samples_in_steps(450, 100, 5) < 500 and samples_in_steps(250, 100, 5) < 500


def test_lesson_1_no_longer_promises_a_picture_of_the_explorer_on_github():
    assert "picture" not in markdown_of(1)
    assert "without outputs" in markdown_of(1)
