"""Resolve a host once and check every candidate address; the transport dials only those.

The connection is opened to an address that passed the check, never to the name again, so a DNS
answer that changes between check and connect (rebinding) cannot steer the fetcher inside the
network. For https the TLS handshake still verifies the certificate against the host name (SNI).
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import time
from dataclasses import dataclass

from engine.fetch.addresses import AddressPolicy, IPAddress, parse_ip


class FetchError(Exception):
    """A fetch failed for a recorded ``reason`` (a short stable token) with human ``detail``."""

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after  # seconds a server asked us to wait (Retry-After)


@dataclass(frozen=True)
class Target:
    """A checked place to connect: the host name (for Host, SNI) and the addresses that passed
    the policy, in the resolver's order (the transport falls back from one to the next)."""

    host: str
    port: int
    ips: tuple[IPAddress, ...]

    @property
    def ip(self) -> IPAddress:
        return self.ips[0]


class Resolver:
    """Resolves names with the event loop's resolver, checks addresses, caches checked answers
    for ``ttl_s`` seconds (each connection still dials a cached, checked address)."""

    def __init__(self, policy: AddressPolicy, ttl_s: float = 30.0, timeout_s: float = 10.0,
                 max_entries: int = 100_000):
        self.policy = policy
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self.max_entries = max_entries
        self._cache: dict[tuple[str, int], tuple[float, Target]] = {}

    async def target(self, host: str, port: int) -> Target:
        """The checked addresses to connect to for ``host:port``; raises ``FetchError``
        (``blocked_address`` when none passes, ``dns`` when the name does not resolve)."""
        cached = self.cached(host, port)
        if cached is not None:
            return cached
        literal = parse_ip(host)
        candidates = [literal] if literal is not None else await self._lookup(host, port)
        passed, refusals = [], []
        for ip in candidates:
            why = self.policy.refusal(ip, host, port)
            if why is None:
                passed.append(ip)
            else:
                refusals.append(f"{ip} is {why}")
        if not passed:
            raise FetchError("blocked_address", f"{host}: " + "; ".join(refusals))
        target = Target(host, port, tuple(passed))
        if len(self._cache) >= self.max_entries:
            self._cache.clear()  # bounded memory; a miss only costs one more lookup
        self._cache[(host, port)] = (time.monotonic() + self.ttl_s, target)
        return target

    def cached(self, host: str, port: int) -> Target | None:
        """The checked answer for ``host:port`` while it is fresh, else None (then await
        :meth:`target`); synchronous, for the fetcher's hot path."""
        cached = self._cache.get((host, port))
        return cached[1] if cached and cached[0] > time.monotonic() else None

    async def _lookup(self, host: str, port: int) -> list[IPAddress]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout_s):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, TimeoutError) as exc:
            raise FetchError("dns", f"{host}: {exc or 'timed out'}") from None
        seen: list[IPAddress] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            ip = parse_ip(str(sockaddr[0]))
            if ip is not None and ip not in seen:
                seen.append(ip)
        if not seen:
            raise FetchError("dns", f"{host}: no address")
        return seen


@functools.lru_cache(maxsize=16)
def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A verifying TLS client context: certificate and host name checked, TLS 1.2 or newer.
    ``ca_file`` adds trusted CAs to the system ones. One per process and CA file, shared by
    every session (loading the system CA store costs ~25 ms of CPU; a context is not changed
    after this and may be used from any thread)."""
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx
