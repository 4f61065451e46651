"""Per-host politeness: a bound on concurrent requests per host, and back-off between retries.

Retries happen only for answers that say "later" (429, 503) and for connection errors. The wait
before a retry is the server's Retry-After (seconds or an HTTP date) when it sent one, else an
exponential back-off (``backoff_s``, doubled per attempt); when it is longer than the cap
(``max_retry_after_s``), the fetch gives up instead of retrying early.

What is paused (:func:`host_pause`): a 429 or 503 pauses its host for every request of the job
for that wait, with or without Retry-After, since the host said it is overloaded and any request
meanwhile, from this worker or another, adds to the load. A connection error pauses only the
request that met it: a refused or reset connection says nothing certain about the host's load
(one bad pooled connection, one flaky route), and a host that is down fails every request fast
anyway, each retried at most ``retries`` times. Pauses do not add up: a host's pause ends at the
latest of the ends asked for, so 429s from many requests in flight together pause it once, for
at most the cap (a longer wait is never asked: the fetch gives up instead).
Never retried: 404, 403, any other 4xx, opt-outs, and safety refusals.

:class:`HostLimiter` holds in one process. In a run the runner provides the job's host gate
(:mod:`engine.fetch.hostgate_client`), which has the same interface and holds for every fetch worker.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections import deque
from datetime import UTC, datetime

RETRYABLE_STATUS = frozenset({429, 503})
RETRYABLE_REASONS = frozenset({"connection_error", "http_429", "http_503"})
PAUSING_REASONS = frozenset({"http_429", "http_503"})  # the host asked for less load


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now_dt = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return max(0.0, (when - now_dt).total_seconds())


def backoff_delay(attempt: int, base_s: float, retry_after_s: float | None) -> float:
    """The wait before retry number ``attempt`` (1-based): Retry-After when given, else
    exponential back-off from ``base_s``."""
    if retry_after_s is not None:
        return retry_after_s
    return base_s * (2 ** (attempt - 1))


def host_pause(reason: str, delay_s: float) -> float:
    """Seconds for which a retryable failure with ``reason``, retried after ``delay_s``, pauses
    its host for every request of the job: the whole wait for a 429 or 503 (with or without
    Retry-After), none for a connection error (see the module docstring)."""
    return delay_s if reason in PAUSING_REASONS else 0.0


class HostLimiter:
    """At most ``per_host`` requests in flight per host, the others waiting in FIFO order; a
    host can be paused until a time.

    Own counting rather than an ``asyncio.Semaphore`` per host: a request that finds a free
    slot takes it with a dict update and no await (the Semaphore's ``acquire`` is a coroutine
    that scans its waiters), and a host with nothing in flight or waiting holds no entry, so
    memory is O(hosts in flight) however many hosts a worker crawls."""

    def __init__(self, per_host: int):
        self.per_host = max(1, per_host)
        self._busy: dict[str, int] = {}  # host -> requests holding a slot
        self._waiting: dict[str, deque[asyncio.Future]] = {}  # host -> requests waiting for one
        self._paused_until: dict[str, float] = {}

    def pause(self, host: str, seconds: float) -> None:
        """Hold every request to ``host`` for ``seconds`` (a 429 or 503's wait); a pause already
        longer is kept, never extended by the sum."""
        until = time.monotonic() + seconds
        self._paused_until[host] = max(until, self._paused_until.get(host, 0.0))

    def slot(self, host: str) -> _Slot:
        """``async with limiter.slot(host):`` around one request."""
        return _Slot(self, host)

    async def acquire(self, host: str) -> None:
        """Take a slot of ``host``: wait in line for one, then out any pause of the host. Give
        it back with :meth:`release` (the fetcher's hot path uses this pair, without a context
        manager object per request). Cancelled, it holds nothing."""
        if not self._take(host):
            await self._wait(host)
        until = self._paused_until.get(host)
        if until is not None and (wait := until - time.monotonic()) > 0:
            try:
                await asyncio.sleep(wait)
            except BaseException:  # cancelled while paused: the slot is not kept
                self._release(host)
                raise

    def release(self, host: str, _token: None = None) -> None:
        """Give back a slot :meth:`acquire` took."""
        self._release(host)

    def share_robots(self, fetch):
        """The robots.txt fetcher as it is: in one process the session's RobotsCache already
        fetches each origin once (the job's gate shares it between processes)."""
        return fetch

    async def aclose(self) -> None:
        """Nothing to hand back: the slots live in this process."""

    def _take(self, host: str) -> bool:
        """Take a free slot of ``host`` if there is one and nobody waits for it."""
        busy = self._busy.get(host, 0)
        if busy < self.per_host and host not in self._waiting:
            self._busy[host] = busy + 1
            return True
        return False

    async def _wait(self, host: str) -> None:
        """Wait in line for a slot of ``host``; a released slot is handed on, not freed."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(host, deque()).append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # handed a slot as it was cancelled
                self._release(host)
            raise

    def _release(self, host: str) -> None:
        queue = self._waiting.get(host)
        while queue:  # hand the slot on to the next request still waiting
            future = queue.popleft()
            if not future.done():
                future.set_result(None)
                return
        if queue is not None:
            del self._waiting[host]
        busy = self._busy[host] - 1
        if busy:
            self._busy[host] = busy
        else:
            del self._busy[host]
            until = self._paused_until.get(host)
            if until is not None and until <= time.monotonic():
                del self._paused_until[host]  # a pause that is over: O(hosts in flight) kept


class _Slot:
    __slots__ = ("limiter", "host")

    def __init__(self, limiter: HostLimiter, host: str):
        self.limiter = limiter
        self.host = host

    async def __aenter__(self) -> None:
        await self.limiter.acquire(self.host)

    async def __aexit__(self, *exc) -> None:
        self.limiter.release(self.host)
