"""Time limits for many concurrent fetches, kept by one sweep per session instead of a timer each.

``asyncio.timeout`` puts a timer on the event loop's heap for every fetch and cancels it when the
fetch ends; at thousands of fetches a second that is ~5% of the fetcher's CPU per image
(36k of 673k instructions, ``BENCHMARKS.md``). :class:`Deadlines` records each fetch's deadline
in a dict (by the monotonic clock, as asyncio's loop keeps time) and, while any fetch is
running, wakes every ``tick`` seconds to cancel the ones whose time is up: O(1) per fetch,
O(fetches in flight) per tick. A limit fires up to ``tick`` late.

Semantics are those of ``asyncio.timeout``: the cancelled fetch sees ``CancelledError`` where it
waits, and the ``with`` block turns it into ``TimeoutError``, unless someone else cancelled the
task too (then the cancellation goes on). The sweep runs between task steps, so a task it
cancels is always waiting inside its ``with`` block.
"""

from __future__ import annotations

import asyncio
import time


class Deadlines:
    """``with deadlines.limit(seconds):`` around awaited work in a task of this event loop. A
    limit may be made once and entered by many tasks at once (the fetcher makes one per
    session: nothing is allocated per fetch)."""

    def __init__(self, tick: float = 0.05):
        self.tick = tick
        self._due: dict[asyncio.Task, tuple[float, int]] = {}  # deadline, cancelling() at entry
        self._expired: set[asyncio.Task] = set()
        self._sweeping: asyncio.TimerHandle | None = None

    def limit(self, seconds: float) -> _Limit:
        return _Limit(self, seconds)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = time.monotonic()
        for task, (due, _) in self._due.items():
            if due <= now and task not in self._expired:
                self._expired.add(task)
                task.cancel()
        self._sweeping = loop.call_later(self.tick, self._sweep, loop) if self._due else None


class _Limit:
    """The context manager of one limit; its state per task lives in the Deadlines."""

    __slots__ = ("deadlines", "seconds")

    def __init__(self, deadlines: Deadlines, seconds: float):
        self.deadlines = deadlines
        self.seconds = seconds

    def __enter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a time limit must be used inside a task")
        deadlines = self.deadlines
        if task in deadlines._due:
            raise RuntimeError("time limits of one Deadlines do not nest")
        deadlines._due[task] = (time.monotonic() + self.seconds, task.cancelling())
        if deadlines._sweeping is None:
            loop = asyncio.get_running_loop()
            deadlines._sweeping = loop.call_later(deadlines.tick, deadlines._sweep, loop)

    def __exit__(self, kind, exc, _tb) -> bool:
        deadlines, task = self.deadlines, asyncio.current_task()
        _, cancelling = deadlines._due.pop(task)
        if task in deadlines._expired:
            deadlines._expired.discard(task)
            if task.uncancel() <= cancelling and kind is asyncio.CancelledError:
                raise TimeoutError from exc
        return False
