"""robots.txt as RFC 9309 says: parse and match with protego, and a per-host cache.

Matching is protego's (Scrapy's RFC 9309 parser), chosen over our former regex matcher because
it matches in linear time (literal pieces found left to right, no backtracking: a rule such as
``/*a*a*a*a*a*b`` cannot stall the event loop) and compares percent-encoding as RFC 9309
§2.2.2-2.2.3 says (``%2A``/``%24`` match a literal ``*``/``$``, ``%2F`` stays encoded,
unreserved escapes are decoded). The groups naming our product token are combined, else the
``*`` groups; the longest matching rule wins, allow on a tie. One thing protego leaves to its
caller: a UTF-8 byte-order mark, stripped here so that it cannot hide the first line.
Protego's cost per check still grows with the rules of the group it applies: about 0.35 us per
plain rule and, for a 8 KiB path, up to 6 us per wildcard rule. A group over the budget below
(``MAX_RULES``, ``MAX_WILDCARD_RULES``, ``MAX_WILDCARD_PIECES``: a few milliseconds per check at
worst) is a file built to stall crawlers (RFC 9309 §3 asks us to guard against those): it is
not matched, and everything is disallowed, which errs on the side of the site's consent.
Fetching: a 2xx body is parsed; a 4xx answer (429 aside) means no restrictions; 5xx, 429 or an
unreachable host means everything is disallowed. Answers are cached per scheme+host+port.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least 500 KiB
MAX_RULES = 10_000
MAX_WILDCARD_RULES = 300
MAX_WILDCARD_PIECES = 10_000


@dataclass
class Robots:
    """A robots.txt verdict source: parsed rules, or allow/disallow all when there are none."""

    rules: Protego | None = None
    allow_all: bool = False
    disallow_all: bool = False
    source: str = "parsed"  # how the verdict is backed: parsed, 4xx (allow all), 5xx, unreachable
    failure: str | None = None  # why robots.txt could not be fetched (tls_error, dns, ...)
    _checked: set[str] = field(default_factory=set)  # tokens whose group is within the budget

    @classmethod
    def parse(cls, text: str) -> Robots:
        """Parse robots.txt text (a leading byte-order mark is ignored)."""
        return cls(rules=Protego.parse(text.removeprefix("\ufeff")))

    def allowed(self, token: str, path: str) -> bool:
        """True when a crawler with product ``token`` may fetch ``path`` (path plus query)."""
        if self.disallow_all:
            return False
        if self.allow_all or self.rules is None or path == "/robots.txt":
            return True
        if not self._within_budget(token.lower()):
            return False
        if not path.startswith("/"):
            path = "/" + path
        # An absolute URL, so that a path starting with // is not read as a host.
        return self.rules.can_fetch("http://robots.invalid" + path, token.lower())

    def _within_budget(self, token: str) -> bool:
        """Whether the group for ``token`` can be matched within the budget; when not, the file
        disallows everything from now on, and ``source`` says why. Reads protego's parsed rules
        (private attributes of the pinned version; a test covers them)."""
        if token in self._checked:
            return True
        ruleset = self.rules._get_matching_rule_set(token) if self.rules else None
        patterns = [rule.value for rule in getattr(ruleset, "_rules", ())]
        wild = [p for p in patterns if p._contains_asterisk or p._contains_dollar]
        pieces = sum(len(getattr(p, "_wildcard_parts", ())) for p in wild)
        if len(patterns) > MAX_RULES or len(wild) > MAX_WILDCARD_RULES or pieces > MAX_WILDCARD_PIECES:
            self.disallow_all = True
            self.source += (f" with {len(patterns)} rules, {len(wild)} with wildcards ({pieces} "
                            "pieces): over what can be matched safely, all disallowed")
            return False
        self._checked.add(token)
        return True


# fetch(url) -> (status or None when unreachable, body bytes, detail); when unreachable the
# detail starts with the failure's reason token ("tls_error: ...").
RobotsFetcher = Callable[[str], Awaitable[tuple[int | None, bytes, str]]]


class RobotsCache:
    """robots.txt per scheme+host+port, fetched once (concurrent askers share the fetch) and
    kept for ``ttl_s`` seconds (RFC 9309 advises at most a day); a failed fetch is kept for
    ``failure_ttl_s`` only, so a site that was briefly unreachable is asked again."""

    def __init__(self, fetch: RobotsFetcher, token: str, ttl_s: float = 24 * 3600,
                 failure_ttl_s: float = 300.0):
        self._fetch = fetch
        self.token = token
        self.ttl_s = ttl_s
        self.failure_ttl_s = failure_ttl_s
        self._entries: dict[str, tuple[float, asyncio.Task]] = {}
        # origin -> (fresh until, file) for files loaded without failure: the hot path's one
        # dict hit per URL (O(origins) entries, like _entries)
        self._ready: dict[str, tuple[float, Robots]] = {}

    async def verdict(self, url: str) -> tuple[bool, str, str | None]:
        """(allowed, evidence, failure) for ``url``: evidence says which robots.txt answer
        decided; failure is the reason robots.txt could not be fetched, if it could not."""
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return await self.verdict_at(f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}", path)

    async def verdict_at(self, origin: str, path: str) -> tuple[bool, str, str | None]:
        """:meth:`verdict` for ``path`` (path and query) on ``origin`` (scheme://host:port), for
        a caller that has split the URL already."""
        return self.verdict_now(origin, path) or self._verdict(await self._robots(origin), path)

    def verdict_now(self, origin: str, path: str) -> tuple[bool, str, str | None] | None:
        """:meth:`verdict_at` when ``origin``'s file is loaded (see :meth:`loaded`), else None;
        synchronous, for the fetcher's hot path."""
        ready = self._ready.get(origin)
        if ready is None or ready[0] < time.monotonic():
            return None
        return self._verdict(ready[1], path)

    def _verdict(self, robots: Robots, path: str) -> tuple[bool, str, str | None]:
        ok = robots.allowed(self.token, path)
        return ok, f"{'allowed' if ok else 'disallowed'} ({robots.source})", robots.failure

    def loaded(self, origin: str):
        """The file of ``origin`` when it is loaded, fresh and was fetched without failure, else
        None (then await :meth:`_robots`); synchronous, for the fetcher's hot path."""
        ready = self._ready.get(origin)
        return ready[1] if ready is not None and ready[0] >= time.monotonic() else None

    async def _robots(self, origin: str) -> Robots:
        entry = self._entries.get(origin)
        if entry is None or entry[0] < time.monotonic():
            # A task of its own: a caller that times out must not cancel the shared load.
            task = asyncio.ensure_future(self._load(origin))
            entry = self._entries[origin] = (time.monotonic() + self.ttl_s, task)
            task.add_done_callback(lambda done: self._on_loaded(origin, entry))
        task = entry[1]
        # a loaded file is read straight from its task; a load in progress is awaited shielded
        robots = task.result() if task.done() else await asyncio.shield(task)
        if robots.failure and self._entries.get(origin) is entry:
            self._entries[origin] = (min(entry[0], time.monotonic() + self.failure_ttl_s),
                                     entry[1])
        return robots

    def _on_loaded(self, origin: str, entry: tuple[float, asyncio.Task]) -> None:
        task = entry[1]
        if task.cancelled() or task.exception() is not None:
            return
        if self._entries.get(origin) is entry and not task.result().failure:
            self._ready[origin] = (entry[0], task.result())

    async def _load(self, origin: str) -> Robots:
        try:
            status, body, detail = await self._fetch(origin + "/robots.txt")
        except Exception as exc:  # any failure to fetch means "unreachable": disallow all
            return Robots(disallow_all=True, source=f"unreachable: {type(exc).__name__}: {exc}",
                          failure="connection_error")
        if status is None:
            failure = detail.split(":", 1)[0].strip() or "connection_error"
            return Robots(disallow_all=True, source=f"unreachable: {detail}", failure=failure)
        if 200 <= status < 300:
            robots = Robots.parse(body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace"))
            robots.source = f"robots.txt {status}"
            return robots
        if 400 <= status < 500 and status != 429:
            return Robots(allow_all=True, source=f"robots.txt {status}: no restrictions")
        return Robots(disallow_all=True, source=f"robots.txt {status}: all disallowed")
