"""A Keras-like progress bar for ``fit``: ``verbose=0`` silent, 1 a live bar, 2 one line per epoch."""

from __future__ import annotations

import numbers
import sys
import time

from course_utils.reference import arguments

VERBOSE_LEVELS = (0, 1, 2)


def check_verbose(name: str, verbose) -> int:
    """``verbose`` as 0, 1 or 2 (``"auto"`` is 1, as in Keras' fit), or a named error."""
    if verbose == "auto" and isinstance(verbose, str):
        return 1
    if isinstance(verbose, (bool, str)) or not isinstance(verbose, numbers.Integral) or verbose not in VERBOSE_LEVELS:
        error = ValueError if isinstance(verbose, numbers.Integral) and not isinstance(verbose, bool) else TypeError
        raise error(
            f"{name} must be 0 (silent), 1 (progress bar), 2 (one line per epoch) or 'auto', got {arguments.describe(verbose)}"
        )
    return int(verbose)


class ProgressBar:
    """Prints ``Epoch e/E`` and ``step/steps [=====>....] - loss: x`` as training goes."""

    def __init__(self, epochs: int, steps: int, verbose: int = 1, *, file=None, interval: float = 0.1):
        self.verbose = check_verbose("ProgressBar: verbose", verbose)
        self.epochs = arguments.positive_int("ProgressBar: epochs", epochs)
        self.steps = arguments.positive_int("ProgressBar: steps", steps)
        if file is not None and not callable(getattr(file, "write", None)):
            raise TypeError(f"ProgressBar: file must be None (sys.stdout) or a text file, got {arguments.describe(file)}")
        self.file = file if file is not None else sys.stdout
        self.interval = arguments.finite_float("ProgressBar: interval", interval, minimum=0)
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
