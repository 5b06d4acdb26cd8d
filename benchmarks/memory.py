"""Peak memory of a process and its children, watched from a thread (used by run.py and class_grading.py)."""

import time


def watch_peak_rss(process, peak: list, interval: float = 0.05) -> None:
    """Until ``process`` (a ``subprocess.Popen``) ends, keep ``peak[0]`` at the largest resident memory,
    in bytes, of it and all its descendants together. Run it in a thread."""
    import psutil

    root = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
        except psutil.Error:
            pass
        time.sleep(interval)
