"""A Korean font for matplotlib, when one is installed: Hangul in figures, not empty boxes.

The course's set-ups bring one: pip's ``koreanize-matplotlib`` (a dependency: NanumGothic,
SIL Open Font License, in the wheel, so offline), Debian's ``fonts-nanum``
(``.ci/install_system_packages.sh``), conda-forge's ``font-ttf-noto-cjk`` (``environment.yml``,
Binder). Only the pip package's font files are used: importing it would set
``font.family`` to NanumGothic alone and needs ``distutils`` (gone in Python 3.12), so
its folder is found without importing it (:func:`package_font_folders`). matplotlib does not
search a conda environment's fonts (``<prefix>/fonts``), and it keeps the list of the
system's in a cache made the first time it ran: a font installed after that is not in
it. So when its list has no Korean family, the font files are looked for (the
environment's folders, then the system's) and added. ``use_korean_font()`` appends the font to ``font.family``: Latin text keeps
its font, and a character it lacks (Hangul) is drawn from the Korean one (matplotlib's
per-glyph fallback between the families of ``font.family``, matplotlib 3.6 and later). ``course_utils.experiments.plotting`` calls it when imported. With no Korean
font installed nothing changes.
"""

from __future__ import annotations

import os
import sys

KOREAN_FAMILIES = ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "Noto Sans CJK JP", "Noto Sans CJK SC",
                   "Malgun Gothic", "Apple SD Gothic Neo", "AppleGothic")
"""Families with Hangul, the course's own first (fonts-nanum, font-ttf-noto-cjk), then Windows' and macOS'."""
FONT_FILES = ("Nanum", "NotoSansCJK", "NotoSansKR")
"""How the font files of those families are named, for the folders matplotlib does not search."""


def _environment_font_folders() -> list[str]:
    """A conda environment's font folders (conda-forge's font packages install there)."""
    return [os.path.join(sys.prefix, "fonts"), os.path.join(sys.prefix, "share", "fonts")]


def package_font_folders() -> list[str]:
    """The font folder of the pip package ``koreanize-matplotlib``, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("koreanize_matplotlib")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return [os.path.join(location, "fonts") for location in locations]


def _found(font_manager) -> str | None:
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in KOREAN_FAMILIES if family in installed), None)


def _add_font_files(font_manager, folders: list[str] | None) -> None:
    """Add the Korean font files in ``folders`` (None: the system's) to matplotlib's list."""
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts(fontpaths=folders):
        if os.path.basename(path).startswith(FONT_FILES) and path not in known:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # a file FreeType cannot read: skip it
                continue


def korean_font() -> str | None:
    """The first installed family of KOREAN_FAMILIES, or None."""
    from matplotlib import font_manager

    own = [f for f in [*_environment_font_folders(), *package_font_folders()] if os.path.isdir(f)]
    for folders in (own, None):
        if folders == []:
            continue
        found = _found(font_manager)
        if found is not None:
            return found
        _add_font_files(font_manager, folders)
    return _found(font_manager)


def use_korean_font() -> str | None:
    """Let matplotlib draw Hangul with an installed Korean font; returns its family, or None when there is none."""
    import matplotlib

    family = korean_font()
    if family is not None and family not in matplotlib.rcParams["font.family"]:
        matplotlib.rcParams["font.family"] = [*matplotlib.rcParams["font.family"], family]
    return family
