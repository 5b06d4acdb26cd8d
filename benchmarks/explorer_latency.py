"""How long the batch-size explorer takes to retrain and redraw after one slider change.

Run ``python benchmarks/explorer_latency.py``; ``benchmarks/run.py`` calls ``measure()``.
The budget is 200 ms per change on the course's 2-core CPU machine. The changes
sweep every batch size at 10 and at 30 epochs (30 epochs of batch 1 is the
slowest setting: 3000 updates) and every learning rate.
"""

from __future__ import annotations

import statistics
import time

BUDGET_MS = 200.0


def _changes(explorer):
    """(slider, value) pairs: every batch size at 10 and 30 epochs, then every learning rate."""
    batch_sizes = [value for _, value in explorer.batch_size_slider.options]
    learning_rates = [value for _, value in explorer.learning_rate_slider.options]
    for epochs in (10, 30):
        yield explorer.epochs_slider, epochs
        for batch_size in batch_sizes:
            yield explorer.batch_size_slider, batch_size
    for learning_rate in learning_rates:
        yield explorer.learning_rate_slider, learning_rate


def measure(repeats: int = 2) -> dict:
    """Milliseconds per slider change (retrain + redraw + PNG), over ``repeats`` sweeps."""
    from course_utils.experiments.explorer import explore_batch_size

    explorer = explore_batch_size()
    times_ms = []
    for _ in range(repeats):
        for slider, value in _changes(explorer):
            if slider.value == value:
                continue
            start = time.perf_counter()
            slider.value = value  # the observer retrains and redraws before this returns
            times_ms.append((time.perf_counter() - start) * 1000)
    times_ms.sort()
    p90 = times_ms[int(0.9 * (len(times_ms) - 1))]
    return {
        "name": "explorer_latency",
        "changes": len(times_ms),
        "median_ms": round(statistics.median(times_ms), 1),
        "p90_ms": round(p90, 1),
        "max_ms": round(times_ms[-1], 1),
        "budget_ms": BUDGET_MS,
        "within_budget": p90 < BUDGET_MS,
    }


if __name__ == "__main__":
    result = measure()
    print(
        f"explorer: {result['median_ms']} ms per change (median of {result['changes']}), "
        f"p90 {result['p90_ms']} ms, max {result['max_ms']} ms; budget {result['budget_ms']:.0f} ms: "
        + ("OK" if result["within_budget"] else "OVER BUDGET")
    )
