"""The HTTP transport: one aiohttp session whose pooled keep-alive connections are each checked
against the address policy when they are opened.

Two hooks guard every connection. The resolver hands aiohttp only addresses that passed the
policy for that host and port (DNS pinning: aiohttp dials exactly those, falling back from one
to the next when one is dead). aiohttp skips resolvers for IP literals, so the socket factory,
which sees every address about to be dialled, checks it again with the host and port being
fetched. A pooled connection is keyed by scheme, host and port, so a reused one was checked for
the same host. Bodies are read raw (aiohttp's decompression is off) and decoded by
``engine.fetch.decode`` under the byte caps.

Proxies: the fetcher never goes through one, because a proxy resolves and dials names itself and
the address policy could not be enforced there. When the environment names a proxy
(``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``) the session refuses to start unless the policy
says ``direct_despite_proxy_env=True``: crawling directly is then an explicit decision.
"""

from __future__ import annotations

import asyncio
import os
import socket
from contextvars import ContextVar

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver

from engine.fetch.addresses import AddressPolicy, parse_ip
from engine.fetch.decode import Decoder
from engine.fetch.pool import CappedConnector
from engine.fetch.resolve import FetchError, Resolver, Target, tls_context

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
MAX_HEAD_FIELD = 64 * 1024  # longest status line or header field accepted
# An idle pooled connection is closed after this long, or sooner when the pool holds more than
# its cap of idle connections (engine.fetch.pool): open sockets are at most the requests in
# flight plus that cap.
KEEPALIVE_S = 10.0

# (host, port) of the request being made in this task: the socket factory judges addresses
# for it (an allowlisted host name allows what it resolves to, on its port).
_DIALLING: ContextVar[tuple[str, int]] = ContextVar("loomery_fetch_dialling", default=("", 0))


class BlockedAddress(OSError):
    """An address refused by the policy at connect time."""


def proxy_in_environment(environ=os.environ) -> str | None:
    """The proxy variable the environment sets (``NO_PROXY=*`` turns them off), or None."""
    lowered = {k.lower(): v for k, v in environ.items() if v.strip()}
    if lowered.get("no_proxy", "").strip() == "*":
        return None
    return next((name.upper() for name in PROXY_VARIABLES if name in lowered), None)


class _CheckedResolver(AbstractResolver):
    """aiohttp's resolver: the addresses of a host that passed the policy, nothing else."""

    def __init__(self, resolver: Resolver):
        self.resolver = resolver

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_UNSPEC):
        target = await self.resolver.target(host, port)
        return [{"hostname": host, "host": str(ip), "port": port, "proto": 0,
                 "family": socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                 "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV} for ip in target.ips]

    async def close(self) -> None:
        return None


class Transport:
    """Pooled HTTP(S) for one :class:`FetchSession`; open requests with :meth:`get`."""

    def __init__(self, addresses: AddressPolicy, resolver: Resolver, per_host: int,
                 connect_timeout_s: float, ca_file: str | None = None,
                 direct_despite_proxy_env: bool = False, headers: dict[str, str] | None = None,
                 max_idle: int = 256):
        """``headers`` go with every request (``get`` may override some); give a User-Agent,
        or aiohttp sends its own. At most ``max_idle`` connections are kept idle in all."""
        proxy = proxy_in_environment()
        if proxy and not direct_despite_proxy_env:
            raise RuntimeError(
                f"{proxy} is set, but the fetcher does not use proxies: a proxy dials addresses "
                "the address policy cannot check. Unset it, or set the fetch policy's "
                "direct_despite_proxy_env=True (param direct_despite_proxy_env=true) to crawl "
                "directly from this node.")
        self.addresses = addresses
        self.resolver = resolver
        self.per_host = max(1, per_host)
        self.connect_timeout_s = connect_timeout_s
        self.max_idle = max_idle
        self.ca_file = ca_file  # the TLS context is made on the first https request
        self.headers = dict(headers or {})
        self._session: aiohttp.ClientSession | None = None

    def _open_socket(self, addr_info) -> socket.socket:
        family, type_, proto, _name, sockaddr = addr_info
        host, port = _DIALLING.get()
        ip = parse_ip(str(sockaddr[0]))
        why = "not an address" if ip is None else self.addresses.refusal(ip, host, sockaddr[1])
        if why is not None:
            raise BlockedAddress(f"{host or sockaddr[0]}: {sockaddr[0]} is {why}")
        return socket.socket(family, type_, proto)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # made on first use, inside the running event loop
            connector = CappedConnector(
                limit=0, limit_per_host=self.per_host, keepalive_timeout=KEEPALIVE_S,
                max_idle=self.max_idle,
                resolver=_CheckedResolver(self.resolver),
                use_dns_cache=False, socket_factory=self._open_socket)
            # Headers are the session's defaults, so that aiohttp copies them instead of merging
            # per request (its cheap path; so is giving no skip_auto_headers).
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(), headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.connect_timeout_s),
                max_line_size=MAX_HEAD_FIELD, max_field_size=MAX_HEAD_FIELD)
        return self._session

    async def open(self, scheme: str, target: Target, path: str,
                   headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        """GET ``path`` (already encoded) from the checked ``target``; aiohttp's errors come out
        as :class:`FetchError`. End the response with ``release()`` once its body is read, or
        with :func:`abandon` when handling it raised: an answer left unread or failed is not
        pooled. (A coroutine and a function, not a context manager: this runs for every image.)"""
        host = f"[{target.host}]" if ":" in target.host else target.host
        default = 443 if scheme == "https" else 80
        netloc = host if target.port == default else f"{host}:{target.port}"
        # https gets our verifying context (system CAs plus ca_file, TLS 1.2+); aiohttp's
        # connector default (ssl=True, verifying too) is never relied on for https
        tls = tls_context(self.ca_file) if scheme == "https" else True
        dialling = (target.host, target.port)
        if _DIALLING.get() != dialling:  # a task fetching one host sets it once
            _DIALLING.set(dialling)
        try:
            return await (self._session or self._client()).get(
                yarl.URL(f"{scheme}://{netloc}{path}", encoded=True), headers=headers,
                allow_redirects=False, ssl=tls)
        except Exception as exc:
            _raise_mapped(exc, target)
            raise

    @property
    def idle_connections(self) -> int:
        """Connections open and idle in the pool now."""
        return self._session.connector.idle_connections if self._session is not None else 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def read_body(response: aiohttp.ClientResponse, cap: int, encoding: str,
                    length: int | None) -> bytes:
    """The body, decoded, refused past ``cap`` bytes on the wire or after decoding; a body that
    ends before ``length`` (its Content-Length) or its last chunk is ``truncated``."""
    if length is not None and length <= cap and encoding.strip().lower() in ("", "identity"):
        # the parser stops at Content-Length (checked against the cap): one read, no decoding
        return await response.content.readexactly(length) if length else b""
    decoder = Decoder(encoding, cap)
    wire = 0
    parts: list[bytes] = []
    async for chunk in response.content.iter_any():
        wire += len(chunk)
        if wire > cap:
            raise FetchError("too_large", f"body passed {cap} bytes")
        parts.append(decoder.feed(chunk))
    parts.append(decoder.flush())
    return b"".join(parts)


def abandon(response: aiohttp.ClientResponse, exc: BaseException, target: Target) -> None:
    """Close ``response``, whose handling raised ``exc``; an aiohttp error is raised again as
    the :class:`FetchError` it maps to, anything else is left to the caller to raise."""
    response.close()
    if isinstance(exc, Exception):
        _raise_mapped(exc, target)


def _raise_mapped(exc: Exception, target: Target) -> None:
    if not isinstance(exc, FetchError):
        mapped = _reason(exc, f"{target.host}:{target.port}")
        if mapped is not None:
            raise mapped from None


def _reason(exc: Exception, where: str) -> FetchError | None:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return FetchError("tls_error", f"{where}: {text}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        inner = exc.os_error
        if isinstance(inner, BlockedAddress) or "BlockedAddress" in repr(inner):
            return FetchError("blocked_address", str(inner))
        return FetchError("connection_error", f"{where}: {text}")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return FetchError("connection_error", f"connect to {where} timed out")
    if isinstance(exc, asyncio.IncompleteReadError):
        return FetchError("truncated", f"{where}: body cut short ({text})")
    if isinstance(exc, aiohttp.ClientPayloadError):
        if "not completed" in text or "ContentLength" in text or "TransferEncoding" in text:
            return FetchError("truncated", f"{where}: body cut short ({text})")
        return FetchError("protocol_error", f"{where}: {text}")
    if isinstance(exc, aiohttp.InvalidURL):
        return FetchError("bad_url", text)
    if isinstance(exc, aiohttp.ClientResponseError):
        return FetchError("protocol_error", f"{where}: {text}")
    if isinstance(exc, OSError | aiohttp.ClientConnectionError):
        return FetchError("connection_error", f"{where}: {text}")
    if isinstance(exc, aiohttp.ClientError):
        return FetchError("protocol_error", f"{where}: {text}")
    return None
