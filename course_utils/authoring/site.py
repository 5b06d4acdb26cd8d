"""The course as a website: ``make site`` (``python -m course_utils.authoring.site``).

Builds ``_build/site/<language>/`` with Sphinx (Jupyter Book 1's parts: myst-nb,
sphinx-book-theme, sphinx-external-toc), offline:

- the pages of one language are staged in ``_build/site-src/<language>/``, laid out as in the
  repository (``lessons/``, ``exercises/<id>/``, ``docs/``) so that the notebooks' relative
  links (``../exercises/...ipynb``, ``../docs/*.md``) resolve on the site as they do in
  JupyterLab; the table of contents ``_toc.yml`` is generated from course.toml;
- the lessons carry the outputs of one execution (:mod:`course_utils.authoring.execute`, the
  cache the tests use); the exercises are the released notebooks, checked to hold no solution
  and no hidden test; under each lesson's and exercise's title, a site-only line: the lesson's
  exercise (an exercise links to its lesson already), and "open in Binder / JupyterLab", whose
  address comes from course.toml's ``[course] repository`` and ``branch``;
- the Korean edition (``ko/``, when present) is built from the same configuration with
  ``language = "ko"``; its code cells are the English ones (checked cell by cell) and take the
  English outputs, so nothing is executed twice; a page not yet translated is the English one;
- Sphinx runs with ``-W`` (a warning, a broken cross-reference among them, fails the build),
  then :func:`check_site` reads the built HTML: every internal link and asset must resolve to
  a file of the site (and its ``#fragment`` to an id there), and no asset (script, style
  sheet, image, font, frame) may come from ``http(s)://``. A problem fails the build.
"""

from __future__ import annotations

import argparse
import html.parser
import json
import pathlib
import posixpath
import re
import shutil
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass

import nbformat

from course_utils.authoring import manifest
from course_utils.authoring import execute

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = ROOT / "site"  # conf.py, _templates/, _static/
OUT = ROOT / "_build" / "site"
STAGE = ROOT / "_build" / "site-src"
DOCTREES = ROOT / "_build" / "site-doctrees"
HTML = ROOT / "_build" / "site-html"  # Sphinx's output; myst-nb keeps its jupyter_execute/ beside it
GUIDES = ("docs/checking_your_answers.md", "docs/instructor_guide.md")
LANGUAGES = {"en": "English", "ko": "한국어"}
REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
# Markers nbgrader removes when it releases an exercise; one left means a solution or hidden test leaked.
RELEASE_LEAKS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
MARKDOWN_LINK = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

TEXT = {
    "en": {
        "title": "Batches, epochs and steps",
        "search_text": "Search the course…",
        "exercise": "Exercise",
        "captions": ("Lessons", "Exercises", "Guides"),
        "binder": "open this notebook in JupyterLab on Binder",
        "local": "or, after `make lab`, [in your JupyterLab]({url})",
    },
    "ko": {
        "title": "배치, 에포크, 스텝",
        "search_text": "강의 검색…",
        "exercise": "연습 문제",
        "captions": ("레슨", "연습 문제", "안내서"),
        "binder": "Binder의 JupyterLab에서 이 노트북 열기",
        "local": "또는 `make lab` 실행 후 [내 JupyterLab에서 열기]({url})",
    },
}


class SiteError(RuntimeError):
    """The site cannot be built as asked; the message names the file or setting at fault."""


# the repository setting ------------------------------------------------------------------------

@dataclass(frozen=True)
class Repository:
    """course.toml's ``[course] repository = "owner/name"`` and ``branch``: Binder and Pages addresses."""

    owner: str
    name: str
    branch: str

    def binder(self, path: str) -> str:
        """Binder's address that opens ``path`` (relative to the repository) in JupyterLab."""
        target = urllib.parse.quote(f"lab/tree/{path}", safe="")
        return f"https://mybinder.org/v2/gh/{self.owner}/{self.name}/{self.branch}?urlpath={target}"

    @property
    def pages(self) -> str:
        """Where .github/workflows/pages.yml publishes the site."""
        return f"https://{self.owner.lower()}.github.io/{self.name}/"


def repository(root: pathlib.Path | str = ROOT) -> Repository:
    """The ``[course]`` table of ``root/course.toml``; :class:`SiteError` names a bad or missing value."""
    path = pathlib.Path(root) / manifest.MANIFEST
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("course")
    if not isinstance(table, dict):
        raise SiteError(f"{path}: expected a [course] table with repository = \"owner/name\" and branch")
    value, branch = table.get("repository"), table.get("branch", "main")
    if not isinstance(value, str) or not REPOSITORY.fullmatch(value):
        raise SiteError(f"{path}: [course] repository must be a GitHub \"owner/name\", got {value!r}")
    if not isinstance(branch, str) or not re.fullmatch(r"[A-Za-z0-9._/-]+", branch):
        raise SiteError(f"{path}: [course] branch must be a branch name such as \"main\", got {branch!r}")
    owner, name = value.split("/")
    return Repository(owner, name, branch)


# staging one language ----------------------------------------------------------------------------

def _write_if_changed(path: pathlib.Path, text: str) -> None:
    """Write ``text`` unless the file holds it already (an unchanged page keeps Sphinx's cache)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def settle_stream(text: str) -> str:
    """A stream as a terminal leaves it: each line after its last carriage return, backspaces applied."""
    lines = []
    for line in text.split("\n"):
        parts = [part for part in line.split("\r") if part]
        line = parts[-1] if parts else ""
        while "\x08" in line:  # a backspace erases the character before it
            line = re.sub("[^\x08]?\x08", "", line, count=1)
        lines.append(line)
    return "\n".join(lines)


def _merged_streams(outputs: list) -> list:
    """Consecutive outputs of one stream as one: a progress bar redrawn with "\r" spans several."""
    merged = []
    for output in outputs:
        if output.output_type == "stream" and merged and merged[-1].output_type == "stream" \
                and merged[-1].name == output.name:
            merged[-1].text += output.text
        else:
            merged.append(output)
    return merged


def for_the_page(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Outputs a static page can show: progress bars as they end, widgets as their text form."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = _merged_streams(cell.outputs)
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = settle_stream(output.text)
            elif WIDGET_VIEW in output.get("data", {}):
                output.data.pop(WIDGET_VIEW)
    return nb


def with_outputs(translated: nbformat.NotebookNode, english: nbformat.NotebookNode,
                 name: str) -> nbformat.NotebookNode:
    """``translated`` with the outputs of ``english`` (executed), after checking their code cells match."""
    ours = [c for c in translated.cells if c.cell_type == "code"]
    theirs = [c for c in english.cells if c.cell_type == "code"]
    if len(ours) != len(theirs):
        raise SiteError(f"{name}: {len(ours)} code cells, the English notebook has {len(theirs)}; "
                        "regenerate the translation")
    for number, (mine, source) in enumerate(zip(ours, theirs)):
        if mine.source != source.source:
            raise SiteError(f"{name}: code cell {number} differs from the English notebook's; "
                            "regenerate the translation")
        mine.outputs, mine.execution_count = source.outputs, source.execution_count
    return translated


def _header(nb: nbformat.NotebookNode, line: str) -> None:
    """Put the site-only line under the notebook's title (the first line of its first cell)."""
    first = nb.cells[0]
    title, _, rest = first.source.partition("\n")
    first.source = f"{title}\n\n{line}\n\n{rest.lstrip()}"


def _links(language: str, repo: Repository, path: str, other: tuple[str, str] | None) -> str:
    """The site-only line: the lesson's exercise, if ``other`` names it, and where to run the notebook."""
    text, parts = TEXT[language], []
    if other:
        parts.append(f"**{other[0]}:** {other[1]}")
    parts.append(f"[{text['binder']}]({repo.binder(path)})")
    local = text["local"].format(url=f"http://localhost:8888/lab/tree/{path}")
    return " · ".join(parts) + f" ({local})"


def _source(language: str, english: str) -> str:
    """The repository path of a page in ``language``: its translation when there is one."""
    if language == "en":
        return english
    translated = f"{language}/{english}"
    return translated if (ROOT / translated).exists() else english


def released(path: pathlib.Path) -> nbformat.NotebookNode:
    """The released exercise at ``path``, after checking it holds no solution and no hidden test."""
    nb = nbformat.read(path, as_version=4)
    for number, cell in enumerate(nb.cells):
        leaks = [marker for marker in RELEASE_LEAKS if marker in cell.source]
        if leaks:
            raise SiteError(f"{path.relative_to(ROOT)}: cell {number} holds {leaks[0]!r}: not a released "
                            "exercise; run python -m course_utils.authoring.manifest --write")
    return nb


def relink(nb: nbformat.NotebookNode, source: str, page: str) -> nbformat.NotebookNode:
    """Relative links of the notebook at repository path ``source`` as seen from the page at ``page``.

    An edition's notebook (``ko/lessons/x.ipynb``) links into ``ko/`` for what is translated and
    out of it for the rest (``../../docs/x.md``); on the site each language is a whole tree, so both
    become links within it (``../docs/x.md``). Links of an English notebook do not change.
    """
    def fix(match: re.Match) -> str:
        target, hashmark, anchor = match.group(2).partition("#")
        if not target or re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("/"):
            return match.group(0)
        reached = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        edition = reached.split("/")[0]
        if edition in LANGUAGES and edition != "en":
            reached = reached.split("/", 1)[1]
        relative = posixpath.relpath(reached, posixpath.dirname(page) or ".")
        return f"{match.group(1)}{relative}{hashmark}{anchor}{match.group(3)}"

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = MARKDOWN_LINK.sub(fix, cell.source)
    return nb


def _lesson_page(language: str, lesson: manifest.Lesson, repo: Repository) -> nbformat.NotebookNode:
    english = execute.executed(ROOT / lesson.path)
    source = _source(language, lesson.path)
    nb = english if source == lesson.path else with_outputs(
        nbformat.read(ROOT / source, as_version=4), english, source)
    nb = for_the_page(relink(nb, source, lesson.path))
    if lesson.exercise:
        ex = lesson.exercise.id
        _header(nb, _links(language, repo, source,
                           (TEXT[language]["exercise"], f"[{ex}](../exercises/{ex}/{ex}.ipynb)")))
    return nb


def _exercise_page(language: str, lesson: manifest.Lesson, repo: Repository) -> nbformat.NotebookNode:
    ex = lesson.exercise.id
    source = _source(language, f"exercises/{ex}/{ex}.ipynb")
    nb = relink(released(ROOT / source), source, f"exercises/{ex}/{ex}.ipynb")
    _header(nb, _links(language, repo, source, None))  # its first cell links to its lesson already
    return nb


def toc(course: manifest.Course, language: str = "en") -> str:
    """The table of contents (sphinx-external-toc's jb-book format) from the manifest."""
    captions = TEXT[language]["captions"]
    lines = ["format: jb-book", f"root: {course.lessons[0].path.removesuffix('.ipynb')}", "parts:",
             f"  - caption: {captions[0]}", "    chapters:"]
    lines += [f"      - file: {lesson.path.removesuffix('.ipynb')}" for lesson in course.lessons[1:]]
    lines += [f"  - caption: {captions[1]}", "    chapters:"]
    lines += [f"      - file: exercises/{a.id}/{a.id}" for a in course.assignments]
    lines += [f"  - caption: {captions[2]}", "    chapters:"]
    lines += [f"      - file: {guide.removesuffix('.md')}" for guide in GUIDES]
    return "\n".join(lines) + "\n"


def stage(language: str, languages: list[str], stage_root: pathlib.Path = STAGE) -> pathlib.Path:
    """Write the Sphinx source folder of ``language``; its path."""
    course, repo = manifest.load(ROOT), repository(ROOT)
    folder = stage_root / language
    for item in CONFIG.rglob("*"):
        if item.is_file() and "__pycache__" not in item.parts:
            _write_if_changed(folder / item.relative_to(CONFIG), item.read_text(encoding="utf-8"))
    text = TEXT[language]
    settings = {"language": language, "title": text["title"], "author": "the course's authors",
                "search_text": text["search_text"],
                "languages": [[code, LANGUAGES[code]] for code in languages]}
    _write_if_changed(folder / "site.json", json.dumps(settings, ensure_ascii=False, indent=1) + "\n")
    _write_if_changed(folder / "_toc.yml", toc(course, language))
    for lesson in course.lessons:
        _write_if_changed(folder / lesson.path, nbformat.writes(_lesson_page(language, lesson, repo)))
        if lesson.exercise:
            ex = lesson.exercise.id
            _write_if_changed(folder / "exercises" / ex / f"{ex}.ipynb",
                              nbformat.writes(_exercise_page(language, lesson, repo)))
    for guide in GUIDES:
        _write_if_changed(folder / guide, (ROOT / _source(language, guide)).read_text(encoding="utf-8"))
    return folder


# building and checking ---------------------------------------------------------------------------

class _Refs(html.parser.HTMLParser):
    """The ids of a page, its links (<a href>) and its assets (src, <link href>, CSS url())."""

    ASSET_TAGS = {"script", "img", "link", "iframe", "source", "video", "audio", "embed", "object"}
    LOADED_LINKS = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest"}  # <link rel=...>

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.assets = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in self.ASSET_TAGS:
            loads = tag != "link" or set((attrs.get("rel") or "").lower().split()) & self.LOADED_LINKS
            for name in ("src", "data", "poster") + (("href",) if loads else ()):
                if attrs.get(name):
                    self.assets.append(attrs[name])
        if attrs.get("style"):
            self.assets += re.findall(r"url\(['\"]?([^'\")]+)", attrs["style"])


def _is_remote(url: str) -> bool:
    return bool(re.match(r"(https?:)?//", url, re.I))


def _skip(url: str) -> bool:
    """Not a file of the site: another scheme (mailto:, data:, javascript:; http(s) is checked apart)."""
    return bool(re.match(r"[a-z][a-z0-9+.-]*:", url, re.I))


def check_site(site: pathlib.Path) -> list[str]:
    """What is wrong with the built HTML under ``site``: remote assets, links to nothing; one line each."""
    pages = {p.relative_to(site).as_posix(): p for p in site.rglob("*.html") if "_static" not in p.parts}
    parsed = {}
    for name, path in pages.items():
        parsed[name] = _Refs()
        parsed[name].feed(path.read_text(encoding="utf-8"))
    problems = []
    for name, refs in parsed.items():
        for asset in refs.assets:
            if _is_remote(asset):
                problems.append(f"{name}: asset from outside the site: {asset}")
        for url in refs.links + refs.assets:
            if _is_remote(url) or _skip(url):
                continue
            target, _, fragment = urllib.parse.unquote(url).partition("#")
            target = target.split("?")[0]
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target)) if target else name
            if resolved.endswith("/") or (site / resolved).is_dir():
                resolved = posixpath.join(resolved.rstrip("/"), "index.html")
            if resolved.startswith("../") or not (site / resolved).is_file():
                problems.append(f"{name}: link to a missing file: {url}")
            elif fragment and resolved in parsed and fragment not in parsed[resolved].ids:
                problems.append(f"{name}: link to a missing anchor: {url}")
    problems += _check_css(site)
    return problems


def _check_css(site: pathlib.Path) -> list[str]:
    """Style sheets: no @import or url() from outside the site, and each local url() a file."""
    problems = []
    for sheet in site.rglob("*.css"):
        name = sheet.relative_to(site).as_posix()
        text = sheet.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", text) + re.findall(r"@import\s+['\"]([^'\"]+)", text):
            if _is_remote(url):
                problems.append(f"{name}: asset from outside the site: {url}")
            elif not _skip(url) and not url.startswith("#"):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name), url.split("?")[0].split("#")[0]))
                if not (site / target).is_file():
                    problems.append(f"{name}: url() of a missing file: {url}")
    return problems


def _sphinx(source: pathlib.Path, out: pathlib.Path, doctrees: pathlib.Path) -> None:
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
               "-d", str(doctrees), str(source), str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise SiteError(f"sphinx-build failed for {source.name} (exit {result.returncode}):\n"
                        f"{result.stderr[-6000:]}")


def languages_present() -> list[str]:
    """English, and each translated edition whose folder exists (``ko/``)."""
    return ["en"] + [code for code in LANGUAGES if code != "en" and (ROOT / code / "lessons").is_dir()]


def _redirect(path: pathlib.Path, target: str) -> None:
    path.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Redirect</title>'
                    f'<meta http-equiv="refresh" content="0; url={target}"></head>'
                    f'<body><a href="{target}">{target}</a></body></html>\n', encoding="utf-8")


def build(languages: list[str] | None = None, out: pathlib.Path = OUT) -> pathlib.Path:
    """Build the site of each language (all present by default) into ``out``; raises :class:`SiteError`."""
    languages = languages or languages_present()
    unknown = [code for code in languages if code not in LANGUAGES]
    if unknown or "en" not in languages:
        raise SiteError(f"languages: expected 'en' and any of {sorted(LANGUAGES)}, got {languages!r}")
    out.mkdir(parents=True, exist_ok=True)
    root_page = manifest.load(ROOT).lessons[0].path.replace(".ipynb", ".html")
    for language in languages:
        source = stage(language, languages)
        _sphinx(source, HTML / language, DOCTREES / language)
        shutil.rmtree(out / language, ignore_errors=True)
        shutil.copytree(HTML / language, out / language, ignore=shutil.ignore_patterns(".buildinfo"))
        _redirect(out / language / "index.html", root_page)
    _redirect(out / "index.html", f"en/{root_page}")
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ as it is
    problems = check_site(out)
    if problems:
        raise SiteError(f"{len(problems)} problems in the built site:\n" + "\n".join(problems[:50]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.authoring.site",
                                     description="Build the course website into _build/site/ (offline).")
    parser.add_argument("--language", action="append", choices=sorted(LANGUAGES),
                        help="a language to build (repeatable; default: English and every edition present)")
    args = parser.parse_args(argv)
    try:
        out = build(args.language and sorted(set(args.language) | {"en"}, key=list(LANGUAGES).index))
    except (SiteError, manifest.ManifestError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"built {out.relative_to(ROOT)}/ ({', '.join(p.name for p in sorted(out.iterdir()) if p.is_dir())});"
          f" open {out.relative_to(ROOT)}/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
