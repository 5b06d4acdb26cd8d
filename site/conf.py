"""Sphinx configuration of the course website, one for every language.

``python -m course_utils.authoring.site`` stages the pages of one language in
``_build/site-src/<language>/`` with a copy of this folder and a ``site.json`` beside it
(language, the languages built, the title); this file reads it. The
table of contents (``_toc.yml``) is generated there from course.toml. Nothing here fetches
anything: notebooks are not executed (their outputs come from course_utils.authoring.execute),
math is MathML written at build time (``_ext/mathml.py``), the theme's fonts and icons are in ``_static/``.
"""

import json
import pathlib
import sys

HERE = pathlib.Path(__file__).parent
SETTINGS = json.loads((HERE / "site.json").read_text(encoding="utf-8"))
sys.path.insert(0, str(HERE / "_ext"))

project = SETTINGS["title"]
author = SETTINGS["author"]
copyright = SETTINGS["author"]
language = SETTINGS["language"]

extensions = ["myst_nb", "sphinx_external_toc", "mathml"]
external_toc_path = "_toc.yml"
external_toc_exclude_missing = False
exclude_patterns = ["_build", "**.ipynb_checkpoints", "site.json"]
templates_path = ["_templates"]
html_static_path = ["_static"]

# The notebooks carry their outputs already (executed once, cached); widgets show their text form.
nb_execution_mode = "off"
nb_ipywidgets_js = {}
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# Math is written as MathML when the site is built (_ext/mathml.py): no MathJax, nothing to fetch.
html_math_renderer = "mathml"

html_theme = "sphinx_book_theme"
html_title = SETTINGS["title"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
    "search_bar_text": SETTINGS["search_text"],
}
html_sidebars = {"**": ["navbar-logo.html", "lang-switch.html", "search-button-field.html",
                        "sbt-sidebar-nav.html"]}
# default_mode: the theme's light/dark switch starts from the reader's system setting.
html_context = {"course_languages": SETTINGS["languages"], "course_language": language, "default_mode": "auto"}
html_css_files = ["course.css"]
# Three batches; served by the site itself (without one, browsers ask the server's root for /favicon.ico).
html_favicon = "_static/favicon.svg"
