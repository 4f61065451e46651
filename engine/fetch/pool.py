"""The transport's connection pool: aiohttp's TCPConnector with a cap on idle connections.

aiohttp bounds the connections in use (per host, here the per-host concurrency) and closes an
idle one after ``keepalive_timeout``, but does not bound how many sit idle at once: a worker
that crawls many hosts keeps ``per_host`` sockets for every host it finished within the
keep-alive time, which can run into the process's file-descriptor limit and holds sockets on
servers that are done with us. :class:`CappedConnector` keeps at most ``max_idle`` idle
connections in all; past it, the idle connections of the hosts released least recently are
closed first, down to ``max_idle - max_idle // 8``. Open sockets are then at most the requests
in flight plus ``max_idle``.

It reads and trims aiohttp's pool (``_conns``, ``_release``: private names of the pinned
version, which ``tests/integration/test_crawl_transport.py`` covers).

Cost: the idle count is an upper bound kept in O(1) per request (a release adds one, a reuse
subtracts nothing), so reusing a connection costs nothing over aiohttp's own path. When the
bound passes the cap, the pool is counted and, if it really holds more, trimmed:
O(k log k) for k hosts with idle connections (k <= max_idle), which happens at most once per
``max_idle // 8 + 1`` requests when the pool sits at its cap, and once per
``max_idle - idle`` requests otherwise.
"""

from __future__ import annotations

import aiohttp


class CappedConnector(aiohttp.TCPConnector):
    """A TCPConnector that keeps at most ``max_idle`` idle pooled connections."""

    def __init__(self, *args, max_idle: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_idle = max(0, max_idle)
        self._low_water = self.max_idle - self.max_idle // 8  # what a trim brings it down to
        self._idle_bound = 0  # idle connections in the pool, or more (see the module's cost)

    @property
    def idle_connections(self) -> int:
        """How many connections sit idle in the pool now."""
        return sum(map(len, self._conns.values()))

    def _release(self, key, protocol, *, should_close: bool = False) -> None:
        super()._release(key, protocol, should_close=should_close)
        self._idle_bound += 1
        if self._idle_bound > self.max_idle:
            self._trim()

    def _trim(self) -> None:
        """Count the idle connections; past ``max_idle``, close them down to the low-water
        mark, the host whose newest idle connection is oldest first."""
        conns = self._conns
        idle = sum(map(len, conns.values()))
        if idle > self.max_idle:
            # each entry is (protocol, time it was released); a host's last is its newest
            for key in sorted(conns, key=lambda k: conns[k][-1][1] if conns[k] else 0.0):
                queue = conns[key]
                while queue and idle > self._low_water:
                    protocol, _ = queue.popleft()
                    transport = protocol.transport
                    protocol.close()
                    idle -= 1
                    if key.is_ssl and not self._cleanup_closed_disabled:
                        self._cleanup_closed_transports.append(transport)
                if not queue:
                    del conns[key]
                if idle <= self._low_water:
                    break
        self._idle_bound = idle
