"""robots.txt as RFC 9309 says: parse, match, and a per-host cache.

Matching: the groups naming our product token (case-insensitively) are combined; without one the
``*`` groups are. Of the allow/disallow rules whose pattern matches the path, the longest wins;
on a tie allow wins. ``*`` matches any run of characters and a final ``$`` anchors the end.
Fetching: a 2xx body is parsed; a 4xx answer (429 aside) means no restrictions; 5xx, 429 or an
unreachable host means everything is disallowed. Answers are cached per scheme+host+port.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least 500 KiB


@dataclass(frozen=True)
class Rule:
    allow: bool
    pattern: str

    def matches(self, path: str) -> bool:
        return _compile(self.pattern).match(path) is not None


@dataclass
class Robots:
    """A parsed robots.txt: groups of rules keyed by the user-agent lines that head them."""

    groups: list[tuple[list[str], list[Rule]]] = field(default_factory=list)
    allow_all: bool = False
    disallow_all: bool = False
    source: str = "parsed"  # how the verdict is backed: parsed, 4xx (allow all), 5xx, unreachable
    failure: str | None = None  # why robots.txt could not be fetched (tls_error, dns, ...)

    @classmethod
    def parse(cls, text: str) -> Robots:
        groups: list[tuple[list[str], list[Rule]]] = []
        agents: list[str] = []
        rules: list[Rule] = []
        had_rule = False  # a user-agent line after any rule line (even empty) opens a new group
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            key, sep, value = line.partition(":")
            if not sep:
                continue
            key, value = key.strip().lower(), value.strip()
            if key in ("user-agent", "useragent", "user agent"):
                if had_rule:
                    groups.append((agents, rules))
                    agents, rules, had_rule = [], [], False
                agents.append(value.lower())
            elif key in ("allow", "disallow") and agents:
                had_rule = True
                if value:  # an empty disallow restricts nothing
                    rules.append(Rule(key == "allow", _normalize_pattern(value)))
        if agents:
            groups.append((agents, rules))
        return cls(groups)

    def rules_for(self, token: str) -> list[Rule]:
        token = token.lower()
        mine = [r for agents, rules in self.groups if token in agents for r in rules]
        named = any(token in agents for agents, _ in self.groups)
        if named:
            return mine
        return [r for agents, rules in self.groups if "*" in agents for r in rules]

    def allowed(self, token: str, path: str) -> bool:
        """True when a crawler with product ``token`` may fetch ``path`` (path plus query)."""
        if self.disallow_all:
            return False
        if self.allow_all or path == "/robots.txt":
            return True
        path = _normalize_pattern(path or "/")
        best: Rule | None = None
        for rule in self.rules_for(token):
            if not rule.matches(path):
                continue
            longer = best is None or len(rule.pattern) > len(best.pattern)
            if longer or (len(rule.pattern) == len(best.pattern) and rule.allow):
                best = rule
        return best is None or best.allow


def _normalize_pattern(text: str) -> str:
    # Percent-encode what needs it and decode unreserved characters so that both sides compare
    # in one form; '*' and '$' keep their meaning.
    return quote(unquote(text), safe="/*$?=&;:@!,'()+%~-._")


_compiled: dict[str, re.Pattern] = {}


def _compile(pattern: str) -> re.Pattern:
    found = _compiled.get(pattern)
    if found is None:
        anchored = pattern.endswith("$")
        body = pattern[:-1] if anchored else pattern
        regex = ".*".join(re.escape(part) for part in body.split("*"))
        found = re.compile(regex + ("$" if anchored else ""), re.DOTALL)
        if len(_compiled) < 10000:
            _compiled[pattern] = found
    return found


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

    async def verdict(self, url: str) -> tuple[bool, str, str | None]:
        """(allowed, evidence, failure) for ``url``: evidence says which robots.txt answer
        decided; failure is the reason robots.txt could not be fetched, if it could not."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
        robots = await self._robots(origin)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        ok = robots.allowed(self.token, path)
        return ok, f"{'allowed' if ok else 'disallowed'} ({robots.source})", robots.failure

    async def _robots(self, origin: str) -> Robots:
        entry = self._entries.get(origin)
        if entry is None or entry[0] < time.monotonic():
            # A task of its own: a caller that times out must not cancel the shared load.
            task = asyncio.ensure_future(self._load(origin))
            entry = self._entries[origin] = (time.monotonic() + self.ttl_s, task)
        robots = await asyncio.shield(entry[1])
        if robots.failure and self._entries.get(origin) is entry:
            self._entries[origin] = (min(entry[0], time.monotonic() + self.failure_ttl_s),
                                     entry[1])
        return robots

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
