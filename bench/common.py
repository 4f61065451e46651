"""Shared bench helpers: peak RSS of a process tree, timing, the one-line JSON result."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager, suppress

import psutil


def _memory(process: psutil.Process) -> int:
    """Proportional set size where Linux gives it: pages shared between processes (Ray's object
    store is mapped into every worker) are split among them instead of counted in each."""
    try:
        return process.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):
        return process.memory_info().rss


class PeakRss:
    """Samples the summed memory (PSS, see :func:`_memory`) of a process and all its descendants
    (Ray workers included)."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                total = root.memory_info().rss
                for child in root.children(recursive=True):
                    with suppress(psutil.Error):
                        total += child.memory_info().rss
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def timed(result: dict, key: str):
    start = time.perf_counter()
    yield
    result[key] = time.perf_counter() - start


def emit(**fields) -> None:
    """Print the bench's one JSON line (bench, ours, baseline, ratio, ...)."""
    print(json.dumps(fields, sort_keys=True))
