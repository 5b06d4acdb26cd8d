"""Speed and memory figures for the course (a script, not a test: these machines are shared and noisy).

    .venv/bin/python benchmarks/run.py                 # everything
    .venv/bin/python benchmarks/run.py fit notebooks   # some: fit, notebooks, autograde, breakdown, class, explorer, site

Budgets: course_utils' fit within 1e-5 of Keras and >= 1000x faster on seed 000's run (best of 20);
each lesson < 60 s and < 1.5 GB; autograding a NumPy-only assignment <= 5 s (a correct one <= 1 s warm, a
Keras one <= 5 s warm: grading_breakdown); an explorer change < 200 ms.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import subprocess
import sys
import threading
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from memory import watch_peak_rss  # noqa: E402
from tables import markdown_table  # noqa: E402


def bench_fit(repeats: int = 20) -> dict:
    """Seed 000's run (13 samples, batch 1, 200 epochs = 2600 updates) in Keras and in course_utils.

    ``course_utils_s`` is fit as a learner calls it (best of ``repeats``); ``array_loop_s`` the same run
    forced through fit's general NumPy loop (about a dozen NumPy calls per step, each mostly call
    overhead on 1x1 arrays); ``bare_loop_s`` the three lines of the update written by hand in Python floats.
    """
    from course_utils.experiments import keras_tools  # noqa: F401  (imports Keras with TensorFlow's start-up lines hidden)
    import keras

    from course_utils import SGD, fit
    from course_utils.reference import datasets, training
    from course_utils.experiments.keras_tools import dense_model
    from course_utils.reference.models import Dense

    X, y = datasets.seed000_points()
    km = dense_model(1, 1, "sigmoid", seed=0)
    km.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="binary_crossentropy")
    initial = km.get_weights()
    start = time.perf_counter()
    km.fit(X.reshape(-1, 1), y, batch_size=1, epochs=200, shuffle=False, verbose=0)
    keras_s = time.perf_counter() - start

    def best_of(run) -> tuple[float, float, object]:
        times = []
        for _ in range(repeats):
            model = Dense(1, 1, "sigmoid")
            model.set_weights(initial)
            start = time.perf_counter()
            run(model)
            times.append(time.perf_counter() - start)
        return min(times), float(np.median(times)), model

    def course_fit(model):
        fit(model, X, y, loss="binary_crossentropy", optimizer=SGD(0.01), batch_size=1, epochs=200, shuffle=False,
            verbose=0)

    def array_fit(model):
        with training.array_loop_only():
            course_fit(model)

    def bare_loop(model):
        w, b = float(model.Wb[0, 0]), float(model.Wb[1, 0])
        xs, ts = X.tolist(), y.tolist()
        for _ in range(200):
            for x, t in zip(xs, ts):
                p = 1.0 / (1.0 + math.exp(-(x * w + b)))  # forward
                w, b = w - 0.01 * (p - t) * x, b - 0.01 * (p - t)  # backward + update
        model.Wb[:, 0] = w, b

    ours, ours_median, model = best_of(course_fit)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(model.get_weights(), km.get_weights()))
    arrays, _, array_model = best_of(array_fit)
    bare, _, _ = best_of(bare_loop)
    return {"updates": 2600, "keras_s": keras_s, "course_utils_s": ours, "course_utils_median_s": ours_median,
            "speedup": keras_s / ours, "max_weight_diff": diff, "array_loop_s": arrays,
            "array_loop_speedup": keras_s / arrays, "same_as_array_loop": bool(np.array_equal(model.Wb, array_model.Wb)),
            "bare_loop_s": bare, "budget_ok": keras_s / ours >= 1000 and diff <= 1e-5}


def bench_notebooks(pattern: str = "lessons/*.ipynb") -> list[dict]:
    """Run time and peak memory (kernel and runner together) of each notebook, executed top to bottom."""
    rows = []
    for path in sorted(ROOT.glob(pattern)):
        command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--stdout",
                   "--ExecutePreprocessor.timeout=600", str(path)]
        peak = [0]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=path.parent)
        watcher = threading.Thread(target=watch_peak_rss, args=(process, peak))
        watcher.start()
        _, err = process.communicate()
        watcher.join()
        rows.append({"notebook": path.name, "seconds": time.perf_counter() - start, "peak_MB": peak[0] / 2**20,
                     "ok": process.returncode == 0, "error": "" if process.returncode == 0 else err.decode()[-300:]})
    return rows


def bench_autograde() -> list[dict]:
    import autograde_times

    return autograde_times.measure()


def bench_breakdown() -> list[dict]:
    """Where one submission's grading time goes (ex01 and the Keras assignments), cold and warm."""
    import grading_breakdown

    rows, _ = grading_breakdown.measure(["ex01_counting_steps", "ex04_keras_fit", "ex05_loss_curves"], repeats=3)
    return rows


def bench_class() -> list[dict]:
    """A generated class (20 students x ex01-ex03) graded serially and by the parallel command at 1 and 2 workers."""
    import class_grading

    return class_grading.measure()


def bench_explorer() -> dict:
    import explorer_latency

    return explorer_latency.measure()


def bench_site() -> dict:
    """make site from a clean copy (each lesson executed once), then after a one-lesson change (site_build.py)."""
    import site_build

    return site_build.measure([])


SECTIONS = {"fit": bench_fit, "notebooks": bench_notebooks, "autograde": bench_autograde,
            "breakdown": bench_breakdown, "class": bench_class, "explorer": bench_explorer, "site": bench_site}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", choices=[*SECTIONS, []], help="which figures to measure (default: all)")
    names = parser.parse_args().sections or list(SECTIONS)
    for name in names:
        print(f"\n## {name}", flush=True)
        result = SECTIONS[name]()
        print(markdown_table(result if isinstance(result, list) else [result]), flush=True)
        for row in result if isinstance(result, list) else [result]:
            if row.get("error"):
                print(f"  {row.get('notebook', '')}: {row['error']}")


if __name__ == "__main__":
    main()
