"""The course website (make site, course_utils/authoring/site.py) and the execution cache behind it.

One build per test session (the ``built`` fixture), reusing the lessons executed by
tests/course/test_notebooks.py (course_utils/authoring/execute.py): every lesson and exercise has a
page, each figure of an executed lesson is an image file of the site, the exercise pages hold
none of the solutions' code, no page or style sheet loads anything from http(s)://, every
internal link resolves. The README's Binder and "read it online" addresses follow course.toml.
"""

from __future__ import annotations

import html
import pathlib
import re
import urllib.parse

import nbformat
import pytest

from course_utils.authoring import manifest
from course_utils.authoring import execute, site

ROOT = pathlib.Path(__file__).resolve().parents[2]
COURSE = manifest.load(ROOT)
SOLUTION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


@pytest.fixture(scope="session")
def built() -> pathlib.Path:
    """The site of every language present, built once for the session into _build/site/."""
    return site.build()


def _page(built: pathlib.Path, language: str, source: str) -> str:
    return (built / language / source.replace(".ipynb", ".html")).read_text(encoding="utf-8")


def _text(page: str) -> str:
    """A page's text, tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _pages() -> list[str]:
    return [lesson.path for lesson in COURSE.lessons] + \
        [f"exercises/{a.id}/{a.id}.ipynb" for a in COURSE.assignments] + list(site.GUIDES)


# the built site ------------------------------------------------------------------------------

def test_every_lesson_exercise_and_guide_has_a_page_in_every_language(built):
    missing = [f"{language}/{path}" for language in site.languages_present() for path in _pages()
               if not (built / language / path.replace(".ipynb", ".html").replace(".md", ".html")).is_file()]
    assert not missing
    assert (built / "index.html").is_file() and (built / "en" / "search.html").is_file()


def test_the_home_page_is_the_course_map_and_the_navigation_follows_the_manifest(built):
    home = (built / "en" / "index.html").read_text(encoding="utf-8")
    assert COURSE.lessons[0].path.replace(".ipynb", ".html") in home
    page = _page(built, "en", COURSE.lessons[0].path)
    nav = page[page.index('class="bd-sidebar-primary'):]
    order = [nav.index(f'{lesson.path.split("/")[1].replace(".ipynb", ".html")}"') for lesson in COURSE.lessons[1:]]
    assert order == sorted(order), "the sidebar lists the lessons out of the manifest's order"
    for a in COURSE.assignments:
        assert f'exercises/{a.id}/{a.id}.html"' in nav


@pytest.mark.parametrize("lesson", COURSE.lessons, ids=lambda lesson: lesson.slug)
def test_each_figure_of_an_executed_lesson_is_a_local_image(built, lesson):
    executed = execute.executed(ROOT / lesson.path)
    figures = sum("image/png" in output.get("data", {}) for cell in executed.cells
                  for output in cell.get("outputs", []))
    page = _page(built, "en", lesson.path)
    images = re.findall(r'<img [^>]*src="(\.\./_images/[^"]+)"', page)
    assert len(images) == figures, f"{lesson.path}: {figures} figures in its outputs, {len(images)} on the page"
    page_folder = built / "en" / "lessons"
    assert all((page_folder / src).is_file() and (page_folder / src).stat().st_size > 0 for src in images)


@pytest.mark.parametrize("lesson", [lesson for lesson in COURSE.lessons if lesson.exercise],
                         ids=lambda lesson: lesson.slug)
def test_each_lesson_page_links_to_its_exercise_and_to_binder(built, lesson):
    page = _page(built, "en", lesson.path)
    ex = lesson.exercise.id
    assert f'href="../exercises/{ex}/{ex}.html"' in page
    binder = html.escape(site.repository(ROOT).binder(lesson.path))
    assert f'href="{binder}"' in page
    exercise = _page(built, "en", f"exercises/{ex}/{ex}.ipynb")
    assert f'href="../../{lesson.path.replace(".ipynb", ".html")}"' in exercise


def _solution_lines(assignment_id: str) -> list[str]:
    """Lines of the solution and hidden-test regions that the released notebook does not hold."""
    solution = nbformat.read(ROOT / "solutions" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    release = nbformat.read(ROOT / "exercises" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    released = " ".join(" ".join(cell.source.split()) for cell in release.cells)
    lines = {" ".join(line.split()) for cell in solution.cells for match in SOLUTION.finditer(cell.source)
             for line in match.group(2).splitlines()}
    return sorted(line for line in lines if len(line) > 12 and line not in released and not line.startswith("#"))


@pytest.mark.parametrize("assignment", COURSE.assignments, ids=lambda a: a.id)
def test_exercise_pages_hold_no_solution_code_or_hidden_tests(built, assignment):
    lines = _solution_lines(assignment.id)
    assert lines, f"{assignment.id}: no solution lines to look for (the check would prove nothing)"
    for language in site.languages_present():
        text = _text(_page(built, language, f"exercises/{assignment.id}/{assignment.id}.ipynb"))
        text = re.sub(r"\s+", " ", text)
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{language}: {assignment.id}'s page shows solution code: {leaked[:3]}"


def test_keras_progress_bars_show_one_line_per_epoch(built):
    lines = [line for lesson in COURSE.lessons for line in _text(_page(built, "en", lesson.path)).split("\n")
             if "/step" in line]
    assert lines, "no Keras progress bar on any lesson page (the check would prove nothing)"
    redrawn = [line for line in lines if line.count("/step") > 1]
    assert not redrawn, f"progress bars drawn over each other on one line: {redrawn[:2]}"


def test_no_asset_from_outside_and_every_internal_link_resolves(built):
    assert site.check_site(built) == []
    pages = list(built.rglob("*.html"))
    assert len(pages) > len(_pages())


def test_the_korean_site_takes_the_english_outputs(built):
    if "ko" not in site.languages_present():
        pytest.skip("no Korean edition (ko/lessons/) yet")
    lesson = COURSE.lessons[1]
    english, korean = _page(built, "en", lesson.path), _page(built, "ko", lesson.path)
    assert re.findall(r'src="(\.\./_images/[^"]+)"', english) == re.findall(r'src="(\.\./_images/[^"]+)"', korean)
    assert 'lang="ko"' in korean
    assert f'href="../../en/{lesson.path.replace(".ipynb", ".html")}"' in korean


# the checker and the pieces, on small inputs --------------------------------------------------

def test_check_site_names_a_remote_asset_a_missing_page_and_a_missing_anchor(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "page.html").write_text(
        '<html><head><script src="https://cdn.example.org/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/f.css"><link rel="canonical" href="https://example.org/c">'
        '</head><body id="top">'
        '<a href="other.html">gone</a><a href="page.html#nowhere">no anchor</a>'
        '<a href="page.html#top">fine</a><a href="https://example.org/">fine too</a>'
        '<img src="../img/missing.png"></body></html>')
    (tmp_path / "style.css").write_text("@font-face { src: url(https://fonts.example.org/a.woff2); }")
    problems = "\n".join(site.check_site(tmp_path))
    for expected in ("https://cdn.example.org/x.js", "//fonts.example.org/f.css", "link to a missing file: other.html",
                     "missing anchor: page.html#nowhere", "../img/missing.png", "https://fonts.example.org/a.woff2"):
        assert expected in problems
    assert "#top" not in problems and "https://example.org/" not in problems  # links to other sites are fine


def test_korean_notebook_takes_outputs_only_when_its_code_matches():
    english = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"),
                                              nbformat.v4.new_code_cell("print(1)")])
    english.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    korean = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 제목"),
                                             nbformat.v4.new_code_cell("print(1)")])
    assert site.with_outputs(korean, english, "ko.ipynb").cells[1].outputs[0].text == "1\n"
    korean.cells[1].source = "print(2)"
    with pytest.raises(site.SiteError, match="ko.ipynb: code cell 0 differs"):
        site.with_outputs(korean, english, "ko.ipynb")


def test_a_progress_bar_shows_as_a_terminal_leaves_it():
    assert site.settle_stream("epoch 1 10%\repoch 1 100%\nnext\n") == "epoch 1 100%\nnext\n"
    assert site.settle_stream("1/8 [==>...]\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b8/8 [======]") == "8/8 [======]"


def test_a_bar_redrawn_across_several_outputs_shows_once():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("fit()")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="Epoch 1/1\n1/2 [==   ]"),
                           nbformat.v4.new_output("stream", text="\r2/2 [=====]\n"),
                           nbformat.v4.new_output("stream", name="stderr", text="warning\n")]
    outputs = site.for_the_page(nb).cells[0].outputs
    assert [(o.name, o.text) for o in outputs] == [("stdout", "Epoch 1/1\n2/2 [=====]\n"), ("stderr", "warning\n")]


def test_a_bad_repository_setting_is_named(tmp_path):
    (tmp_path / "course.toml").write_text('[course]\nrepository = "OWNER REPO"\n')
    with pytest.raises(site.SiteError, match=r"repository must be a GitHub \"owner/name\", got 'OWNER REPO'"):
        site.repository(tmp_path)


def test_the_readme_uses_the_repository_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    repo = site.repository(ROOT)
    assert "OWNER/REPO" not in readme
    binder = re.findall(r"\((https://mybinder\.org/v2/gh/[^)]+)\)", readme)
    assert binder, "the README has no Binder badge"
    for url in binder:
        path = urllib.parse.unquote(url.split("urlpath=lab%2Ftree%2F")[1])
        assert url == repo.binder(path) and (ROOT / path).is_file(), url
    assert f"Read it online: {repo.pages}" in readme


def test_the_cache_executes_a_notebook_once_until_it_changes(tmp_path, monkeypatch):
    notebook = tmp_path / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nprint(os.getcwd())")]),
                   notebook)
    first = execute.executed(notebook, cache=tmp_path / "cache")
    assert first.cells[0].outputs[0].text.strip() == str(tmp_path)  # run in the notebook's folder
    runs = []
    monkeypatch.setattr(execute, "_run", lambda path: runs.append(path) or first)
    assert execute.executed(notebook, cache=tmp_path / "cache").cells[0].outputs == first.cells[0].outputs
    assert runs == []
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(2)")]), notebook)
    execute.executed(notebook, cache=tmp_path / "cache")
    assert len(runs) == 1 and len(list((tmp_path / "cache").glob("lesson-*.ipynb"))) == 1
