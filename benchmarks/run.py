"""Speed and memory figures for the course (a script, not a test: these machines are shared and noisy).

    .venv/bin/python benchmarks/run.py                 # everything
    .venv/bin/python benchmarks/run.py fit notebooks   # some sections: fit, notebooks, autograde, explorer

Budgets: course_utils' fit within 1e-5 of Keras and >= 300x faster on seed 000's run;
each lesson < 60 s and < 1.5 GB; autograding a NumPy-only assignment <= 5 s; an explorer change < 200 ms.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import threading
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def bench_fit(repeats: int = 20) -> dict:
    """Seed 000's run (13 samples, batch 1, 200 epochs = 2600 updates) in Keras and in course_utils."""
    import course_utils  # noqa: F401  (quiet TensorFlow)
    import keras

    from course_utils import SGD, datasets, fit
    from course_utils.keras_tools import dense_model
    from course_utils.models import Dense

    X, y = datasets.seed000_points()
    km = dense_model(1, 1, "sigmoid", seed=0)
    km.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="binary_crossentropy")
    initial = km.get_weights()
    start = time.perf_counter()
    km.fit(X.reshape(-1, 1), y, batch_size=1, epochs=200, shuffle=False, verbose=0)
    keras_s = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        model = Dense(1, 1, "sigmoid")
        model.set_weights(initial)
        start = time.perf_counter()
        fit(model, X, y, loss="binary_crossentropy", optimizer=SGD(0.01), batch_size=1, epochs=200, shuffle=False, verbose=0)
        times.append(time.perf_counter() - start)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(model.get_weights(), km.get_weights()))
    ours = min(times)
    return {"updates": 2600, "keras_s": keras_s, "course_utils_s": ours, "course_utils_median_s": float(np.median(times)),
            "speedup": keras_s / ours, "max_weight_diff": diff}


def _peak_rss_of_tree(process, peak: list) -> None:
    import psutil

    root = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in procs))
        except psutil.Error:
            pass
        time.sleep(0.05)


def bench_notebooks(pattern: str = "lessons/*.ipynb") -> list[dict]:
    """Run time and peak memory (kernel and runner together) of each notebook, executed top to bottom."""
    rows = []
    for path in sorted(ROOT.glob(pattern)):
        command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--stdout",
                   "--ExecutePreprocessor.timeout=600", str(path)]
        peak = [0]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=path.parent)
        watcher = threading.Thread(target=_peak_rss_of_tree, args=(process, peak))
        watcher.start()
        _, err = process.communicate()
        watcher.join()
        rows.append({"notebook": path.name, "seconds": time.perf_counter() - start, "peak_MB": peak[0] / 2**20,
                     "ok": process.returncode == 0, "error": "" if process.returncode == 0 else err.decode()[-300:]})
    return rows


def bench_autograde() -> list[dict]:
    import autograde_times

    return autograde_times.measure()


def bench_explorer() -> dict:
    import explorer_latency

    return explorer_latency.measure()


def _table(rows: list[dict]) -> str:
    if not rows:
        return "(nothing measured)"
    keys = [k for k in rows[0] if k != "error"]
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = [" | ".join(keys), " | ".join("---" for _ in keys)]
    lines += [" | ".join(fmt(row[k]) for k in keys) for row in rows]
    return "\n".join(lines)


SECTIONS = {"fit": bench_fit, "notebooks": bench_notebooks, "autograde": bench_autograde, "explorer": bench_explorer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", choices=[*SECTIONS, []], help="which figures to measure (default: all)")
    names = parser.parse_args().sections or list(SECTIONS)
    for name in names:
        print(f"\n## {name}", flush=True)
        result = SECTIONS[name]()
        print(_table(result if isinstance(result, list) else [result]), flush=True)
        for row in result if isinstance(result, list) else [result]:
            if row.get("error"):
                print(f"  {row.get('notebook', '')}: {row['error']}")


if __name__ == "__main__":
    main()
