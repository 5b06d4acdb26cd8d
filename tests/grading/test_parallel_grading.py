"""Grading a class: the parallel command, the gradebook under several writers, Dask, PostgreSQL, feedback.

``python -m course_utils.grading.trusted.autograde`` is run as an instructor would, from
a temporary course's root, on ex01 (the fastest assignment) with a handful of
submissions whose scores are known (tests/grading_cases): what serial
``nbgrader autograde`` gives them, as tests/grading/test_grading_pipeline.py checks.
"""

from __future__ import annotations

import csv
import html
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import nbformat
import psutil
import pytest
from grading_harness import (
    COURSE_ID,
    ROOT,
    graded_cells,
    hand_in,
    nbgrader,
    nbgrader_ok,
    new_course,
    read,
    require_postgres,
    require_sandbox,
    scores,
)
from nbgrader.api import Gradebook, MissingEntry

ASSIGNMENT = "ex01_counting_steps"


def _known_cases() -> dict:
    spec = importlib.util.spec_from_file_location("cases", ROOT / "tests" / "grading_cases" / f"{ASSIGNMENT}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    picked = {name: module.CASES[name] for name in ("floor_instead_of_ceil", "seed004_formula", "remainder_only")}
    return {"a_correct": {"score": 7, "fails": []}, "b_blank": {"blank": True, "score": 0}, **picked}


CASES = _known_cases()
FIRST_RUN: dict = {}
LOOP = {"add": ["while True:\n    pass\n"]}  # a correct answer, then a cell that runs until stopped: 7 points


def run_command(course, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "course_utils.grading.trusted.autograde", ASSIGNMENT, *args]
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=timeout)


def expect_scores(course, cases: dict, db_url: str | None = None) -> dict:
    got = scores(course, ASSIGNMENT, cases) if db_url is None else _scores_at(db_url, cases)
    points = graded_cells(read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
    for student, case in cases.items():
        assert got[student]["score"] == case["score"], (student, got[student])
        if "fails" in case:
            expected = {cell: 0.0 if cell in case["fails"] else full for cell, full in points.items()}
            assert got[student]["cells"] == expected, student
        assert None not in got[student]["cells"].values(), f"{student}: a graded cell has no score"
    return got


def _scores_at(db_url: str, students) -> dict:
    with Gradebook(db_url, COURSE_ID) as gradebook:
        return {s: {"score": (nb := gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, s)).score,
                    "cells": {g.name: g.score for g in nb.grades}} for s in students}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    require_sandbox()
    course = new_course(tmp_path_factory.mktemp("class"), assignments=[ASSIGNMENT])
    hand_in(course, ASSIGNMENT, CASES)
    result = run_command(course, "--workers", "3", "--json", "outcomes.json")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    FIRST_RUN["result"] = result
    return course


def test_parallel_grades_are_the_known_scores_and_all_saved(course):
    result = FIRST_RUN["result"]
    assert "graded 5, failed 0" in result.stdout
    assert "[5/5] graded" in result.stderr and "left" in result.stderr
    expect_scores(course, CASES)
    outcomes = json.loads((course / "outcomes.json").read_text())["outcomes"]
    assert sorted(o["student"] for o in outcomes if o["status"] == "graded") == sorted(CASES)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        mode = gradebook.db.execute(__import__("sqlalchemy").text("PRAGMA journal_mode")).scalar()
    assert mode == "wal"


def test_a_rerun_skips_finished_submissions_and_grades_unfinished_ones(course):
    """(--force grades finished ones again: the Dask test below uses it.)"""
    shutil.rmtree(course / "autograded" / "b_blank")  # as if its run had been cut short
    result = run_command(course, "--workers", "2", "--student", "a_correct", "b_blank")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "graded 1, failed 0, skipped (finished before) 1" in result.stdout
    expect_scores(course, {name: CASES[name] for name in ("a_correct", "b_blank")})


WRITER = """
import os, runpy, sys, time
from nbgrader.api import Gradebook
url, worker, folder, module = sys.argv[1:]
runpy.run_path(module)  # course_utils/grading/trusted/gradebook_db.py, without importing the package (quicker)
with Gradebook(url, "c") as gb:
    gb.db.rollback()  # end the transaction opening the gradebook began: it holds the write lock
    open(os.path.join(folder, f"ready{worker}"), "w").close()
    while not os.path.exists(os.path.join(folder, "go")):  # all start writing at once
        time.sleep(0.01)
    for i in range(30):
        student = f"w{worker}_{i}"
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission("a", student)
        for grade in submission.notebooks[0].grades:
            grade.auto_score = 1.0
            gb.db.commit()
"""


def test_the_sqlite_gradebook_keeps_every_grade_with_many_writers_at_once(tmp_path, monkeypatch):
    """Four processes write at once, as the parallel runner's do (read, then write, commit per cell)."""
    monkeypatch.setenv("PATH", f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}")
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url, "c") as gradebook:
        gradebook.update_or_create_assignment("a")
        gradebook.add_notebook("n", "a")
        for cell in ("t1", "t2", "t3"):
            gradebook.update_or_create_grade_cell(cell, "n", "a", max_score=1, cell_type="code")
    env = dict(os.environ, COURSE_GRADEBOOK_IMMEDIATE="1")
    module = str(ROOT / "course_utils" / "grading" / "trusted" / "gradebook_db.py")
    writers = [subprocess.Popen([sys.executable, "-W", "ignore", "-c", WRITER, url, str(k), str(tmp_path), module], env=env,
                                stderr=subprocess.PIPE, text=True) for k in range(4)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready*"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    (tmp_path / "go").touch()
    errors = [w.communicate(timeout=300)[1] for w in writers]
    assert all(w.returncode == 0 for w in writers), "\n".join(errors)[-3000:]
    with Gradebook(url, "c") as gradebook:
        submissions = gradebook.find_assignment("a").submissions
        assert len(submissions) == 4 * 30
        assert all(s.score == 3.0 for s in submissions)


def test_ctrl_c_stops_the_runs_and_leaves_nothing_half_written(course):
    hand_in(course, ASSIGNMENT, {"loop_a": LOOP, "loop_b": LOOP})
    command = [sys.executable, "-m", "course_utils.grading.trusted.autograde", ASSIGNMENT, "--workers", "2",
               "--student", "loop_a", "loop_b", "--SandboxedExecute.cell_timeout=300"]
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}")
    runner = subprocess.Popen(command, cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(_in_gradebook(course, ("loop_a", "loop_b"))) < 2:
        time.sleep(0.5)
    time.sleep(3)  # both kernels are in their endless cell now
    runner.send_signal(signal.SIGINT)
    out, err = runner.communicate(timeout=120)
    assert runner.returncode == 130, out + err[-3000:]
    assert "INTERRUPTED loop_a: stopped; removed from the gradebook" in out
    assert "INTERRUPTED loop_b: stopped; removed from the gradebook" in out
    assert not (course / "autograded" / "loop_a").exists() and not (course / "autograded" / "loop_b").exists()
    assert _in_gradebook(course, ("loop_a", "loop_b")) == []
    assert _left_in(course) == []
    result = run_command(course, "--workers", "2", "--student", "loop_a", "loop_b", "--SandboxedExecute.cell_timeout=5")
    assert "graded 2, failed 0" in result.stdout, result.stdout + result.stderr[-3000:]
    expect_scores(course, {"loop_a": {"score": 7}, "loop_b": {"score": 7}})


def test_a_submission_past_its_time_fails_by_name_and_a_new_worker_grades_the_next(course):
    hand_in(course, ASSIGNMENT, {"loop_timeout": LOOP})
    result = run_command(course, "--workers", "1", "--timeout", "10", "--student", "loop_timeout", "a_correct",
                         "--force", "--SandboxedExecute.cell_timeout=300")
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert "graded 1, failed 1" in result.stdout
    assert "FAILED loop_timeout: timed out after 10 s" in result.stdout
    expect_scores(course, {"a_correct": CASES["a_correct"]})
    assert _left_in(course) == []
    shutil.rmtree(course / "submitted" / "loop_timeout")  # the tests below grade every submission


def _left_in(course) -> list:
    """Processes still running in the course or on its files (a worker, a kernel, its sandbox)."""
    left = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        if str(course) in " ".join(process.info["cmdline"] or []) or str(course) in (process.info["cwd"] or ""):
            left.append(process.info["cmdline"])
    return left


def _in_gradebook(course, students) -> list[str]:
    found = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        for student in students:
            try:
                gradebook.find_submission(ASSIGNMENT, student)
                found.append(student)
            except MissingEntry:
                pass
    return found


def test_bad_and_odd_input_is_reported_by_name_and_stops_no_one(course):
    submitted = course / "submitted"
    good = (submitted / "a_correct" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    for student, files in {
        "odd_no_notebook": {"notes.txt": "I did not finish"},
        "odd_two_notebooks": {f"{ASSIGNMENT}.ipynb": good, f"{ASSIGNMENT}-Copy1.ipynb": good},
        "odd_renamed": {f"my_{ASSIGNMENT}.ipynb": good},
        "odd_corrupt_json": {f"{ASSIGNMENT}.ipynb": good[: len(good) // 2]},
    }.items():
        (submitted / student / ASSIGNMENT).mkdir(parents=True)
        for name, text in files.items():
            (submitted / student / ASSIGNMENT / name).write_text(text)
    (submitted / "odd_unknown" / "ex99_unknown").mkdir(parents=True)
    (submitted / "odd_unknown" / "ex99_unknown" / "ex99_unknown.ipynb").write_text(good)

    result = run_command(course, "--workers", "2")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr[-3000:]
    assert "graded 1, failed 3" in out, out
    assert f"FAILED odd_no_notebook: no notebook in {submitted / 'odd_no_notebook' / ASSIGNMENT}" in out
    assert f"FAILED odd_renamed: no {ASSIGNMENT}.ipynb in" in out and f"found my_{ASSIGNMENT}.ipynb (renamed?" in out
    assert f"FAILED odd_corrupt_json: {ASSIGNMENT}.ipynb is not a notebook: JSONDecodeError" in out
    assert f"note odd_two_notebooks: not graded, unknown notebook(s): {ASSIGNMENT}-Copy1.ipynb" in out
    assert "note submitted/odd_unknown/ex99_unknown: unknown assignment 'ex99_unknown', not graded" in out
    expect_scores(course, {"odd_two_notebooks": {"score": 7}})

    unknown = subprocess.run([sys.executable, "-m", "course_utils.grading.trusted.autograde", "ex99_unknown"], cwd=course,
                             capture_output=True, text=True, timeout=300)
    assert unknown.returncode == 2 and "assignment 'ex99_unknown' is not in the gradebook" in unknown.stderr


def test_a_dask_cluster_grades_the_same(course):
    from distributed import LocalCluster

    picked = {name: CASES[name] for name in ("floor_instead_of_ceil", "seed004_formula")}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        result = run_command(course, "--scheduler", cluster.scheduler_address, "--student", *picked, "--force")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "graded 2, failed 0" in result.stdout
    expect_scores(course, picked)


def test_postgres_grades_exports_and_formgrader_reads_match_sqlite(course, tmp_path):
    require_postgres()
    from throwaway_postgres import postgres_server

    students = ("a_correct", "floor_instead_of_ceil", "remainder_only")
    pg = tmp_path / "pg-course"
    shutil.copytree(course / "solutions", pg / "solutions")
    shutil.copy(course / "nbgrader_config.py", pg)
    for student in students:
        shutil.copytree(course / "submitted" / student / ASSIGNMENT, pg / "submitted" / student / ASSIGNMENT)
    with postgres_server() as url:
        option = f"--CourseDirectory.db_url={url}"
        generated = nbgrader(pg, "generate_assignment", ASSIGNMENT, "--force", option, cwd=pg)
        assert generated.returncode == 0, generated.stderr[-3000:]
        result = run_command(pg, "--workers", "2", option)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert _scores_at(url, students) == scores(course, ASSIGNMENT, students)
        exported = nbgrader(pg, "export", option, cwd=pg)
        assert exported.returncode == 0, exported.stderr[-3000:]
        pg_api = _api_reads(pg, url, students)
    nbgrader_ok(course, "export")
    columns = ("assignment", "student_id", "raw_score", "late_submission_penalty", "score", "max_score")
    assert _export(pg, students, columns) == _export(course, students, columns)
    assert pg_api == _api_reads(course, f"sqlite:///{course / 'gradebook.db'}", students)


def _export(course, students, columns) -> list[tuple]:
    with open(course / "grades.csv") as stream:
        return sorted(tuple(row[c] for c in columns) for row in csv.DictReader(stream) if row["student_id"] in students)


def _api_reads(course, db_url: str, students) -> dict:
    """What the formgrader shows of the assignment: its submissions, notebooks and each student's scores."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root, config.CourseDirectory.db_url = str(course), db_url
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.source_directory, config.CourseDirectory.release_directory = "solutions", "exercises"
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    keep = ("student", "score", "max_score", "code_score", "max_code_score", "autograded", "needs_manual_grade")
    submissions = sorted((tuple(s.get(k) for k in keep) for s in api.get_submissions(ASSIGNMENT)
                          if s["student"] in students))
    notebooks = sorted((n["student"], n["score"], n["max_score"], n["failed_tests"])
                       for n in api.get_notebook_submissions(ASSIGNMENT, ASSIGNMENT) if n["student"] in students)
    assignment = api.get_assignment(ASSIGNMENT)
    return {"submissions": submissions, "notebooks": notebooks, "max_score": assignment["max_score"],
            "student": sorted((s["name"], s["score"], s["max_score"], s["autograded"], s["submitted"])
                              for s in api.get_student_submissions(students[1]))}


def test_feedback_shows_failed_tests_messages_and_points_not_hidden_tests(course):
    student = "floor_instead_of_ceil"
    nbgrader_ok(course, "generate_feedback", ASSIGNMENT, f"--student={student}", "--force")
    autograded = read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    page = (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    hidden, visible, messages = set(), set(), []
    for cell in autograded.cells:
        if cell.cell_type != "code":
            continue
        inside = False
        for line in cell.source.splitlines():
            inside = (inside or "### BEGIN HIDDEN TESTS" in line) and "### END HIDDEN TESTS" not in line
            (hidden if inside else visible).add(line.strip())
        messages += [o["evalue"].splitlines()[0] for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    only_hidden = {line for line in hidden if len(line) > 12 and "HIDDEN TESTS" not in line
                   and not any(line in shown for shown in visible)}
    assert only_hidden, "the autograded copy (the instructor's) keeps the hidden tests"
    assert "BEGIN HIDDEN TESTS" not in text and "hidden tests: not shown" in text
    assert [line for line in only_hidden if line in text] == []
    assert len(messages) == len(CASES[student]["fails"])
    assert all(message in text for message in messages), messages
    assert text.count("Score: 0.0 / 1.0") >= len(CASES[student]["fails"])  # each failed test shows its points
    assert "Score: 2.0 / 7.0" in text
