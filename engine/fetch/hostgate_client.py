"""The job's host gate as a fetch worker sees it: per-host slots, 429/503 pauses and
robots.txt answers shared by every fetch worker of a job.

The runner starts the gate's service (``engine/runner/hostgate_actors.py``: async Ray actors, shards
chosen by host hash) and installs a :class:`GateRef` in each stage worker with
:func:`install_job_gate`; a fetching stage asks for it with :func:`job_gate` and hands it to its
:class:`engine.fetch.Fetcher`. Without one (a script, a unit test) the fetcher keeps its own
in-process :class:`engine.fetch.politeness.HostLimiter`.

:class:`RemoteHostGate` has the HostLimiter's interface (``slot``, ``acquire``/``release``,
``pause``, ``share_robots``). Its requests are batched: every acquire, release and pause
waiting when a call goes out travels in that one call (one call in flight per shard, plus one
long poll while requests wait), and a released lease may serve the worker's next request for
the same host (see :class:`_Link`), so a request costs at most two list entries (acquire,
release) and, measured on one busy host, 0.06 calls (``bench/hostgate.py``). It imports no
Ray: actor handles are awaited as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
import zlib
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_installed: GateRef | None = None


@dataclass(frozen=True)
class GateRef:
    """What a worker needs to reach the job's gate: its shards (Ray actor handles, or any
    object whose methods have ``.remote()`` returning an awaitable) and its timing."""

    shards: tuple[Any, ...]
    lease_ttl_s: float = 60.0
    poll_s: float = 1.0
    robots_ttl_s: float = 24 * 3600.0
    robots_failure_ttl_s: float = 300.0
    robots_wait_s: float = 30.0  # how long askers wait for another worker's robots.txt fetch

    def connect(self, per_host: int) -> RemoteHostGate:
        """A client for this process's event loop, allowing ``per_host`` requests per host."""
        return RemoteHostGate(self, per_host)


def install_job_gate(ref: GateRef | None) -> None:
    """Make ``ref`` the gate of the job this process works for (the runner calls it)."""
    global _installed
    _installed = ref


def job_gate() -> GateRef | None:
    """The gate installed for this process's job, or None outside a run."""
    return _installed


def shard_of(host: str, shards: int) -> int:
    """A host's shard: stable across processes (``hash()`` is salted per process)."""
    return zlib.crc32(host.encode("utf-8", "surrogatepass")) % shards


class RemoteHostGate:
    """A fetch worker's side of the job's gate (see the module docstring). Use it from one
    event loop; ``aclose()`` hands back what it holds."""

    def __init__(self, ref: GateRef, per_host: int):
        self.ref = ref
        self.per_host = max(1, per_host)
        self.worker = uuid.uuid4().hex
        self._links = [_Link(self, shard) for shard in ref.shards]

    def slot(self, host: str) -> _Slot:
        """``async with gate.slot(host):`` around one request."""
        return _Slot(self, host)

    async def acquire(self, host: str) -> int:
        """A lease on a slot of ``host``; give it back with :meth:`release`."""
        return await self._link(host).acquire(host)

    def release(self, host: str, lease: int) -> None:
        """Give back the lease :meth:`acquire` returned."""
        self._link(host).release(lease, host)

    def pause(self, host: str, seconds: float) -> None:
        """Hold every worker's requests to ``host`` for ``seconds`` (a 429 or 503's wait, see
        :func:`engine.fetch.politeness.host_pause`); pauses do not add up."""
        link = self._link(host)
        link.pauses.append((host, seconds))
        until = time.monotonic() + seconds
        link.paused_until[host] = max(link.paused_until.get(host, 0.0), until)
        link.wake()

    def share_robots(self, fetch: Callable[[str], Awaitable[tuple[int | None, bytes, str]]]):
        """Wrap a robots.txt fetcher so that the job fetches each origin's robots.txt once."""

        async def shared(url: str) -> tuple[int | None, bytes, str]:
            origin = url.removesuffix("/robots.txt")
            shard = self._link(urlsplit(url).hostname or "").shard
            answer = await shard.robots.remote(self.worker, origin, self.ref.robots_wait_s)
            if answer is not None:
                status, body, detail = answer
                return status, zlib.decompress(body), detail
            status, body, detail = await fetch(url)
            ttl = self.ref.robots_ttl_s if status is not None else self.ref.robots_failure_ttl_s
            await shard.robots_put.remote(origin, (status, zlib.compress(body), detail), ttl)
            return status, body, detail

        return shared

    async def aclose(self) -> None:
        """Send the releases still queued (the service's lease expiry covers a worker that dies
        before it can)."""
        for link in self._links:
            await link.flush()
            link.stop()

    def _link(self, host: str) -> _Link:
        return self._links[shard_of(host, len(self._links))]


class _Slot:
    def __init__(self, gate: RemoteHostGate, host: str):
        self.gate, self.host, self.lease = gate, host, None

    async def __aenter__(self) -> None:
        self.lease = await self.gate.acquire(self.host)

    async def __aexit__(self, *exc) -> None:
        self.gate.release(self.host, self.lease)


REUSE = 4  # a lease serves at most this many requests of one worker in a row before it goes back
FRESH_S = 0.5  # a lease is reused only while the service's last word on pauses is this recent


class _Link:
    """The batches for one shard: a sender that ships queued items whenever there are any (and
    a heartbeat while leases are held), and a long poll while requests wait.

    A worker never asks the service for more of a host than ``per_host`` at once (it could not
    use more); its other requests for that host wait here and are served by a lease being
    released, up to ``REUSE`` times in a row, without a message. Other workers waiting for the
    host thus wait at most ``REUSE`` request durations longer than strict FIFO order. A lease is
    reused only while the host is not paused, as this worker knows from its own pauses and from
    the service's replies of the last ``FRESH_S`` seconds: a pause recorded by another worker
    stops reuse within that time."""

    def __init__(self, gate: RemoteHostGate, shard: Any):
        self.gate, self.shard = gate, shard
        self.acquires: list[tuple[int, str]] = []
        self.releases: list[int] = []
        self.pauses: list[tuple[str, float]] = []
        self.waiting: dict[int, tuple[str, asyncio.Future]] = {}  # asked of the service
        self.local: dict[str, deque[asyncio.Future]] = {}  # beyond per_host: wait here
        self.claimed: Counter[str] = Counter()  # leases held + requests asked, per host
        self.uses: dict[int, int] = {}  # lease -> requests it served
        self.paused_until: dict[str, float] = {}  # hosts paused, as last heard (monotonic)
        self.heard_at = 0.0  # when the service last replied
        self.held = 0
        self._ids = itertools.count()
        self._dirty: asyncio.Event | None = None
        self._sender: asyncio.Task | None = None
        self._poller: asyncio.Task | None = None

    async def acquire(self, host: str) -> int:
        future = asyncio.get_running_loop().create_future()
        if self.claimed[host] < self.gate.per_host:
            self._ask(host, future)
        else:
            self.local.setdefault(host, deque()).append(future)
        return await future  # if cancelled, its grant goes to the next request or back

    def release(self, lease: int, host: str) -> None:
        self.held -= 1
        if self.uses.get(lease, 0) < REUSE and self._hand_on(lease, host):
            return
        self.uses.pop(lease, None)
        self.claimed[host] -= 1
        if not self.claimed[host]:
            del self.claimed[host]
        self.releases.append(lease)
        queue = self.local.get(host)
        while queue:  # its lease went back: ask the service for the next one in line
            future = queue.popleft()
            if not future.done():
                self._ask(host, future)
                break
        if queue is not None and not queue:
            del self.local[host]
        self.wake()

    def _ask(self, host: str, future: asyncio.Future) -> None:
        request = next(self._ids)
        self.waiting[request] = (host, future)
        self.claimed[host] += 1
        self.acquires.append((request, host))
        self.wake()

    def _hand_on(self, lease: int, host: str) -> bool:
        """Give ``lease`` to the next request for ``host`` waiting here, if any and allowed."""
        now = time.monotonic()
        if now - self.heard_at > FRESH_S or self.paused_until.get(host, 0.0) > now:
            return False
        queue = self.local.get(host)
        while queue:
            future = queue.popleft()
            if not future.done():
                self.uses[lease] = self.uses.get(lease, 0) + 1
                self.held += 1
                future.set_result(lease)
                return True
        self.local.pop(host, None)
        return False

    def wake(self) -> None:
        if self._dirty is None:
            self._dirty = asyncio.Event()
        self._dirty.set()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send_forever())

    async def flush(self) -> None:
        if self.releases or self.pauses:
            await self._send()

    def stop(self) -> None:
        for task in (self._sender, self._poller):
            if task is not None:
                task.cancel()

    async def _send_forever(self) -> None:
        heartbeat = self.gate.ref.lease_ttl_s / 3
        while True:
            with contextlib.suppress(TimeoutError):  # asyncio.timeout, unlike wait_for on
                async with asyncio.timeout(heartbeat):  # 3.11, never swallows a cancel
                    await self._dirty.wait()
            self._dirty.clear()
            if self.acquires or self.releases or self.pauses or self.held or self.waiting:
                await self._send()
            elif not self._dirty.is_set():
                return  # idle: the next wake() starts a new sender

    async def _send(self) -> None:
        acquires, self.acquires = self.acquires, []
        releases, self.releases = self.releases, []
        pauses, self.pauses = self.pauses, []
        try:
            reply = await self.shard.exchange.remote(self.gate.worker, self.gate.per_host,
                                                     acquires, releases, pauses)
        except Exception as exc:  # the service is gone: fail the waiting requests, not hang
            self._fail(exc)
            return
        self._deliver(reply)
        if self.waiting and (self._poller is None or self._poller.done()):
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        while self.waiting:
            try:
                reply = await self.shard.wait.remote(self.gate.worker, self.gate.ref.poll_s)
            except Exception as exc:
                self._fail(exc)
                return
            self._deliver(reply)

    def _fail(self, exc: Exception) -> None:
        futures = [f for _, f in self.waiting.values()] + [f for q in self.local.values() for f in q]
        self.waiting, self.local = {}, {}
        for future in futures:
            if not future.done():
                future.set_exception(RuntimeError(f"host gate unreachable: {exc}"))

    def _deliver(self, reply) -> None:
        grants, paused = reply
        now = self.heard_at = time.monotonic()
        self.paused_until = {h: t for h, t in self.paused_until.items() if t > now}
        for host, left in paused:
            self.paused_until[host] = max(self.paused_until.get(host, 0.0), now + left)
        for request, lease in grants:
            entry = self.waiting.pop(request, None)
            if entry is None:  # failed meanwhile
                self.releases.append(lease)
                continue
            host, future = entry
            if not future.done():
                self.held += 1
                future.set_result(lease)
            elif not self._hand_on(lease, host):  # its asker gave up: the next one, or back
                self.held += 1
                self.release(lease, host)
