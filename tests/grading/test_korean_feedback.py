"""Korean feedback for the Korean release: chosen by the notebook's language, never by the machine's.

A notebook whose ``metadata.course.language`` is ``"ko"`` gets its feedback
(expected / got / hint, the verdicts, the summaries of Validate, Run All and the
feedback HTML) in Korean, from ``translations/ko/feedback.toml``; the same
answer in the English notebook gets English, and both get the same scores. The
catalogue must hold every phrase of the grading code and every hint, problem and
description the test cells of ``solutions/`` pass, and nothing else.
"""

from __future__ import annotations

import ast
import copy
import itertools
import json
import os
import re
import subprocess
import sys
import time

import nbformat
import pytest
from grading_harness import (
    in_order,
    ROOT,
    make_submission,
    nbgrader,
    nbgrader_ok,
    new_course,
    read,
    require_sandbox,
    scores,
)

from course_utils.grading import messages

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ASSIGNMENT = "ex01_counting_steps"
FLOOR = {"edit": {"steps_per_epoch": [("n_samples + batch_size - 1) // batch_size", "n_samples) // batch_size")]}}
CATALOGUE = ROOT / "translations" / "ko" / "feedback.toml"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# what ex01's wrong floor division shows for its visible test of the partial batch
EN_PARTIAL = ("expected 3 steps for n_samples=7, batch_size=3, got 2:",
              "is the last partial batch counted? Keras keeps it:")
KO_PARTIAL = ("n_samples=7, batch_size=3일 때 스텝 수: 기댓값 3, 받은 값 2",
              "힌트: 마지막 부분 배치도 셌나요? Keras는 그 배치를 버리지 않습니다:")


# the catalogue: complete, not stale, faithful ----------------------------------------------------

CHECKS = {  # a check's argument positions that hold words for the student
    "expect_equal": {0: "descriptions", 3: "hints"}, "expect_close": {0: "descriptions", 3: "hints"},
    "expect_true": {1: "hints", 2: "hints"}, "expect_raises": {0: "descriptions", 3: "hints"},
    "check_updates": {4: "hints"}, "feedback": {0: "hints", 1: "hints"}, "_message": {3: "hints"},
    "flag": {1: "hints"}, "Violation": {1: "hints"},  # the grading policy's rules (policy.py)
}
KEYWORDS = {"what": "descriptions", "hint": "hints", "problem": "hints"}
SPEAK = {"text": 0, "say": 1, "_say": 0,  # messages.text(english), messages.say(language, english)
         "NameError": 0}  # the kernel's word for a name the notebook lacks (kernel/respond.py)


def _field(value: ast.FormattedValue) -> str:
    inner = ast.unparse(value.value) + ("!" + chr(value.conversion) if value.conversion != -1 else "")
    if value.format_spec is not None:
        inner += ":" + "".join(v.value if isinstance(v, ast.Constant) else _field(v) for v in value.format_spec.values)
    return "{" + inner + "}"


def texts(node, scope: dict) -> list[str]:
    """Every text ``node`` can be, as a template: an f-string's values become ``{expression}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else _field(v) for v in node.values)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a, b in itertools.product(texts(node.left, scope), texts(node.right, scope))]
    if isinstance(node, ast.IfExp):
        return texts(node.body, scope) + texts(node.orelse, scope)
    if isinstance(node, ast.BoolOp):
        return [t for value in node.values for t in texts(value, scope)]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [t for item in node.elts for t in texts(item, scope)]
    if isinstance(node, ast.Subscript):
        return texts(node.value, scope)
    if isinstance(node, ast.Name):  # a variable of the same cell or module: what was assigned to it
        return [t for value in scope.get(node.id, []) for t in texts(value, {})]
    return []


def collect(tree: ast.AST, found: dict, *, code: bool) -> None:
    """Add to ``found`` (section -> texts) the words ``tree`` gives a student."""
    scope: dict = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    scope.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.For):  # for what in [...]; for what, x in zip([...], ...)
            pairs = [(node.target, node.iter)]
            if isinstance(node.target, ast.Tuple) and isinstance(node.iter, ast.Call) and \
                    getattr(node.iter.func, "id", None) == "zip":
                pairs = list(zip(node.target.elts, node.iter.args))
            for target, values in pairs:
                if isinstance(target, ast.Name):
                    scope.setdefault(target.id, []).append(values)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        arguments = [(section, node.args[i]) for i, section in CHECKS.get(name, {}).items() if i < len(node.args)]
        arguments += [(KEYWORDS[k.arg], k.value) for k in node.keywords if name in CHECKS and k.arg in KEYWORDS]
        if code and name in SPEAK and len(node.args) > SPEAK[name]:
            arguments.append(("phrases", node.args[SPEAK[name]]))
        for section, argument in arguments:
            found.setdefault("phrases" if code else section, set()).update(texts(argument, scope))


def needed() -> dict[str, set[str]]:
    """What the catalogue must hold, by section."""
    from nbgrader.validator import Validator

    from course_utils.grading.trusted.feedback import HideHiddenTests
    from course_utils.grading.trusted.results import test_title

    found: dict[str, set[str]] = {"phrases": {Validator.failed_warning.default_value,
                                              HideHiddenTests.notice.default_value}}
    for path in sorted((ROOT / "course_utils" / "grading").glob("**/*.py")):
        collect(ast.parse(path.read_text()), found, code=True)
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in read(path).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                collect(ast.parse(cell.source), found, code=False)
    found["titles"] = {title for path in sorted((ROOT / "solutions").glob("*/*.ipynb")) for cell in read(path).cells
                       if (title := test_title(cell.source)) and cell.metadata.get("nbgrader", {}).get("grade")
                       and not cell.metadata.get("nbgrader", {}).get("solution")}
    found["phrases"].discard("")
    found["hints"] = found.get("hints", set()) - found["phrases"]
    found["descriptions"] = found.get("descriptions", set()) - found["phrases"] - found["hints"]
    return found


def catalogue() -> dict[str, dict[str, str]]:
    return tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))


def test_the_catalogue_has_every_phrase_hint_and_description_and_nothing_stale():
    need, have = needed(), catalogue()
    assert set(have) == {"phrases", "hints", "descriptions", "titles"}, set(have)
    assert len(need["phrases"]) > 50 and len(need["hints"]) > 200 and len(need["descriptions"]) > 150 \
        and len(need["titles"]) > 60, \
        {k: len(v) for k, v in need.items()}  # the collector still finds the test cells' words
    all_keys = [key for section in have.values() for key in section]
    assert len(all_keys) == len(set(all_keys)), "a key is in two sections"
    missing = [f"[{section}] {json.dumps(text, ensure_ascii=False)} = \"...\""
               for section, texts_ in need.items() for text in sorted(texts_) if text not in have[section]]
    assert not missing, (f"{len(missing)} texts have no Korean in {CATALOGUE.relative_to(ROOT)}; add:\n"
                         + "\n".join(missing))
    stale = [f"[{section}] {json.dumps(key, ensure_ascii=False)}" for section, entries in have.items()
             for key in entries if key not in need[section]]
    assert not stale, (f"{len(stale)} entries of {CATALOGUE.relative_to(ROOT)} translate English that no longer "
                       "occurs (changed or removed): update or delete them:\n" + "\n".join(stale))


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
CODE = re.compile(r"`[^`]+`|\b[a-z_][\w.]*\((?!s\))[^()]*\)|\b[A-Za-z]\w*_\w*\b|\b\w+=[\w'\[\]-]+(?:\.\w+)*")


def without_fields(template: str) -> str:
    return "".join(literal for literal, _ in messages.parse(template))


def test_each_translation_keeps_the_fields_numbers_and_code_of_its_english():
    problems = []
    for section, entries in catalogue().items():
        for english, korean in entries.items():
            if sorted(messages.fields_of(korean)) != sorted(messages.fields_of(english)):
                problems.append(f"fields differ: {english!r} -> {korean!r}")
            plain_en, plain_ko = without_fields(english), without_fields(korean)
            for token in NUMBER.findall(plain_en) + CODE.findall(plain_en):
                if token not in plain_ko:
                    problems.append(f"{token!r} of {english!r} is missing from {korean!r}")
            if re.search("[A-Za-z]", plain_en) and not HANGUL.search(korean) and korean != english:
                problems.append(f"not Korean: {english!r} -> {korean!r}")
            if section != "phrases" and messages.fields_of(english) and korean != english:
                matchable = any(pieces == messages.parse(english) for pieces, _ in
                                messages.Catalogue({english: korean}).templates)
                if not matchable:
                    problems.append(f"a template the lookup cannot match (too little text besides fields): {english!r}")
    assert not problems, "\n".join(problems)


GLOSSARY = ROOT / "translations" / "ko" / "glossary.toml"
OTHER_SENSE = {"매개변수": "a Python function's parameter (the policy's rules), not a model's weight"}


def test_the_korean_uses_the_glossarys_terms_not_their_rivals():
    """배치, 배치 크기, 에포크, 스텝, 학습률, 기울기 ...: each term's ``ko``, never a form it lists under ``also``."""
    terms = tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))["term"]
    chosen = sorted({term["ko"] for term in terms}, key=len, reverse=True)
    rivals = {form: term for term in terms for form in term.get("also", [])
              if HANGUL.search(form) and form not in OTHER_SENSE}
    found = []
    for entries in catalogue().values():
        for korean in entries.values():
            rest = korean
            for form in chosen:  # "경사 하강법" is chosen even though "경사" alone is a rival of gradient
                rest = rest.replace(form, "")
            found += [f"{form!r} (use {term['ko']!r} for {term['en']!r}) in {korean!r}"
                      for form, term in rivals.items() if form in rest]
    assert not found, "\n".join(found)
    text = CATALOGUE.read_text(encoding="utf-8")
    for term in ("배치", "배치 크기", "에포크", "스텝", "학습률", "기울기", "갱신", "손실", "힌트", "기댓값", "받은 값"):
        assert term in text, term


# the language: the notebook's, English unless it says "ko" ---------------------------------------


@pytest.mark.parametrize("metadata, language", [
    ({"course": {"language": "ko"}}, "ko"),
    ({"course": {"language": "en"}}, "en"),
    ({"course": {}}, "en"),
    ({}, "en"),
    ({"course": {"language": "KO"}}, "en"),
    ({"course": {"language": "ko_KR"}}, "en"),
    ({"course": {"language": "fr"}}, "en"),
    ({"course": {"language": ["ko"]}}, "en"),
    ({"course": {"language": {"ko": 1}}}, "en"),
    ({"course": {"language": 7}}, "en"),
    ({"course": {"language": None}}, "en"),
    ({"course": {"language": "ko" * 10**6}}, "en"),
    ({"course": "ko"}, "en"),
    ({"course": ["language", "ko"]}, "en"),
    ("ko", "en"),
])
def test_the_language_is_the_notebooks_and_anything_unknown_is_english(metadata, language):
    assert messages.language_of({"metadata": metadata, "cells": []}) == language
    assert messages.language_of(nbformat.from_dict({"metadata": metadata, "cells": []})
                                if isinstance(metadata, dict) else {"metadata": metadata}) == language
    course = metadata.get("course") if isinstance(metadata, dict) else None
    with messages.speaking(course.get("language") if isinstance(course, dict) else None):
        assert messages.current() == language


def test_a_kernel_learns_the_language_from_validate_or_from_its_notebook(tmp_path, monkeypatch):
    """Validate names it in messages.ENV; JupyterLab names the kernel's notebook in JPY_SESSION_NAME."""
    notebook = tmp_path / "ex.ipynb"
    notebook.write_text(json.dumps({"metadata": {"course": {"language": "ko"}}, "cells": []}))
    monkeypatch.delenv(messages.ENV, raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert messages.current() == "en"
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    assert messages.current() == "ko"
    monkeypatch.chdir(tmp_path)  # an older jupyter_server names it relative to its root; the kernel runs beside it
    monkeypatch.setenv("JPY_SESSION_NAME", "some/folder/ex.ipynb")
    assert messages.current() == "ko"
    for broken in ("[", json.dumps({"metadata": {"course": {"language": "fr"}}}), json.dumps([1])):
        (tmp_path / "bad.ipynb").write_text(broken)
        messages.notebook_language.cache_clear()
        monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "bad.ipynb"))
        assert messages.current() == "en"
    monkeypatch.setenv(messages.ENV, "en")  # Validate's word comes first
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    assert messages.current() == "en"
    monkeypatch.setenv(messages.ENV, "ko")
    assert messages.current() == "ko"
    with messages.speaking("en"):  # and the grading side's, inside the judge, before both
        assert messages.current() == "en"


def test_a_lookup_on_any_text_is_quick_and_never_raises():
    texts_ = ["", "x" * 10**6, "expected " * 400, "expected {got} {what}, got {{", "{" * 3000, "}{" * 1500,
              "one batch holds all " + "9" * 2900 + " samples", "\x00\ud800", "힌트: " * 500]
    started = time.perf_counter()
    for text in texts_:
        for language in ("ko", "en", "xx", None):
            assert isinstance(messages.translated(text, language), str)
    for value in ("{what}", "}{", "{0}", "%s", "\\", "{" * 5000):  # values are never formatted again
        assert value in messages.say("ko", "expected {expected} {what}, got {got}", expected=value, what=value,
                                     got=value)
    assert messages.say("ko", "a phrase that is not in the catalogue {x}", x=1) == "a phrase that is not in the catalogue 1"
    assert messages.say(["ko"], "the test failed") == "the test failed"
    assert time.perf_counter() - started < 2.0
    # a hint with values filled in is found by its template, the values kept
    assert messages.translated("one batch holds all 17 samples", "ko") == "배치 하나에 샘플 17개가 모두 들어갑니다"
    # a value that is a sentence of the catalogue (the kernel's NameError) is translated too, its error's name kept
    assert messages.translated("your code raised NameError: name 'f' is not defined in your notebook (did its cell "
                               "run?) (in f(1))", "ko") == \
        "f(1) 안에서 작성한 코드가 예외를 일으켰습니다: NameError: 노트북에 'f'이(가) 정의되어 있지 않습니다(그 셀을 실행했나요?)"


def test_the_machines_locale_does_not_choose_the_language():
    """A Korean machine grading, or running, an English notebook says English; only the notebook says Korean."""
    code = ("from course_utils.grading import expect_equal, messages\n"
            "try:\n    expect_equal('steps', 3, 2, 'one update per batch of batch_size samples')\n"
            "except AssertionError as e:\n    print(e)\n"
            "with messages.speaking('ko'):\n    print(messages.text('passed'))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("JPY_SESSION_NAME", messages.ENV)}
    env.update(LANG="ko_KR.UTF-8", LC_ALL="ko_KR.UTF-8", LANGUAGE="ko")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["expected 3 steps, got 2:", "one update per batch of batch_size samples",
                                        "통과"], done.stdout


# the pipeline: Validate, Run All, autograde and feedback ------------------------------------------


def korean(nb, language="ko"):
    """The English notebook as the Korean release: language set, part headings translated (checksums kept valid)."""
    from nbgrader.utils import compute_checksum

    nb = copy.deepcopy(nb)
    nb.metadata.setdefault("course", {})["language"] = language
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## Part "):
            cell.source = re.sub(r"^## Part (\w) \((\d+) points?\)", r"## 파트 \1 (\2점)", cell.source)
            if "checksum" in cell.metadata.get("nbgrader", {}):
                cell.metadata.nbgrader.checksum = compute_checksum(cell)
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return new_course(tmp_path_factory.mktemp("course"), assignments=(ASSIGNMENT,))


def release(course):
    return read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def validate(course, nb, path, env=None) -> str:
    nbformat.write(nb, str(path))
    env_before = dict(os.environ)
    os.environ.update(env or {})
    try:
        result = nbgrader(course, "validate", str(path), cwd=course)
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_validate_speaks_the_notebooks_language(course, tmp_path):
    wrong = make_submission(release(course), ASSIGNMENT, FLOOR)
    out = validate(course, korean(wrong), tmp_path / f"{ASSIGNMENT}.ipynb")
    in_order(out, "검증 실패: 셀 3개가 테스트를 통과하지 못했습니다!",
             "파트 A: 실패, 1/3점 (테스트 3개 중 2개 실패)", "파트 B: 실패, 1/2점", "파트 C: 통과, 2/2점",
             "파트 A, test_steps_partial_batch (0/1점): steps_per_epoch는 마지막 부분 배치를", *KO_PARTIAL)
    assert "expected" not in out and "Part A" not in out and "VALIDATION" not in out, out
    blank = make_submission(release(course), ASSIGNMENT, {"blank": True})
    out = validate(course, korean(blank), tmp_path / f"{ASSIGNMENT}.ipynb")
    in_order(out, "파트 A: 아직 답하지 않음, 0/3점", "아직 답하지 않음: steps_per_epoch(100, 100)은(는) 아직 "
             "NotImplementedError를", "힌트: # YOUR CODE HERE라고")
    breaks_policy = make_submission(release(course), ASSIGNMENT, {"append": {"steps_per_epoch": "\nimport os\n"}})
    out = validate(course, korean(breaks_policy), tmp_path / f"{ASSIGNMENT}.ipynb")
    in_order(out, "이 셀은 실행되지 않았습니다. 채점 정책을 어기기 때문입니다",
             "번째 줄: 여기서는 'os'을(를) import할 수 없습니다(허용:")
    assert "not allowed" not in out, out
    solved = make_submission(release(course), ASSIGNMENT, {})
    out = validate(course, korean(solved), tmp_path / f"{ASSIGNMENT}.ipynb")
    assert out.strip().endswith("성공! 노트북이 모든 테스트를 통과합니다."), out


def test_the_validate_buttons_dialog_speaks_the_notebooks_language(course, tmp_path):
    """The JSON the Validate button's handler returns, as test_feedback_display gets it."""
    from test_feedback_display import HANDLER

    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    nbformat.write(korean(make_submission(release(course), ASSIGNMENT, FLOOR)), str(path))
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run([sys.executable, "-c", HANDLER, str(path)], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    failed = json.loads(done.stdout.strip().splitlines()[-1])["result"]["failed"]
    in_order(failed[0]["source"], "검증 실패: 셀 3개가", "파트 A: 실패, 1/3점", "파트 C: 통과, 2/2점")
    assert failed[1]["source"].startswith("파트 A, test_steps_partial_batch (0/1점): steps_per_epoch는")
    in_order(failed[1]["raw_error"], *KO_PARTIAL)


def test_validate_of_an_english_notebook_on_a_korean_machine_is_english(course, tmp_path):
    wrong = make_submission(release(course), ASSIGNMENT, FLOOR)
    korean_machine = {"LANG": "ko_KR.UTF-8", "LC_ALL": "ko_KR.UTF-8", "LANGUAGE": "ko"}
    out = validate(course, wrong, tmp_path / f"{ASSIGNMENT}.ipynb", env=korean_machine)
    in_order(out, "VALIDATION FAILED ON 3 CELL(S)!", "Part A: failed, 1/3 points", *EN_PARTIAL)
    assert not HANGUL.search(out), out
    unknown = validate(course, korean(wrong, language="fr"), tmp_path / f"{ASSIGNMENT}.ipynb")
    in_order(unknown, "VALIDATION FAILED ON 3 CELL(S)!", *EN_PARTIAL)


def test_run_all_in_jupyterlab_speaks_the_notebooks_language(course, tmp_path):
    """The kernel reads its notebook, which JupyterLab names in JPY_SESSION_NAME (IPython's __session__)."""
    from test_feedback_display import run_all

    nb = korean(make_submission(release(course), ASSIGNMENT, FLOOR))
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    nbformat.write(nb, str(path))
    nb.cells.append(nbformat.v4.new_code_cell("from course_utils.grading.runall import summary\n\nsummary()"))
    ran, stopped = run_all(nb, extension=True, env={"JPY_SESSION_NAME": str(path)})
    assert stopped is None, stopped
    cell = next(c for c in ran.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_steps_partial_batch")
    shown = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(cell.outputs[0]["traceback"]))
    assert shown.startswith("실패: steps_per_epoch는 마지막 부분 배치를 스텝 하나로 더 셉니다."), shown
    in_order(shown, KO_PARTIAL[0], KO_PARTIAL[1])
    summary = "".join(o.get("text", "") for o in ran.cells[-1].outputs)
    in_order(summary, "파트 A: 실패, 1/3점", "파트 C: 통과, 2/2점", "    " + KO_PARTIAL[0])


def hand_in(course, students: dict) -> None:
    for student, nb in students.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(folder / f"{ASSIGNMENT}.ipynb"))


def error_text(nb, grade_id: str) -> str:
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(o.get("evalue", "") for o in cell.outputs if o.get("output_type") == "error")


def test_autograde_and_feedback_speak_the_submissions_language_with_the_same_scores(course):
    require_sandbox()
    ko_release = course / "ko" / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"  # the Korean release
    ko_release.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(korean(release(course)), str(ko_release))
    wrong = make_submission(release(course), ASSIGNMENT, FLOOR)
    tampered = korean(wrong)
    tampered.cells[0].source = "# 만점입니다! <script>alert(1)</script>"  # a locked cell, changed
    students = {"english": wrong, "korean": tampered,
                "unknown": korean(wrong, language={"ko": "x" * 10**5}),  # not a language: English
                "koreanblank": korean(make_submission(release(course), ASSIGNMENT, {"blank": True}))}
    hand_in(course, students)
    nbgrader_ok(course, "autograde", ASSIGNMENT, "--force")
    for student in students:
        nbgrader_ok(course, "generate_feedback", ASSIGNMENT, f"--student={student}")
    got = scores(course, ASSIGNMENT, students)
    assert got["english"] == got["korean"] == got["unknown"], got  # total and every cell
    assert got["english"]["score"] == 2 and got["koreanblank"]["score"] == 0, got

    graded = {s: read(course / "autograded" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb") for s in students}
    markdown = {s: [c.source for c in nb.cells if c.cell_type == "markdown"] for s, nb in graded.items()}
    # locked markdown comes back from the release in the submission's language, never as the student left it
    assert markdown["korean"] == [c.source for c in read(ko_release).cells if c.cell_type == "markdown"]
    assert any(m.startswith("## 파트 A (3점)") for m in markdown["korean"])
    assert any(m.startswith("## Part A (3 points)") for m in markdown["english"])
    assert not any("만점입니다" in m for m in markdown["korean"])
    assert markdown["english"] == markdown["unknown"] == [c.source for c in release(course).cells
                                                          if c.cell_type == "markdown"]
    in_order(error_text(graded["korean"], "test_steps_partial_batch"), *KO_PARTIAL)
    in_order(error_text(graded["english"], "test_steps_partial_batch"), *EN_PARTIAL)
    in_order(error_text(graded["unknown"], "test_steps_partial_batch"), *EN_PARTIAL)
    hidden = error_text(graded["korean"], "test_steps_seed_examples")  # a hidden test's hint, values filled in
    assert "일 때 스텝 수: 기댓값" in hidden and "힌트: 샘플 batch_size개로 된 배치마다 한 번 갱신합니다" in hidden, hidden

    def page(student):
        html = (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        return re.sub(r"<[^>]+>", "", html)

    in_order(page("korean"), "채점 결과", "7점 만점에 2점입니다.", "파트 A: 실패, 0/3점 (테스트 3개 중 3개 실패)",
             "파트 C: 통과, 2/2점", "실패한 테스트",
             "파트 A, test_steps_partial_batch (0/1점): steps_per_epoch는 마지막 부분 배치를", *KO_PARTIAL,
             "파트 A, 테스트 test_steps_seed_examples", "숨겨진 테스트: 보이지 않습니다")
    assert "파트 A (3점)" in page("korean") and "만점입니다!" not in page("korean")
    in_order(page("english"), "Your results", "2 of 7 points", "Part A: failed, 0/3 points", *EN_PARTIAL)
    for student in ("english", "unknown"):
        assert not HANGUL.search(page(student)), student
    in_order(page("koreanblank"), "7점 만점에 0점입니다.", "파트 A: 아직 답하지 않음, 0/3점",
             "아직 답하지 않음: steps_per_epoch")
