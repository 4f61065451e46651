"""Shared bench helpers: peak memory (PSS) of a process tree, timing, the one-line JSON result."""

from __future__ import annotations

import json
import threading
import time
from contextlib import suppress

import psutil


def _memory(process: psutil.Process) -> int:
    """Proportional set size where Linux gives it: pages shared between processes (Ray's object
    store is mapped into every worker) are split among them instead of counted in each."""
    try:
        return process.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):
        return process.memory_info().rss


def ray_role(process: psutil.Process) -> str:
    """``workers`` for a Ray worker process (tasks and actors), ``ray`` for Ray's own daemons
    (GCS, raylet, agents, log monitor) and anything else."""
    with suppress(psutil.Error):
        if process.name().startswith("ray::") or any("default_worker.py" in a for a in process.cmdline()):
            return "workers"
    return "ray"


class PeakRss:
    """Samples the memory (PSS, see :func:`_memory`) of a process and all its descendants (Ray
    workers included): ``peak`` is the largest sum seen; ``peaks`` the largest of ``driver`` (the
    process itself), ``workers`` and ``ray`` (see :func:`ray_role`), each on its own."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.peak = pid, interval, 0
        self.peaks = {"driver": 0, "workers": 0, "ray": 0}
        self.sample_cpu_s = 0.0  # what sampling cost, in CPU seconds of this thread
        self._roles: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        root = psutil.Process(self.pid)
        sums = {"driver": _memory(root), "workers": 0, "ray": 0}
        for child in root.children(recursive=True):
            with suppress(psutil.Error):
                role = self._roles.get(child.pid) or ray_role(child)
                if role == "workers":  # a worker's title is set after start: classify it again until then
                    self._roles[child.pid] = role
                sums[role] += _memory(child)
        self.peak = max(self.peak, sum(sums.values()))
        for role, value in sums.items():
            self.peaks[role] = max(self.peaks[role], value)

    def _run(self) -> None:
        while not self._stop.is_set():
            start = time.thread_time()
            with suppress(psutil.Error):
                self._sample()
            self.sample_cpu_s += time.thread_time() - start
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def emit(**fields) -> None:
    """Print the bench's one JSON line (bench, ours, baseline, ratio, ...)."""
    print(json.dumps(fields, sort_keys=True))


def cpu_call(fn):
    """``(CPU seconds of this process spent in fn(), its result)``."""
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result
