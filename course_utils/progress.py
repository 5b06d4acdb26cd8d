"""A Keras-like progress bar for ``fit``: ``verbose=0`` silent, 1 a live bar, 2 one line per epoch."""

from __future__ import annotations

import sys
import time

VERBOSE_LEVELS = (0, 1, 2)


class ProgressBar:
    """Prints ``Epoch e/E`` and ``step/steps [=====>....] - loss: x`` as training goes."""

    def __init__(self, epochs: int, steps: int, verbose: int = 1, *, file=None, interval: float = 0.1):
        if verbose not in VERBOSE_LEVELS:
            raise ValueError(f"verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch), got {verbose!r}")
        self.epochs, self.steps, self.verbose = epochs, steps, verbose
        self.file = file if file is not None else sys.stdout
        self.interval = interval
        self._last = 0.0
        self._start = 0.0

    def start_epoch(self, epoch: int) -> None:
        self._start = time.perf_counter()
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.epochs}", file=self.file)

    def step(self, step: int, loss: float) -> None:
        """Redraw the bar after ``step`` (1-based) steps, at most every ``interval`` seconds."""
        if self.verbose != 1 or step == self.steps:
            return
        now = time.perf_counter()
        if now - self._last >= self.interval:
            self._last = now
            print("\r" + self._line(step, loss), end="", file=self.file, flush=True)

    def end_epoch(self, loss: float, extra: dict[str, float]) -> None:
        if not self.verbose:
            return
        line = self._line(self.steps, loss) + "".join(f" - {k}: {v:.4f}" for k, v in extra.items())
        elapsed = time.perf_counter() - self._start
        print(("\r" if self.verbose == 1 else "") + line + f" - {elapsed:.2f}s", file=self.file, flush=True)

    def _line(self, step: int, loss: float) -> str:
        width = 30
        done = int(width * step / self.steps)
        bar = "=" * done + (">" if done < width else "") + "." * max(width - done - 1, 0)
        return f"{step}/{self.steps} [{bar}] - loss: {loss:.4f}"
