"""The transport's connection pool: aiohttp's TCPConnector with a cap on idle connections.

aiohttp bounds the connections in use (per host, here the per-host concurrency) and closes an
idle one after ``keepalive_timeout``, but does not bound how many sit idle at once: a worker
that crawls many hosts keeps ``per_host`` sockets for every host it finished within the
keep-alive time, which can run into the process's file-descriptor limit and holds sockets on
servers that are done with us. :class:`CappedConnector` keeps at most ``max_idle`` idle
connections in all; past it, the idle connections of the host released least recently are
closed first. Open sockets are then at most the requests in flight plus ``max_idle``.

It reads and trims aiohttp's pool (``_conns``, ``_release``, ``_get``, ``_cleanup``: private
names of the pinned version, which ``tests/integration/test_crawl_transport.py`` covers).
Cost: O(1) per request; the count is recomputed once per keep-alive period, O(idle hosts).
"""

from __future__ import annotations

from collections import OrderedDict

import aiohttp


class CappedConnector(aiohttp.TCPConnector):
    """A TCPConnector that keeps at most ``max_idle`` idle pooled connections."""

    def __init__(self, *args, max_idle: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_idle = max(0, max_idle)
        self._idle = 0  # idle connections in the pool
        self._recent: OrderedDict = OrderedDict()  # pool keys, least recently released first

    @property
    def idle_connections(self) -> int:
        """How many connections sit idle in the pool now."""
        return self._idle

    def _release(self, key, protocol, *, should_close: bool = False) -> None:
        before = len(self._conns.get(key, ()))
        super()._release(key, protocol, should_close=should_close)
        if len(self._conns.get(key, ())) > before:  # pooled, not closed
            self._idle += 1
            self._recent[key] = None
            self._recent.move_to_end(key)
            if self._idle > self.max_idle:
                self._trim()

    async def _get(self, key, traces):
        before = len(self._conns.get(key, ()))
        try:
            return await super()._get(key, traces)
        finally:  # reused or found dead: either way no longer idle
            self._idle -= before - len(self._conns.get(key, ()))

    def _cleanup(self) -> None:
        super()._cleanup()  # closes what outlived the keep-alive time
        self._idle = sum(len(conns) for conns in self._conns.values())
        self._recent = OrderedDict((key, None) for key in self._recent if key in self._conns)

    def _trim(self) -> None:
        """Close idle connections, least recently released host first, down to ``max_idle``."""
        while self._idle > self.max_idle and self._recent:
            key = next(iter(self._recent))
            conns = self._conns.get(key)
            while conns and self._idle > self.max_idle:
                protocol, _ = conns.popleft()
                transport = protocol.transport
                protocol.close()
                self._idle -= 1
                if key.is_ssl and not self._cleanup_closed_disabled:
                    self._cleanup_closed_transports.append(transport)
            if not conns:
                self._conns.pop(key, None)
                del self._recent[key]
