"""One shard of the job's host gate: per-host leases, 429/503 pauses and robots.txt answers
for every fetch worker of a job (DESIGN invariant 5: politeness holds for the whole job).

The runner runs it as an async Ray actor (``engine/runner/hostgate_actors.py``); fetch workers talk to
it through :class:`engine.fetch.hostgate_client.RemoteHostGate`. It imports no Ray, so it also runs in
one process (unit tests, the benchmark's baseline).

Protocol (all calls batched by the client, one call in flight per worker and kind):

- ``exchange(worker, per_host, acquires, releases, pauses)``: ask for slots
  (``[(request id, host)]``), hand leases back, pause hosts (``[(host, seconds)]``); returns the
  grants ready for this worker, ``[(request id, lease id)]``, and the pauses of the hosts it holds
  leases for (so that it stops reusing them). A request that cannot be granted waits in its
  host's FIFO queue.
- ``wait(worker, timeout_s)``: long poll; returns as soon as a queued request is granted.
- ``robots(worker, origin, wait_s)`` / ``robots_put(origin, answer, ttl_s)``: the job's robots.txt
  answers; the first asker of an origin is told to fetch it (None) and the others wait for it.

Leases expire with their worker: a worker not heard from for ``lease_ttl_s`` (clients send a
heartbeat while they hold or want leases) loses its leases and queued requests, so a dead
worker never holds a slot for long.

Cost: per request one acquire and one release entry (two list items, ~100 bytes pickled),
carried in batched calls; memory per host with work in flight is one ``_Host`` (~300 bytes plus
one queue item per waiting request) and is freed when the host is idle; robots.txt answers are
kept zlib-compressed (a few KB each) in an LRU bounded by ``robots_budget_bytes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field

# (status or None when unreachable, zlib-compressed body, detail): what a robots fetch answered
RobotsAnswer = tuple[int | None, bytes, str]
# ([(request id, lease id)] granted, [(host, seconds left)] paused among the worker's hosts)
Reply = tuple[list[tuple[int, int]], list[tuple[str, float]]]


@dataclass
class _Host:
    limit: int
    active: int = 0
    waiters: deque = field(default_factory=deque)  # (worker id, request id), FIFO
    paused_until: float = 0.0
    timer: asyncio.TimerHandle | None = None


@dataclass
class _Worker:
    last_seen: float
    leases: dict[int, str] = field(default_factory=dict)  # lease id -> host
    mailbox: list[tuple[int, int]] = field(default_factory=list)  # grants not yet returned
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class HostGateService:
    """Per-host leases, pauses and robots.txt answers for the hosts hashed to this shard."""

    def __init__(self, lease_ttl_s: float = 60.0, robots_budget_bytes: int = 256 * 2**20):
        self.lease_ttl_s = lease_ttl_s
        self.robots_budget_bytes = robots_budget_bytes
        self._hosts: dict[str, _Host] = {}
        self._workers: dict[str, _Worker] = {}
        self._robots: OrderedDict[str, tuple[float, RobotsAnswer]] = OrderedDict()
        self._robots_bytes = 0
        self._loading: dict[str, asyncio.Future] = {}
        self._next_lease = 0
        self._reaper: asyncio.Task | None = None
        self.counts: Counter = Counter()

    async def exchange(self, worker: str, per_host: int, acquires: list[tuple[int, str]],
                       releases: list[int], pauses: list[tuple[str, float]]) -> Reply:
        """Apply one batch from ``worker``; return the grants ready for it and the pauses of the
        hosts it holds leases for."""
        self.counts["calls"] += 1
        self.counts["acquires"] += len(acquires)
        state = self._seen(worker)
        for lease in releases:
            host = state.leases.pop(lease, None)
            if host is not None:
                self._hosts[host].active -= 1
                self._grant(host)
        for host, seconds in pauses:
            entry = self._host(host, per_host)
            entry.paused_until = max(entry.paused_until, time.monotonic() + seconds)
            self.counts["pauses"] += 1
        for request, host in acquires:
            entry = self._host(host, per_host)
            entry.waiters.append((worker, request))
            self._grant(host)
        for host, _ in pauses:
            self._grant(host)
        return self._drain(state)

    async def wait(self, worker: str, timeout_s: float) -> Reply:
        """As :meth:`exchange` with nothing to apply, waiting up to ``timeout_s`` for a grant."""
        self.counts["waits"] += 1
        state = self._seen(worker)
        if not state.mailbox:
            state.ready.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await state.ready.wait()
            state = self._seen(worker)
        return self._drain(state)

    async def robots(self, worker: str, origin: str, wait_s: float) -> RobotsAnswer | None:
        """The job's robots.txt answer for ``origin``, or None: the caller fetches it and
        hands it over with :meth:`robots_put`. Askers meanwhile wait up to ``wait_s``; past
        that (a loader that died) the next asker loads it."""
        self._seen(worker)
        self.counts["robots_asks"] += 1
        entry = self._robots.get(origin)
        if entry is not None and entry[0] > time.monotonic():
            self._robots.move_to_end(origin)
            return entry[1]
        loading = self._loading.get(origin)
        if loading is not None and not loading.done():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    return await asyncio.shield(loading)
        self._loading[origin] = asyncio.get_running_loop().create_future()
        self.counts["robots_loads"] += 1
        return None

    async def robots_put(self, origin: str, answer: RobotsAnswer, ttl_s: float) -> None:
        """Keep ``answer`` for ``ttl_s`` seconds and wake everyone waiting for it."""
        old = self._robots.pop(origin, None)
        if old is not None:
            self._robots_bytes -= len(old[1][1])
        self._robots[origin] = (time.monotonic() + ttl_s, answer)
        self._robots_bytes += len(answer[1])
        while self._robots_bytes > self.robots_budget_bytes and len(self._robots) > 1:
            _, (_, dropped) = self._robots.popitem(last=False)
            self._robots_bytes -= len(dropped[1])
        loading = self._loading.pop(origin, None)
        if loading is not None and not loading.done():
            loading.set_result(answer)

    async def stats(self) -> dict:
        """Calls and items served, and the state held now (for benchmarks and tests)."""
        return {**self.counts, "hosts": len(self._hosts), "workers": len(self._workers),
                "robots_cached": len(self._robots), "robots_bytes": self._robots_bytes}

    def _seen(self, worker: str) -> _Worker:
        now = time.monotonic()
        state = self._workers.get(worker)
        if state is None:
            state = self._workers[worker] = _Worker(last_seen=now)
        state.last_seen = now
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().create_task(self._reap_forever())
        return state

    def _host(self, host: str, per_host: int) -> _Host:
        entry = self._hosts.get(host)
        if entry is None:
            entry = self._hosts[host] = _Host(limit=max(1, per_host))
        entry.limit = min(entry.limit, max(1, per_host))  # two stages' limits: the stricter
        return entry

    def _grant(self, host: str) -> None:
        entry = self._hosts.get(host)
        if entry is None:
            return
        wait = entry.paused_until - time.monotonic()
        if wait > 0:
            if entry.timer is None:
                entry.timer = asyncio.get_running_loop().call_later(wait, self._resume, host)
            return
        while entry.active < entry.limit and entry.waiters:
            worker, request = entry.waiters.popleft()
            state = self._workers.get(worker)
            if state is None:  # reaped while it waited
                continue
            self._next_lease += 1
            state.leases[self._next_lease] = host
            state.mailbox.append((request, self._next_lease))
            state.ready.set()
            entry.active += 1
        if entry.active == 0 and not entry.waiters:
            del self._hosts[host]

    def _resume(self, host: str) -> None:
        entry = self._hosts.get(host)
        if entry is not None:
            entry.timer = None
            self._grant(host)

    def _drain(self, state: _Worker) -> Reply:
        grants, state.mailbox = state.mailbox, []
        now = time.monotonic()
        paused = []
        for host in set(state.leases.values()):  # O(leases held): at most per_host per host
            left = self._hosts[host].paused_until - now
            if left > 0:
                paused.append((host, left))
        return grants, paused

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease_ttl_s / 4)
            self.reap()

    def reap(self) -> int:
        """Drop the workers not heard from for ``lease_ttl_s``: their leases go to the next in
        line. Returns how many were dropped."""
        cutoff = time.monotonic() - self.lease_ttl_s
        dead = [w for w, state in self._workers.items() if state.last_seen < cutoff]
        touched: set[str] = set()
        for worker in dead:
            state = self._workers.pop(worker)
            for host in state.leases.values():
                self._hosts[host].active -= 1
                touched.add(host)
            self.counts["leases_expired"] += len(state.leases)
        if dead:
            gone = set(dead)
            for host, entry in self._hosts.items():
                if any(w in gone for w, _ in entry.waiters):
                    entry.waiters = deque(item for item in entry.waiters if item[0] not in gone)
                    touched.add(host)
        for host in touched:
            self._grant(host)
        return len(dead)


class InProcessShard:
    """A service reached without Ray: ``shard.exchange.remote(...)`` awaits it in this
    process's event loop, as an actor handle would in another (unit tests, benchmarks)."""

    def __init__(self, service: HostGateService):
        self.service = service

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self.service, name)
        return type("_Method", (), {"remote": staticmethod(method)})
