"""The safe fetcher: one asyncio session that fetches many URLs at once, each safely.

Per URL and per redirect hop: the scheme must be http or https and the URL carry no
credentials; the host is resolved, its addresses checked and only those dialled (TLS verified
against the name) over pooled keep-alive connections; robots.txt is consulted for that host; the
answer's X-Robots-Tag, status, Content-Type, size (on the wire and decoded), format (magic
bytes) and pixel count (header) are checked. Every URL ends with a result: a body, or a reason.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

from engine.consent.fetch_check import RightsCheck
from engine.fetch.addresses import AddressPolicy
from engine.fetch.checks import check_head, check_image
from engine.fetch.deadlines import Deadlines
from engine.fetch.decode import ACCEPT_ENCODING
from engine.fetch.hostgate_client import GateRef
from engine.fetch.policy import FetchPolicy, FetchResult
from engine.fetch.politeness import RETRYABLE_REASONS, HostLimiter, backoff_delay, host_pause
from engine.fetch.resolve import FetchError, Resolver, Target
from engine.fetch.robots import MAX_ROBOTS_BYTES, RobotsCache
from engine.fetch.transport import Transport, abandon, read_body
from engine.fetch.urls import check_url, redirect_url

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ROBOTS_HEADERS = {"Accept": "text/plain, */*;q=0.5"}  # over the session's image headers


class FetchSession:
    """Fetches URLs under one :class:`FetchPolicy`, sharing DNS answers, robots.txt and
    per-host limits across calls. Use it from one event loop. With ``gate`` (the job's host
    gate, :mod:`engine.fetch.hostgate_client`) per-host limits, 429/503 pauses and robots.txt
    answers are shared with every other fetch worker of the job."""

    def __init__(self, policy: FetchPolicy, gate: GateRef | None = None):
        self.policy = policy
        addresses = AddressPolicy.from_allowlist(policy.allow_hosts)
        self.resolver = Resolver(addresses, timeout_s=policy.connect_timeout_s)
        accept = "image/*, */*;q=0.5" if policy.expect == "image" else "*/*"
        headers = {"User-Agent": policy.user_agent, "Accept": accept,
                   "Accept-Encoding": ACCEPT_ENCODING}
        self.transport = Transport(addresses, self.resolver, policy.per_host_concurrency,
                                   policy.connect_timeout_s, policy.ca_file,
                                   policy.direct_despite_proxy_env, headers,
                                   policy.max_idle_connections)
        per_host = policy.per_host_concurrency
        self.limiter = gate.connect(per_host) if gate else HostLimiter(per_host)
        # robots.txt and tdmrep.json: each fetched once per job through the gate (per session
        # without one), keyed by the file's URL.
        shared_fetch = self.limiter.share_robots(self._fetch_robots)
        self.robots = RobotsCache(shared_fetch, policy.robots_token)
        self.rights = RightsCheck(shared_fetch, policy)  # TDMRep, licence headers
        self.deadlines = Deadlines()  # timeout_s of every fetch, one sweep for all
        self._time_limit = self.deadlines.limit(policy.timeout_s)  # entered by every fetch

    async def close(self) -> None:
        """Close the pooled connections and hand back what this session holds of the job's gate."""
        await self.transport.close()
        await self.limiter.aclose()

    async def fetch(self, url: str) -> FetchResult:
        """Fetch one URL, retrying what may be retried; never raises for a bad URL or answer."""
        policy = self.policy
        started = time.monotonic()
        for attempt in range(1, policy.retries + 2):
            result = FetchResult(url=url, attempts=attempt)
            retry_after = None
            try:
                with self._time_limit:
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
            if pause_s := host_pause(result.reason, delay):  # for every worker of the job
                self.limiter.pause(urlsplit(result.final_url or url).hostname or "", pause_s)
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

    async def _follow(self, url: str, result: FetchResult, robots_mode: bool) -> None:
        policy = self.policy
        current = url
        seen = None  # the URLs of this fetch's hops, made on the first redirect
        for _hop in range(policy.max_redirects + 1):
            checked = check_url(current)
            target = (self.resolver.cached(checked.host, checked.port)
                      or await self.resolver.target(checked.host, checked.port))
            if not robots_mode:
                origin, path = checked.origin, checked.path
                if policy.respect_robots:
                    # a loaded file answers synchronously, the first asker of an origin waits
                    allowed, evidence, failure = (self.robots.verdict_now(origin, path)
                                                  or await self.robots.verdict_at(origin, path))
                    result.robots = evidence
                    if not allowed:
                        # An unreachable robots.txt disallows everything (RFC 9309); the reason
                        # recorded is what made it unreachable, which says more than robots_txt.
                        raise FetchError(failure or "robots_txt", f"{current}: {evidence}")
                if not self.rights.before_request_now(origin, path, result):
                    await self.rights.before_request(origin, path, result)
            result.final_url = current
            location = await self._exchange(checked.scheme, target, checked.target, result,
                                            robots_mode)
            if location is None:
                if not robots_mode and policy.expect == "image":
                    check_image(result, policy)
                return
            seen = seen or {url}
            current = redirect_url(current, location)
            if current in seen:
                raise FetchError("redirect_limit", f"redirect loop back to {current}")
            seen.add(current)
            result.redirects += 1
        raise FetchError("redirect_limit", f"more than {policy.max_redirects} redirects")

    async def _exchange(self, scheme: str, target: Target, path: str, result: FetchResult,
                        robots_mode: bool) -> str | None:
        """One request on a pooled connection, holding a slot of its host; returns a redirect
        Location or None with the body in ``result.content``."""
        policy, limiter, host = self.policy, self.limiter, target.host
        token = await limiter.acquire(host)
        try:
            response = await self.transport.open(scheme, target, path,
                                                 _ROBOTS_HEADERS if robots_mode else None)
            try:
                result.status = status = response.status
                if status in REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise FetchError("http_3xx", f"{status} without a Location")
                    location = location.strip()
                else:
                    location = None
                    check_head(response.headers, status, result, policy, robots_mode)
                    if not robots_mode:
                        self.rights.on_headers(response.headers, result)
                    cap = MAX_ROBOTS_BYTES if robots_mode else policy.max_bytes
                    length = response.content_length  # digits only: aiohttp's parser refuses others
                    if length is not None and length > cap:
                        raise FetchError("too_large", f"Content-Length {length} > {cap}")
                    encoding = response.headers.get("Content-Encoding") or ""
                    result.content = await read_body(response, cap, encoding, length)
            except BaseException as exc:
                abandon(response, exc, target)
                raise
            response.release()
        finally:
            limiter.release(host, token)
        if location is None and not result.content:
            raise FetchError("empty_body", f"{status} with an empty body")
        return location

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

