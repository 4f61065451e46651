"""The job's host gate as a fetch worker sees it: per-host slots, Retry-After pauses and
robots.txt answers shared by every fetch worker of a job.

The runner starts the gate's service (``engine/runner/hostgate.py``: async Ray actors, shards
chosen by host hash) and installs a :class:`GateRef` in each stage worker with
:func:`install_job_gate`; a fetching stage asks for it with :func:`job_gate` and hands it to its
:class:`engine.fetch.Fetcher`. Without one (a script, a unit test) the fetcher keeps its own
in-process :class:`engine.fetch.politeness.HostLimiter`.

:class:`RemoteHostGate` has the HostLimiter's interface (``slot``, ``pause``, ``share_robots``).
Its requests are batched: every acquire, release and pause waiting when a call goes out travels
in that one call (one call in flight per shard, plus one long poll while requests wait), so a
worker with 64 requests in flight sends far fewer than two calls per request; a request costs
two list entries (acquire, release). It imports no Ray: actor handles are awaited as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
import zlib
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
        return _Slot(self._link(host), host)

    def pause(self, host: str, seconds: float) -> None:
        """Hold every worker's requests to ``host`` for ``seconds`` (a Retry-After)."""
        link = self._link(host)
        link.pauses.append((host, seconds))
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

    def _link(self, host: str) -> _Link:
        return self._links[shard_of(host, len(self._links))]


class _Slot:
    def __init__(self, link: _Link, host: str):
        self.link, self.host, self.lease = link, host, None

    async def __aenter__(self) -> None:
        self.lease = await self.link.acquire(self.host)

    async def __aexit__(self, *exc) -> None:
        self.link.release(self.lease)


class _Link:
    """The batches for one shard: a sender that ships queued items whenever there are any
    (and a heartbeat while leases are held), and a long poll while requests wait."""

    def __init__(self, gate: RemoteHostGate, shard: Any):
        self.gate, self.shard = gate, shard
        self.acquires: list[tuple[int, str]] = []
        self.releases: list[int] = []
        self.pauses: list[tuple[str, float]] = []
        self.waiting: dict[int, asyncio.Future] = {}
        self.held = 0
        self._ids = itertools.count()
        self._dirty: asyncio.Event | None = None
        self._sender: asyncio.Task | None = None
        self._poller: asyncio.Task | None = None

    async def acquire(self, host: str) -> int:
        request = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self.waiting[request] = future
        self.acquires.append((request, host))
        self.wake()
        try:
            return await future
        except asyncio.CancelledError:
            self.waiting.pop(request, None)  # a grant arriving later is handed straight back
            self.acquires = [item for item in self.acquires if item[0] != request]
            raise

    def release(self, lease: int) -> None:
        self.held -= 1
        self.releases.append(lease)
        self.wake()

    def wake(self) -> None:
        if self._dirty is None:
            self._dirty = asyncio.Event()
        self._dirty.set()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send_forever())

    async def flush(self) -> None:
        if self.releases or self.pauses:
            await self._send()

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
            grants = await self.shard.exchange.remote(self.gate.worker, self.gate.per_host,
                                                      acquires, releases, pauses)
        except Exception as exc:  # the service is gone: fail the waiting requests, not hang
            self._fail(exc)
            return
        self._deliver(grants)
        if self.waiting and (self._poller is None or self._poller.done()):
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        while self.waiting:
            try:
                grants = await self.shard.wait.remote(self.gate.worker, self.gate.ref.poll_s)
            except Exception as exc:
                self._fail(exc)
                return
            self._deliver(grants)

    def _fail(self, exc: Exception) -> None:
        waiting, self.waiting = self.waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(RuntimeError(f"host gate unreachable: {exc}"))

    def _deliver(self, grants: list[tuple[int, int]]) -> None:
        for request, lease in grants:
            future = self.waiting.pop(request, None)
            if future is None or future.done():
                self.releases.append(lease)  # its asker gave up: hand it back
                self.wake()
            else:
                self.held += 1
                future.set_result(lease)
