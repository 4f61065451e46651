"""The safe fetcher: one asyncio session that fetches many URLs at once, each safely.

Per URL and per redirect hop: the scheme must be http or https and the URL carry no
credentials; the host is resolved once and the checked address dialled (TLS verified against the
name); robots.txt is consulted for that host; the answer's X-Robots-Tag, status, Content-Type,
size (on the wire and decoded), format (magic bytes) and pixel count (header) are checked. Every
URL ends with a result: a body, or a reason.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote, urljoin, urlsplit

from engine.consent.fetch_check import RightsCheck
from engine.fetch import http1, sniff
from engine.fetch.addresses import AddressPolicy
from engine.fetch.policy import FetchPolicy, FetchResult
from engine.fetch.politeness import (
    RETRYABLE_REASONS,
    HostLimiter,
    backoff_delay,
    parse_retry_after,
)
from engine.fetch.resolve import FetchError, Resolver, Target, connect, tls_context
from engine.fetch.robots import MAX_ROBOTS_BYTES, RobotsCache
from engine.fetch.xrobots import verdict as x_robots_verdict

REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_URL_CHARS = 8192
_OK_CONTENT_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")


class FetchSession:
    """Fetches URLs under one :class:`FetchPolicy`, sharing DNS answers, robots.txt and
    per-host limits across calls. Use it from one event loop."""

    def __init__(self, policy: FetchPolicy):
        self.policy = policy
        self.resolver = Resolver(
            AddressPolicy.from_allowlist(policy.allow_hosts), timeout_s=policy.connect_timeout_s
        )
        self.limiter = HostLimiter(policy.per_host_concurrency)
        self.robots = RobotsCache(self._fetch_robots, policy.robots_token)
        self.rights = RightsCheck(self._fetch_robots, policy)  # TDMRep, licence headers
        self._tls = None

    async def fetch(self, url: str) -> FetchResult:
        """Fetch one URL, retrying what may be retried; never raises for a bad URL or answer."""
        policy = self.policy
        started = time.monotonic()
        for attempt in range(1, policy.retries + 2):
            result = FetchResult(url=url, attempts=attempt)
            retry_after = None
            try:
                async with asyncio.timeout(policy.timeout_s):
                    await self._follow(url, result, robots_mode=False)
            except FetchError as exc:
                result.reason, result.detail = exc.reason, exc.detail
                retry_after = exc.retry_after
            except TimeoutError:
                result.reason = "timeout"
                result.detail = f"no complete answer within {policy.timeout_s:g}s"
            except Exception as exc:  # a bug or an odd answer must cost one URL, not the batch
                result.reason = "fetch_error"
                result.detail = f"{type(exc).__name__}: {exc}"[:500]
            if result.reason is None or result.reason not in RETRYABLE_REASONS:
                break
            if attempt > policy.retries:
                result.detail = f"{result.detail}; gave up after {attempt} attempts"
                break
            delay = backoff_delay(attempt, policy.backoff_s, retry_after)
            if delay > policy.max_retry_after_s:
                result.detail = f"{result.detail}; asked to wait {delay:g}s, over the cap"
                break
            host = urlsplit(result.final_url or url).hostname or ""
            if retry_after is not None:
                self.limiter.pause(host, delay)
            await asyncio.sleep(delay)
        result.elapsed_s = time.monotonic() - started
        if result.reason is not None:
            result.content = None
        return result

    async def fetch_many(self, urls, concurrency: int = 64, on_result=None) -> list[FetchResult]:
        """Fetch ``urls`` with at most ``concurrency`` in flight; results in input order.

        ``on_result(index, result)``, if given, runs in the default thread pool as each result
        arrives (decode and resize there, overlapping with the network)."""
        urls = list(urls)
        results: list[FetchResult | None] = [None] * len(urls)
        loop = asyncio.get_running_loop()
        next_index = iter(range(len(urls)))

        async def worker() -> None:
            for i in next_index:
                result = await self.fetch(urls[i])
                if on_result is not None:
                    await loop.run_in_executor(None, on_result, i, result)
                results[i] = result

        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(urls))))))
        return results  # type: ignore[return-value]

    def _check_url(self, url: str) -> tuple[str, str, int, str]:
        if len(url) > MAX_URL_CHARS:
            raise FetchError("bad_url", f"URL longer than {MAX_URL_CHARS} characters")
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise FetchError("bad_url", str(exc)) from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError("bad_scheme", f"scheme {scheme or '(none)'!r} is not http or https")
        if parts.username is not None or parts.password is not None:
            raise FetchError("credentials_in_url", "URLs with user:password@ are refused")
        host = parts.hostname or ""
        if not host:
            raise FetchError("bad_url", "no host")
        try:
            host = host.encode("idna").decode("ascii") if not host.isascii() else host
        except UnicodeError as exc:
            raise FetchError("bad_url", f"host {host!r}: {exc}") from None
        port = port or (443 if scheme == "https" else 80)
        target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        if parts.query:
            target += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
        return scheme, host, port, target

    def _headers(self, host: str, port: int, scheme: str, robots_mode: bool):
        default = 443 if scheme == "https" else 80
        host_header = host if port == default else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            host_header = f"[{host}]" if port == default else f"[{host}]:{port}"
        accept = "text/plain, */*;q=0.5" if robots_mode else (
            "image/*, */*;q=0.5" if self.policy.expect == "image" else "*/*"
        )
        return [
            ("Host", host_header),
            ("User-Agent", self.policy.user_agent),
            ("Accept", accept),
            ("Accept-Encoding", "gzip, deflate"),
            ("Connection", "close"),
        ]

    async def _follow(self, url: str, result: FetchResult, robots_mode: bool) -> None:
        policy = self.policy
        current = url
        seen = {url}
        for _hop in range(policy.max_redirects + 1):
            scheme, host, port, path = self._check_url(current)
            target = await self.resolver.target(host, port)
            if policy.respect_robots and not robots_mode:
                allowed, evidence, failure = await self.robots.verdict(current)
                result.robots = evidence
                if not allowed:
                    # An unreachable robots.txt disallows everything (RFC 9309); the reason
                    # recorded is what made it unreachable, which says more than robots_txt.
                    raise FetchError(failure or "robots_txt", f"{current}: {evidence}")
            if not robots_mode:
                await self.rights.before_request(current, result)
            result.final_url = current
            location = await self._exchange(scheme, target, path, result, robots_mode)
            if location is None:
                if not robots_mode and policy.expect == "image":
                    self._check_image(result)
                return
            current = urljoin(current, location)
            if scheme == "https" and current.lower().startswith("http:"):
                raise FetchError("insecure_redirect", f"https redirected to {current}")
            if current in seen:
                raise FetchError("redirect_limit", f"redirect loop back to {current}")
            seen.add(current)
            result.redirects += 1
        raise FetchError("redirect_limit", f"more than {policy.max_redirects} redirects")

    async def _exchange(self, scheme, target: Target, path, result, robots_mode) -> str | None:
        """One request on a fresh connection; returns a redirect Location or None with the
        body in ``result.content``."""
        policy = self.policy
        tls = None
        if scheme == "https":
            tls = self._tls = self._tls or tls_context(policy.ca_file)
        async with self.limiter.slot(target.host):
            try:
                async with asyncio.timeout(policy.connect_timeout_s):
                    reader, writer = await connect(target, tls)
            except TimeoutError:
                raise FetchError("connection_error", f"connect to {target.ip} timed out") from None
            exchange = http1.Exchange(reader, writer)
            try:
                await exchange.send(path, self._headers(target.host, target.port, scheme,
                                                        robots_mode))
                response = await exchange.response()
                result.status = status = response.status_code
                if status in REDIRECTS:
                    location = http1.header(response, "location")
                    if not location:
                        raise FetchError("http_3xx", f"{status} without a Location")
                    return location.strip()
                self._check_head(response, result, robots_mode)
                cap = MAX_ROBOTS_BYTES if robots_mode else policy.max_bytes
                length = http1.header(response, "content-length")
                if length and length.strip().isdigit() and int(length) > cap:
                    raise FetchError("too_large", f"Content-Length {length} > {cap}")
                encoding = http1.header(response, "content-encoding") or ""
                result.content = await exchange.body(cap, encoding)
            finally:
                exchange.close()
        if not result.content:
            raise FetchError("empty_body", f"{status} with an empty body")
        return None

    def _check_head(self, response, result: FetchResult, robots_mode: bool) -> None:
        policy = self.policy
        status = response.status_code
        tags = http1.headers_all(response, "x-robots-tag")
        result.x_robots_tag = " | ".join(tags) or None
        result.content_type = http1.header(response, "content-type")
        if status >= 300 or status < 200:
            retry_after = parse_retry_after(http1.header(response, "retry-after"))
            raise FetchError(status_reason(status), f"HTTP {status}", retry_after)
        if robots_mode:
            return
        if policy.respect_x_robots and tags:
            xr = x_robots_verdict(tags, policy.robots_token, policy.x_robots_block)
            if xr.blocked:
                raise FetchError("x_robots_tag", "opted out: " + ", ".join(xr.matched))
        self.rights.on_headers(lambda name: http1.header(response, name),
                               lambda name: http1.headers_all(response, name), result)
        ctype = (result.content_type or "").split(";")[0].strip().lower()
        checked = policy.expect == "image" and policy.check_content_type and ctype
        if checked and not ctype.startswith(_OK_CONTENT_TYPES):
            raise FetchError("content_type", f"Content-Type {ctype!r} is not an image")

    def _check_image(self, result: FetchResult) -> None:
        body = result.content or b""
        fmt = sniff.sniff_format(body)
        if fmt is None or fmt not in self.policy.formats:
            allowed = ", ".join(self.policy.formats)
            raise FetchError("unsupported_format", f"body is {fmt or 'unknown'}, not {allowed}")
        result.image_format = fmt
        result.width, result.height = sniff.header_size(body, self.policy.max_pixels)

    async def _fetch_robots(self, url: str) -> tuple[int | None, bytes, str]:
        result = FetchResult(url=url)
        try:
            async with asyncio.timeout(self.policy.robots_timeout_s):
                await self._follow(url, result, robots_mode=True)
        except FetchError as exc:
            if exc.reason.startswith("http_") and result.status is not None:
                return result.status, b"", exc.detail
            if exc.reason == "empty_body":
                return result.status, b"", "empty"
            return None, b"", f"{exc.reason}: {exc.detail}"
        except TimeoutError:
            return None, b"", "timeout: robots.txt took too long"
        return result.status, result.content or b"", ""


def status_reason(status: int) -> str:
    """The reject reason for a non-2xx final status."""
    if status in (403, 404, 410, 429, 503):
        return f"http_{status}"
    if 400 <= status < 500:
        return "http_4xx"
    if status >= 500:
        return "http_5xx"
    return "http_3xx" if 300 <= status < 400 else f"http_{status}"
