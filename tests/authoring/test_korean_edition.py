"""The Korean edition (ko/, translations/ko/) is complete, current, and the English one in Korean.

Every Korean notebook is generated from its English one by
``course_utils.authoring.translations``: each markdown cell is replaced by its Korean block,
and the code cells, cell ids and metadata are the English ones. The tests below hold that
(``test_code_cells_and_metadata_are_the_english_ones``), so the Korean lessons compute exactly
what the English lessons compute: tests/course/test_notebooks.py runs the English lessons once, and
that run proves the Korean ones; they are not executed a second time.

The tests on the real files (completeness, each block's content, the fixed headings, the
glossary) fail while a translation is missing or stale; their message names the English text
and the command that lists what needs translating. The tmp-path tests feed a stale block, a
missing block, an edited code cell and a malformed file, and check that each is caught.
"""

from __future__ import annotations

import copy
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest
from grading_harness import autograde, graded_cells, nbgrader, new_course, read, require_sandbox

from course_utils.authoring import translations as tr
from course_utils.authoring import how_it_works

ROOT = pathlib.Path(__file__).resolve().parents[2]
EDITIONS = tr.editions(ROOT)
RUN_STATUS = f"run `{tr.STATUS_COMMAND}` for the list"


def _ids(edition) -> str:
    return edition.english.stem


# the real files ---------------------------------------------------------------------------------

def test_every_english_notebook_has_a_korean_edition_and_no_korean_file_is_alone():
    assert len([e for e in EDITIONS if not e.exercise]) == len(list((ROOT / "lessons").glob("*.ipynb"))) >= 10
    assert len([e for e in EDITIONS if e.exercise]) == len(list((ROOT / "solutions").glob("*/*.ipynb"))) >= 9
    for edition in EDITIONS:
        assert (ROOT / edition.sources[0]).is_file(), f"{edition.english} has no translation {edition.sources[0]}"
        assert (ROOT / edition.korean).is_file(), f"{edition.korean} is missing: run " \
                                                  "`python -m course_utils.authoring.translations build`"
    assert tr.orphans(ROOT) == [], "Korean files without an English notebook"


def test_the_whole_edition_is_translated():
    """Runs on the real files: every English markdown cell has a current Korean block.

    A block whose English cell changed (stale), a cell with no block, a block still in English,
    or a hand translation of a generated cell fails here, with the English text.
    """
    found = tr.problems(ROOT)
    assert not found, f"{len(found)} translation problems ({RUN_STATUS}):\n\n" + "\n\n".join(
        p.message for p in found)


def test_generated_korean_notebooks_are_up_to_date():
    stale = tr.build(ROOT, check=True, report=lambda line: None)
    assert stale == [], f"stale: {stale}; run `python -m course_utils.authoring.translations build` (make translations)"


@pytest.mark.parametrize("edition", EDITIONS, ids=_ids)
def test_code_cells_and_metadata_are_the_english_ones(edition):
    english, korean = read(ROOT / edition.english), read(ROOT / edition.korean)
    assert tr.differences(english, korean) == []
    assert korean.metadata["course"]["language"] == "ko"


@pytest.mark.parametrize("edition", EDITIONS, ids=_ids)
def test_each_block_is_korean_and_keeps_code_math_links_and_fixed_headings(edition):
    english = tr.english_markdown(ROOT, edition)
    found = []
    for source in edition.sources:
        for block in tr.read_blocks(ROOT, source):
            if block.key in english:
                found += [f"{source}:{block.line}: {p}" for p in tr.block_problems(english[block.key], block.text)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("edition", EDITIONS, ids=_ids)
def test_korean_blocks_use_the_glossary_terms(edition):
    terms = tr.glossary(ROOT)
    english = tr.english_markdown(ROOT, edition)
    found = []
    for source in edition.sources:
        for block in tr.read_blocks(ROOT, source):
            if block.key in english and tr.HANGUL.search(block.text):
                found += [f"{source}:{block.line}: {p}"
                          for p in tr.glossary_problems(english[block.key], block.text, terms)]
    assert not found, "\n".join(found)


def _lesson_01_table() -> set[tuple[str, str]]:
    text = (ROOT / "lessons" / "source" / "01_count-batches-epochs-steps.md").read_text(encoding="utf-8")
    table = text.split("## Glossary")[1].split("\n\n")[1]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in table.splitlines()[2:]]
    return {(english, korean) for korean, english, *_ in rows}


def test_lesson_01_glossary_table_is_the_glossary_file():
    table = _lesson_01_table()
    assert len(table) >= 20
    terms = tr.glossary(ROOT)
    listed = {(t["row"], t["notes"]) for t in terms if "row" in t}
    assert table - listed == set(), "rows of lesson 01's table missing from translations/ko/glossary.toml"
    assert listed - table == set(), "glossary rows not in lesson 01's table"
    assert all(tr.HANGUL.search(t["ko"]) for t in terms)
    assert len({t["en"] for t in terms}) == len(terms), "one entry per English term"


def test_glossary_check_catches_a_missing_term():
    terms = [{"en": "epoch", "ko": "에포크"}, {"en": "mini-batch", "ko": "미니배치", "also": ["미니 배치"]}]
    assert tr.glossary_problems("Two epochs of mini-batches.", "미니 배치로 두 번 학습합니다.", terms) == [
        "the English cell says 'epoch': the Korean uses none of ['에포크']"]
    assert tr.glossary_problems("Set `epochs=2`.", "`epochs=2`로 둡니다.", terms) == []  # code is not prose
    fenced = "Run it:\n\n```python\nfit(x, y, epochs=2)  # two epochs\n```"
    assert tr.glossary_problems(fenced, "실행하세요.\n\n```python\nfit(x, y, epochs=2)  # two epochs\n```", terms) == []
    title = "See *Two epochs suffice* (2020)."  # a cited title kept in English
    assert tr.glossary_problems(title, "*Two epochs suffice*(2020)를 보세요.", terms) == []


def test_korean_lesson_headings_are_checked():
    english = "**What you'll learn**\n- a\n\n## Summary\n\n## Part B (2 points)"
    assert tr.block_problems(english, "**이번 장에서 배울 내용**\n- 가\n\n## 정리\n\n## 파트 B (2점)") == []
    assert tr.block_problems(english, "**배울 것**\n- 가\n\n## 요약\n\n## 파트 C (2점)") == [
        "the English \"**What you'll learn**\" needs its fixed Korean heading ('^\\\\*\\\\*이번 장에서 배울 내용\\\\*\\\\*')",
        "the English '## Summary' needs its fixed Korean heading ('^#+ 정리')",
        "the English '## Part B' needs its fixed Korean heading ('^#+ .*파트 B')"]


# the generated parts of an exercise ---------------------------------------------------------------

@pytest.mark.parametrize("edition", [e for e in EDITIONS if e.exercise], ids=_ids)
def test_how_this_notebook_works_is_generated_in_korean_from_the_same_facts(edition):
    korean = read(ROOT / edition.korean)
    facts = read(ROOT / edition.english).metadata["course"]
    cells = [c.source for c in korean.cells if c.metadata.get("nbgrader", {}).get("grade_id") == how_it_works.CELL_ID]
    assert cells == [how_it_works.text_ko(facts)]
    spans = lambda text: sorted(re.findall(r"`[^`]+`", text))  # noqa: E731
    assert spans(how_it_works.text_ko(facts)) == spans(how_it_works.text(facts))  # the same rules
    for module in facts["allowed_imports"]:
        assert module.rsplit(".", 1)[-1] in cells[0]


@pytest.mark.parametrize("edition", [e for e in EDITIONS if e.exercise], ids=_ids)
def test_korean_release_has_the_english_grading_cells(edition):
    english, korean = read(ROOT / edition.english), read(ROOT / edition.korean)
    assert graded_cells(korean) == graded_cells(english) and graded_cells(english)
    grading = lambda nb: [(c.get("id"), c.cell_type, c.metadata.get("nbgrader", {}).get("grade_id"),  # noqa: E731
                           c.metadata.get("nbgrader", {}).get("points"), c.source if c.cell_type == "code" else None)
                          for c in nb.cells]
    assert grading(korean) == grading(english)
    assert tr.differences(english, korean) == []  # nbgrader metadata too; markdown checksums of their own text


def test_the_instructor_releases_the_korean_exercise_with_nbgrader(tmp_path):
    """``nbgrader release_assignment <id> --CourseDirectory.release_directory=ko/exercises`` (nbgrader 0.9)."""
    assignment = "ex01_counting_steps"
    (tmp_path / "ko" / "exercises").mkdir(parents=True)
    import shutil

    shutil.copytree(ROOT / "ko" / "exercises" / assignment, tmp_path / "ko" / "exercises" / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    bin_dir = pathlib.Path(sys.executable).parent
    done = subprocess.run([sys.executable, "-m", "nbgrader", "release_assignment", assignment,
                           "--CourseDirectory.release_directory=ko/exercises", f"--Exchange.root={exchange}",
                           "--CourseDirectory.course_id=batches-epochs-steps",
                           f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gradebook.db'}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PATH": f"{bin_dir}:{__import__('os').environ['PATH']}"})
    assert done.returncode == 0, done.stderr[-3000:]
    released = exchange / "batches-epochs-steps" / "outbound" / assignment / f"{assignment}.ipynb"
    assert released.read_bytes() == (ROOT / "ko" / "exercises" / assignment / f"{assignment}.ipynb").read_bytes()


def test_a_korean_submission_gets_the_english_score_from_the_same_gradebook(tmp_path):
    """ex01's solution in Korean (built by ``translations.translate``) and in English, autograded
    together by the course's pipeline (sandbox, policy, hidden tests): the same cells pass, the same score."""
    require_sandbox()
    assignment = "ex01_counting_steps"
    course = new_course(tmp_path / "course", assignments=[assignment])
    edition = next(e for e in EDITIONS if e.english.parent.name == assignment)
    english = read(course / "exercises" / assignment / f"{assignment}.ipynb")
    korean, missing = tr.translate(english, edition, ROOT)
    assert tr.HANGUL.search(korean.cells[1].source) and not missing
    release = course / "exercises" / assignment / f"{assignment}.ipynb"
    nbformat.write(korean, str(release))  # the hand-in takes the release it finds there
    korean_scores = autograde(course, assignment, {"korean": {}})
    nbformat.write(english, str(release))
    english_scores = autograde(course, assignment, {"english": {}})
    total = sum(graded_cells(english).values())
    assert korean_scores["korean"] == english_scores["english"]
    assert english_scores["english"]["score"] == total > 0
    submitted = read(course / "submitted" / "korean" / assignment / f"{assignment}.ipynb")
    assert submitted.metadata["course"]["language"] == "ko"  # the Korean one was graded
    # Validate (the student's check) accepts the Korean notebook: its locked cells carry their own checksums
    path = tmp_path / f"{assignment}.ipynb"
    nbformat.write(submitted, str(path))
    result = nbgrader(course, "validate", str(path), cwd=tmp_path)
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr[-3000:]


# the machinery, on files that are not in the repository ------------------------------------------

def _course(tmp_path: pathlib.Path, blocks: str, cells=None) -> pathlib.Path:
    """A tiny course: one English lesson (two markdown cells, one code cell) and its translation file."""
    cells = cells or [nbformat.v4.new_markdown_cell("# Count steps\n\nSee [the guide](../docs/guide.md) and "
                                                    "[exercise 1](../exercises/ex01/ex01.ipynb)."),
                      nbformat.v4.new_code_cell("print(7 // 3)"),
                      nbformat.v4.new_markdown_cell("## Summary\n\nOne `step` per batch.")]
    nb = nbformat.v4.new_notebook(cells=cells)
    for index, cell in enumerate(nb.cells):
        cell.id = f"c{index}"
    (tmp_path / "lessons").mkdir(parents=True)
    (tmp_path / "exercises" / "ex01").mkdir(parents=True)
    nbformat.write(nb, str(tmp_path / "lessons" / "01_steps.ipynb"))
    nbformat.write(nbformat.v4.new_notebook(), str(tmp_path / "exercises" / "ex01" / "ex01.ipynb"))
    (tmp_path / "translations" / "ko" / "exercises").mkdir(parents=True)
    (tmp_path / "translations" / "ko" / "exercises" / "ex01.md").write_text("<!-- no markdown cells -->\n")
    (tmp_path / "translations" / "ko" / "lessons").mkdir(parents=True)
    (tmp_path / "translations" / "ko" / "glossary.toml").write_text('[[term]]\nen = "step"\nko = "스텝"\n')
    (tmp_path / "translations" / "ko" / "lessons" / "01_steps.md").write_text(
        "<!-- Korean translation of lessons/01_steps.ipynb -->\n\n" + blocks, encoding="utf-8")
    return tmp_path


def _block(english: str, korean: str) -> str:
    return f"<!-- en:{tr.cell_hash(english)} -->\n{korean}\n\n"


FIRST = "# Count steps\n\nSee [the guide](../docs/guide.md) and [exercise 1](../exercises/ex01/ex01.ipynb)."
SECOND = "## Summary\n\nOne `step` per batch."
KOREAN = (_block(FIRST, "# 스텝 세기\n\n[안내서](../docs/guide.md)와 [연습 문제 1](../exercises/ex01/ex01.ipynb)을 보세요.")
          + _block(SECOND, "## 정리\n\n배치마다 `step` 하나."))


def test_build_replaces_markdown_keeps_code_and_rewrites_links_out_of_the_edition(tmp_path):
    root = _course(tmp_path, KOREAN)
    assert tr.build(root, report=pytest.fail) == ["ko/lessons/01_steps.ipynb", "ko/exercises/ex01/ex01.ipynb"]
    english, korean = read(root / "lessons" / "01_steps.ipynb"), read(root / "ko" / "lessons" / "01_steps.ipynb")
    assert tr.differences(english, korean) == []
    assert korean.cells[0].source == ("# 스텝 세기\n\n[안내서](../../docs/guide.md)와 "
                                      "[연습 문제 1](../exercises/ex01/ex01.ipynb)을 보세요.")
    assert korean.cells[1].source == "print(7 // 3)" and korean.cells[2].source.startswith("## 정리")
    assert tr.problems(root) == [] and tr.build(root, check=True) == []


def test_a_stale_block_is_reported_with_the_english_cell_now_at_its_place(tmp_path):
    root = _course(tmp_path, KOREAN)
    tr.build(root)
    nb = read(root / "lessons" / "01_steps.ipynb")
    nb.cells[2].source = "## Summary\n\nOne `step` per batch, the last one too."
    nbformat.write(nb, str(root / "lessons" / "01_steps.ipynb"))
    kinds = {p.kind: p.message for p in tr.problems(root)}
    assert set(kinds) == {"missing", "stale"}
    assert "the last one too" in kinds["stale"] and f"en:{tr.cell_hash(SECOND)} matches no English cell" in kinds["stale"]
    assert "the last one too" in kinds["missing"]
    assert tr.build(root, check=True) == ["ko/lessons/01_steps.ipynb"]  # the generated file is stale too
    lines = []
    assert tr.status(root, out=lines.append) == 1 and any("the last one too" in line for line in lines)


def test_a_missing_block_keeps_the_english_cell_and_is_reported(tmp_path):
    root = _course(tmp_path, _block(FIRST, "# 스텝 세기\n\n[안내서](../docs/guide.md), [연습](../exercises/ex01/ex01.ipynb)"))
    reported = []
    tr.build(root, report=reported.append)
    assert len(reported) == 1 and "cell 2 kept in English" in reported[0] and "## Summary" in reported[0]
    assert read(root / "ko" / "lessons" / "01_steps.ipynb").cells[2].source == SECOND
    assert [p.kind for p in tr.problems(root)] == ["missing"] and "One `step` per batch" in tr.problems(root)[0].message


def test_an_edited_code_cell_or_lost_metadata_is_a_difference(tmp_path):
    root = _course(tmp_path, KOREAN)
    tr.build(root)
    english = read(root / "lessons" / "01_steps.ipynb")
    korean = read(root / "ko" / "lessons" / "01_steps.ipynb")
    edited = copy.deepcopy(korean)
    edited.cells[1].source = "print(7 / 3)"
    assert [d.split(":")[0] for d in tr.differences(english, edited)] == ["cell 1 (c1)"]
    edited = copy.deepcopy(korean)
    del edited.metadata["course"]
    assert tr.differences(english, edited)[0].startswith("notebook metadata")
    edited = copy.deepcopy(korean)
    edited.cells.pop()
    assert tr.differences(english, edited) == ["2 cells instead of the English 3"]


def test_a_block_that_loses_code_math_or_a_link_is_caught():
    english = "Use `steps_per_epoch` and $s = n/b$, see [lesson 1](01.ipynb)."
    assert tr.block_problems(english, "`steps_per_epoch`와 $s = n/b$를 쓰세요. [레슨 1](01.ipynb) 참고.") == []
    found = tr.block_problems(english, "steps_per_epoch와 $s = n / b$를 쓰세요. [레슨 1](02.ipynb) 참고.")
    assert [f.split(" differ")[0] for f in found] == ["inline code", "math", "link targets"]
    assert tr.block_problems(english, english) == ["no Hangul: the block is not translated"]
    code = "Run:\n\n```python\nfit(x, y, batch_size=32)\n```"
    assert tr.block_problems(code, "실행:\n\n```python\nfit(x, y, batch_size=32)\n```") == []
    assert tr.block_problems(code, "실행:\n\n```python\nfit(x, y, batch_size=16)\n```")[0].startswith(
        "code blocks differ")


@pytest.mark.parametrize(("text", "line", "what"), [
    ("Korean without a header\n", 1, "starts with an HTML comment"),
    ("<!-- header -->\nstray text\n<!-- en:0123456789ab -->\n가\n", 2, "text before the first"),
    ("<!-- header -->\n<!-- en:0123456789ab -->\n가\n<!-- en:12345 -->\n나\n", 4, "malformed marker"),
    ("<!-- header -->\n<!-- en:0123456789ab -->\n\n<!-- en:0123456789ac -->\n나\n", 2, "is empty"),
    ("<!-- header -->\n<!-- en:0123456789ab -->\n가\n<!-- en:0123456789ab -->\n나\n", 4, "again"),
])
def test_a_malformed_translation_file_is_named_with_its_line(tmp_path, text, line, what):
    root = _course(tmp_path, "")
    (root / "translations" / "ko" / "lessons" / "01_steps.md").write_text(text, encoding="utf-8")
    with pytest.raises(tr.TranslationError, match=rf"^translations/ko/lessons/01_steps\.md:{line}: .*{what}"):
        tr.build(root)
    done = subprocess.run([sys.executable, "-m", "course_utils.authoring.translations", "--root", str(root), "build"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f"01_steps.md:{line}:" in done.stderr


def test_a_korean_file_without_an_english_notebook_is_found(tmp_path):
    root = _course(tmp_path, KOREAN)
    tr.build(root)
    (root / "translations" / "ko" / "lessons" / "02_gone.md").write_text("<!-- x -->\n", encoding="utf-8")
    nbformat.write(nbformat.v4.new_notebook(), str(root / "ko" / "lessons" / "02_gone.ipynb"))
    assert tr.orphans(root) == ["ko/lessons/02_gone.ipynb", "translations/ko/lessons/02_gone.md"]
    assert tr.build(root, check=True) == ["ko/lessons/02_gone.ipynb"]
    tr.build(root)
    assert not (root / "ko" / "lessons" / "02_gone.ipynb").exists()


def test_build_check_on_the_command_line_names_each_stale_file(tmp_path):
    root = _course(tmp_path, KOREAN)
    command = [sys.executable, "-m", "course_utils.authoring.translations", "--root", str(root), "build"]
    first = subprocess.run([*command, "--check"], capture_output=True, text=True, timeout=120)
    assert first.returncode == 1 and first.stdout.splitlines() == ["stale: ko/lessons/01_steps.ipynb",
                                                                   "stale: ko/exercises/ex01/ex01.ipynb"]
    assert subprocess.run(command, capture_output=True, text=True, timeout=120).returncode == 0
    assert subprocess.run([*command, "--check"], capture_output=True, text=True, timeout=120).returncode == 0


def test_a_cell_that_several_exercises_share_is_translated_once_in_shared(tmp_path):
    root = _course(tmp_path, KOREAN)
    shared, own = "Before you submit: run all cells.", "## Part A (1 point)\n\nWrite `f`."
    for exercise in ("ex01", "ex02"):
        cells = [nbformat.v4.new_markdown_cell(own if exercise == "ex01" else "## Part A (2 points)\n\nWrite `g`."),
                 nbformat.v4.new_markdown_cell(shared)]
        (root / "exercises" / exercise).mkdir(exist_ok=True)
        nbformat.write(nbformat.v4.new_notebook(cells=cells), str(root / "exercises" / exercise / f"{exercise}.ipynb"))
    folder = root / "translations" / "ko" / "exercises"
    (folder / "ex01.md").write_text("<!-- ex01 -->\n" + _block(own, "## 파트 A (1점)\n\n`f`를 작성하세요."))
    (folder / "ex02.md").write_text("<!-- ex02 -->\n" + _block("## Part A (2 points)\n\nWrite `g`.",
                                                               "## 파트 A (2점)\n\n`g`를 작성하세요."))
    (folder / "_shared.md").write_text("<!-- shared -->\n" + _block(shared, "제출하기 전에 모든 셀을 실행하세요."))
    assert tr.problems(root) == []
    tr.build(root, report=pytest.fail)
    assert read(root / "ko" / "exercises" / "ex02" / "ex02.ipynb").cells[1].source == "제출하기 전에 모든 셀을 실행하세요."
    (folder / "_shared.md").write_text("<!-- shared -->\n")
    missing = tr.problems(root)
    assert [(p.kind, p.file) for p in missing] == [("missing", "translations/ko/exercises/_shared.md")]
    assert shared in missing[0].message
