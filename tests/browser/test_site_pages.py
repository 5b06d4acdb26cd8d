"""The course website as a reader meets it: every page of ``_build/site/`` in headless Chromium.

The site (course_utils/authoring/site.py) is built once for the session, served by Python's
http.server on 127.0.0.1, and each page opened: no console error, no request that leaves
127.0.0.1, every <img> loaded (naturalWidth > 0), every formula laid out, Hangul drawn with a real font (not the
blank boxes of a missing glyph); search finds a lesson by a word of its text; the language
switch (when the Korean edition is built) leads to the same page in the other language.
Skips without /usr/bin/chromium (.ci/install_system_packages.sh) or Playwright.
"""

from __future__ import annotations

import functools
import http.server
import pathlib
import re
import threading

import nbformat
import pytest

from course_utils.authoring import manifest
from course_utils.authoring import site

pytestmark = pytest.mark.browser
ROOT = pathlib.Path(__file__).resolve().parents[2]
COURSE = manifest.load(ROOT)
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Width of a Hangul string against the same number of unassigned code points (drawn as .notdef boxes).
GLYPH_WIDTHS = """(family) => {
  const context = document.createElement('canvas').getContext('2d');
  context.font = `16px ${family}`;
  return [context.measureText('배치크기에포크').width, context.measureText('\\u0378'.repeat(7)).width];
}"""
BROKEN_IMAGES = "() => Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
# Formulas (MathML written at build time) that the browser did not lay out.
FLAT_MATH = "() => Array.from(document.querySelectorAll('article math')).filter(m => m.getBoundingClientRect().width === 0).length"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def served_site(playwright_api):
    """The built site on http://127.0.0.1:<port>/ (the build is incremental: a second one in a run is quick)."""
    out = site.build()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"root": out, "url": f"http://127.0.0.1:{server.server_address[1]}"}
    server.shutdown()
    thread.join()


def _pages(root: pathlib.Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html")
                  if "_static" not in p.parts and p.name != "index.html")


def _open(context, url: str, origin: str):
    """A new tab at ``url``; returns it with the console errors and the requests outside ``origin``."""
    tab, errors, outside = context.new_page(), [], []
    tab.on("console", lambda message: errors.append(f"{message.text} ({message.location.get('url')})")
           if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("request", lambda request: None if request.url.startswith((origin + "/", "data:", "blob:"))
           else outside.append(request.url))
    tab.goto(url, wait_until="networkidle")
    return tab, errors, outside


def test_every_page_loads_with_its_images_and_nothing_from_outside(served_site, browser_context):
    problems = []
    for name in _pages(served_site["root"]):
        tab, errors, outside = _open(browser_context, f"{served_site['url']}/{name}", served_site["url"])
        try:
            broken = tab.evaluate(BROKEN_IMAGES)
            problems += [f"{name}: console error: {e}" for e in errors]
            problems += [f"{name}: request outside the site: {u}" for u in outside]
            problems += [f"{name}: image not loaded: {src}" for src in broken]
            flat = tab.evaluate(FLAT_MATH)
            problems += [f"{name}: {flat} formulas not drawn"] if flat else []
            text = tab.locator("article").first.inner_text() if tab.locator("article").count() else ""
            if HANGUL.search(text):
                family = tab.evaluate("() => getComputedStyle(document.querySelector('article')).fontFamily")
                hangul, boxes = tab.evaluate(GLYPH_WIDTHS, family)
                if abs(hangul - boxes) < 0.1 * boxes:
                    problems.append(f"{name}: Hangul drawn as missing-glyph boxes ({hangul:.0f} px vs {boxes:.0f} px)")
        finally:
            tab.close()
    assert not problems, "\n".join(problems[:40])


def _words(path: pathlib.Path) -> set[str]:
    nb = nbformat.read(path, as_version=4)
    text = " ".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    return set(re.findall(r"\b[a-z]{7,}\b", re.sub(r"`[^`]*`|\([^)]*\)", " ", text.lower())))


def test_search_finds_a_lesson_by_a_word_of_its_text(served_site, browser_context):
    lesson = COURSE.lessons[3]
    others = set().union(*(_words(ROOT / other.path) for other in COURSE.lessons if other != lesson))
    word = sorted(_words(ROOT / lesson.path) - others)[0]  # in this lesson's text only
    tab, errors, _ = _open(browser_context, f"{served_site['url']}/en/search.html?q={word}", served_site["url"])
    try:
        results = tab.locator("#search-results ul.search li a")
        results.first.wait_for(timeout=30_000)
        hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    finally:
        tab.close()
    assert any(lesson.path.replace(".ipynb", ".html") in href for href in hrefs), (word, hrefs)
    assert not errors


def test_the_language_switch_leads_to_the_same_page(served_site, browser_context):
    if "ko" not in site.languages_present():
        pytest.skip("no Korean edition (ko/lessons/) yet")
    lesson = COURSE.lessons[1].path.replace(".ipynb", ".html")
    tab, errors, _ = _open(browser_context, f"{served_site['url']}/ko/{lesson}", served_site["url"])
    try:
        tab.locator(".course-language-switch a[hreflang=en]").first.click()
        tab.wait_for_load_state("networkidle")
        assert tab.url == f"{served_site['url']}/en/{lesson}"
    finally:
        tab.close()
    assert not errors
