"""Live progress of one phase: units and records done, records per second and time left.

On a terminal (the stream is a TTY) one line is redrawn in place as units finish, and the last
state is logged as a normal line when the phase ends. Elsewhere (cluster logs, files, pipes)
a plain log line is written at most every ``interval`` seconds and once at the end. Nothing is
shown when the ``loomery`` logger is above INFO (``loomery -q``).

Rate and time left come from exponential moving averages of unit completions, so a slow start
(workers spinning up, models loading) fades out of the estimate within about ``tau`` seconds.
Cost: O(1) per finished unit on the driver, plus the records map the caller passes (one int per
unit to do).
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable, Mapping
from typing import TextIO

from engine.runner.failpoints import failpoint

log = logging.getLogger("loomery")

CLEAR_TO_END = "\x1b[K"  # ANSI: erase from the cursor to the end of the line


class RateMeter:
    """Amount per second, exponentially weighted towards the last ``tau`` seconds.

    Both the amounts and the time between them are averaged with the same decay
    ``exp(-dt / tau)``; their ratio is exact for a steady rate, whatever the spacing of the
    events, and a burst of events at one instant (``dt = 0``) needs no special case.
    """

    def __init__(self, start: float, tau: float = 30.0):
        self.tau, self.last = tau, start
        self.amount = self.span = 0.0

    def add(self, amount: float, now: float) -> None:
        """Count ``amount`` finished at time ``now`` (seconds, same clock as ``start``)."""
        dt = max(0.0, now - self.last)
        decay = math.exp(-dt / self.tau)
        self.amount = self.amount * decay + amount
        self.span = self.span * decay + dt
        self.last = now

    def rate(self) -> float | None:
        """Amount per second, or None before any time has passed."""
        return self.amount / self.span if self.span > 0 else None


def format_duration(seconds: float | None) -> str:
    """``42s``, ``3m05s``, ``2h07m``; ``?`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole // 60 % 60:02d}m"


def format_rate(per_second: float | None) -> str:
    """Three significant figures at most below 100, whole numbers with separators above."""
    if per_second is None:
        return "?"
    if per_second >= 100:
        return f"{per_second:,.0f}"
    return f"{per_second:.1f}" if per_second >= 10 else f"{per_second:.2f}"


def progress_line(label: str, units_done: int, units_total: int, records_done: int | None,
                  records_total: int | None, rate: float | None, left: float | None) -> str:
    """One progress line. ``rate`` is records/s when records are known, else units/s."""
    parts = [f"{label}: {units_done:,}/{units_total:,} units"]
    if records_total is not None:
        parts.append(f"{records_done or 0:,}/{records_total:,} records")
    parts.append(f"{format_rate(rate)} {'records' if records_total is not None else 'units'}/s")
    parts.append(f"{format_duration(0 if units_done >= units_total else left)} left")
    return ", ".join(parts)


class PhaseProgress:
    """The ``on_unit`` callback of one phase: counts published units and shows progress.

    ``total`` and ``done`` count the phase's units (``done`` finished before this run);
    ``records`` maps the index of each unit still to do to its input records (``Unit.size``).
    Without it, progress is in units. Records and the time left count this run's work only:
    a resumed run does not know the record counts of the units it skips.

    ``stream`` is where a terminal line is drawn (default ``sys.stderr``, where the log goes);
    ``interval`` the seconds between log lines off a terminal; ``tau`` the averaging time.
    """

    def __init__(self, label: str, total: int, done: int, records: Mapping[int, int] | None = None,
                 *, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 interval: float = 30.0, tau: float = 30.0):
        self.label, self.total, self.done = label, total, done
        self.records = dict(records) if records is not None else None
        self.records_total = sum(self.records.values()) if self.records is not None else None
        self.records_done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.clock, self.interval = clock, interval
        start = clock()
        self.units_rate, self.records_rate = RateMeter(start, tau), RateMeter(start, tau)
        self.last_shown = start
        self.tty = _is_tty(self.stream)

    def __call__(self, unit: int) -> None:
        self.done += 1
        failpoint("unit_published")
        now = self.clock()
        self.units_rate.add(1, now)
        if self.records is not None:
            size = self.records.get(unit, 0)
            self.records_done += size
            self.records_rate.add(size, now)
        if not log.isEnabledFor(logging.INFO):
            return
        finished = self.done >= self.total
        if self.tty:
            self.stream.write("\r" + (CLEAR_TO_END if finished else self.line() + CLEAR_TO_END))
            self.stream.flush()
        if finished or (not self.tty and now - self.last_shown >= self.interval):
            self.last_shown = now
            log.info("%s", self.line())

    def line(self) -> str:
        """The current progress line."""
        if self.records is not None:
            rate = self.records_rate.rate()
            left = (self.records_total - self.records_done) / rate if rate else None
        else:
            rate = self.units_rate.rate()
            left = (self.total - self.done) / rate if rate else None
        return progress_line(self.label, self.done, self.total,
                             self.records_done if self.records is not None else None,
                             self.records_total, rate, left)


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
