"""A Korean font comes with every set-up, and matplotlib draws Hangul with it (course_utils.experiments.fonts)."""

from __future__ import annotations

import io
import pathlib
import warnings

import matplotlib
import pytest
import yaml
from grading_harness import skip_or_fail
from matplotlib.figure import Figure

from course_utils.experiments import fonts

ROOT = pathlib.Path(__file__).resolve().parents[2]
GLOSSARY = "배치 (batch), 에포크 (epoch), 스텝 (step), 반복, 미니배치"


def _missing_glyphs() -> list[str]:
    """The 'Glyph ... missing' warnings of drawing the glossary's words with the current settings."""
    figure = Figure()
    figure.add_subplot().set_title(GLOSSARY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_every_set_up_installs_a_korean_font():
    script = (ROOT / ".ci" / "install_system_packages.sh").read_text()
    assert "fonts-nanum" in script.split("packages=(")[1].split(")")[0]
    conda = [d for d in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"] if isinstance(d, str)]
    assert "font-ttf-noto-cjk" in conda
    pyproject = (ROOT / "pyproject.toml").read_text()
    dependencies = pyproject.split("dependencies = [")[1].split("]")[0]
    assert '"koreanize-matplotlib' in dependencies  # pip: NanumGothic in the wheel


def test_the_pip_font_is_registered_without_importing_its_package(monkeypatch):
    """pip's set-up: with no system or conda font, NanumGothic comes from koreanize-matplotlib's files."""
    import sys

    from matplotlib import font_manager

    folders = fonts.package_font_folders()
    if not folders:
        skip_or_fail("koreanize-matplotlib is not installed: `pip install -e .` (a course dependency)",
                     "the pip set-up's Korean font")
    monkeypatch.setattr(fonts, "_environment_font_folders", lambda: [])
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [e for e in font_manager.fontManager.ttflist if e.name not in fonts.KOREAN_FAMILIES])
    real = font_manager.findSystemFonts
    monkeypatch.setattr(font_manager, "findSystemFonts",
                        lambda fontpaths=None, fontext="ttf": [] if fontpaths is None else real(fontpaths, fontext))
    monkeypatch.delitem(sys.modules, "koreanize_matplotlib", raising=False)
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    assert fonts.use_korean_font() == "NanumGothic"
    registered = {e.fname for e in font_manager.fontManager.ttflist if e.name == "NanumGothic"}
    assert registered and all(f.startswith(folders[0]) for f in registered)
    assert _missing_glyphs() == []
    assert "koreanize_matplotlib" not in sys.modules  # its import would have set font.family alone
    assert matplotlib.rcParams["font.family"] == ["sans-serif", "NanumGothic"]


def test_plotting_draws_hangul_with_the_installed_korean_font(monkeypatch):
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    if fonts.korean_font() is None:
        skip_or_fail("no Korean font (fonts-nanum) is installed: run `bash .ci/install_system_packages.sh`",
                     "Hangul in figures")
    assert _missing_glyphs(), "without the Korean font in font.family, matplotlib's default font has no Hangul"
    family = fonts.use_korean_font()
    assert family in fonts.KOREAN_FAMILIES and matplotlib.rcParams["font.family"] == ["sans-serif", family]
    assert _missing_glyphs() == []
    assert fonts.use_korean_font() == family and matplotlib.rcParams["font.family"] == ["sans-serif", family]


def test_without_a_korean_font_nothing_changes(monkeypatch):
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    monkeypatch.setattr(fonts, "KOREAN_FAMILIES", ("No Such Korean Font",))
    assert fonts.use_korean_font() is None
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]


def test_a_font_in_the_conda_environment_is_found(monkeypatch, tmp_path):
    """conda-forge's font packages install into <prefix>/fonts, which matplotlib does not search."""
    if fonts.korean_font() is None:
        skip_or_fail("no Korean font (fonts-nanum) is installed: run `bash .ci/install_system_packages.sh`",
                     "Hangul in figures")
    from matplotlib import font_manager

    source = next(e.fname for e in font_manager.fontManager.ttflist if e.name == fonts.korean_font())
    (tmp_path / "fonts").mkdir()
    copy = tmp_path / "fonts" / ("NotoSansKR-copy" + pathlib.Path(source).suffix)
    copy.write_bytes(pathlib.Path(source).read_bytes())
    name = font_manager.FontProperties(fname=str(copy)).get_name()
    monkeypatch.setattr(fonts, "KOREAN_FAMILIES", (name,))
    monkeypatch.setattr(fonts, "_environment_font_folders", lambda: [str(tmp_path / "fonts")])
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [e for e in font_manager.fontManager.ttflist if e.name != name])
    monkeypatch.setattr(font_manager, "findSystemFonts",
                        lambda fontpaths=None, fontext="ttf": [] if fontpaths is None else [str(copy)])
    assert fonts.korean_font() == name
    assert str(copy) in {e.fname for e in font_manager.fontManager.ttflist}
