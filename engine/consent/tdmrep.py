"""The W3C TDM Reservation Protocol (TDMRep): is text-and-data mining reserved for a resource?

Three places say it (https://www.w3.org/community/reports/tdmrep/CG-FINAL-tdmrep-20240510/):
the HTTP headers ``tdm-reservation: 1|0`` and ``tdm-policy: URL`` of the resource itself, the
HTML ``<meta name="tdm-reservation" content="1">`` (and ``tdm-policy``) of a page, and the host's
``/.well-known/tdmrep.json``: an array of ``{"location": PATTERN, "tdm-reservation": 0|1,
"tdm-policy": URL}`` where the first rule whose pattern matches the path decides. Patterns match
as robots.txt paths do (``*`` any run of characters, a final ``$`` anchors the end).

An opt-out must be honoured wherever it is written, so any source that reserves reserves; a
``0`` in one source does not lift a ``1`` in another. Values other than 0 and 1 are recorded and
decide nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

WELL_KNOWN_PATH = "/.well-known/tdmrep.json"
MAX_RULES = 10_000


@dataclass
class TdmVerdict:
    """``reserved``: True/False, or None when no source said anything readable; ``policy``:
    the tdm-policy of the deciding source; ``evidence``: one line per source checked."""

    reserved: bool | None = None
    policy: str | None = None
    evidence: list[str] = field(default_factory=list)

    def add(self, source: str, value: str | int | None, policy: str | None = None) -> None:
        """Record what ``source`` said, and fold it into the verdict."""
        flag = None if value is None else parse_flag(value)
        line = f"{source}: {value if value is not None else 'absent'}"
        if policy:
            line += f" (policy {policy})"
        self.evidence.append(line)
        if flag is True:
            if self.reserved is not True:
                self.policy = policy or self.policy
            self.reserved = True
        elif flag is False and self.reserved is None:
            self.reserved = False

    def note(self, line: str) -> None:
        """Record a source that could not be read (it decides nothing)."""
        self.evidence.append(line)

    def text(self) -> str:
        return "; ".join(self.evidence)


def parse_flag(value: str | int | None) -> bool | None:
    """``1`` -> True, ``0`` -> False, anything else (absent, garbage) -> None."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    return True if text == "1" else False if text == "0" else None


@dataclass(frozen=True)
class TdmRule:
    location: str
    reserved: str | int | None
    policy: str | None

    def matches(self, path: str) -> bool:
        return _compile(_normalize(self.location)).match(path) is not None


@dataclass
class TdmRepFile:
    """A host's parsed ``tdmrep.json``; ``source`` says how the answer was backed and
    ``failure`` why it could not be fetched (then the cache asks again sooner)."""

    rules: list[TdmRule] = field(default_factory=list)
    source: str = "absent"
    failure: str | None = None

    @classmethod
    def parse(cls, body: bytes, source: str) -> TdmRepFile:
        try:
            data = json.loads(body.decode("utf-8-sig", "replace"))
        except ValueError as exc:
            return cls(source=f"{source}: unparseable JSON ({exc})"[:200])
        if not isinstance(data, list):
            return cls(source=f"{source}: not a JSON array")
        rules = []
        for item in data[:MAX_RULES]:
            if isinstance(item, dict) and isinstance(item.get("location"), str):
                policy = item.get("tdm-policy")
                rules.append(TdmRule(item["location"].strip() or "/", item.get("tdm-reservation"),
                                     policy if isinstance(policy, str) else None))
        return cls(rules, source=f"{source}: {len(rules)} rules")

    def rule_for(self, path: str) -> TdmRule | None:
        """The first rule whose location matches ``path`` (path plus query)."""
        path = _normalize(path or "/")
        return next((r for r in self.rules if r.matches(path)), None)

    def check(self, url: str, verdict: TdmVerdict) -> None:
        """Fold this file's answer for ``url`` into ``verdict``."""
        parts = urlsplit(url)
        self.check_path((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), verdict)

    def check_path(self, path: str, verdict: TdmVerdict) -> None:
        """:meth:`check` for ``path`` (path and query) of a URL already split."""
        rule = self.rule_for(path)
        if rule is None:
            verdict.note(f"tdmrep.json: no rule for {path} ({self.source})")
        else:
            verdict.add(f"tdmrep.json {rule.location!r}", rule.reserved, rule.policy)


HEADER_SOURCE = "header tdm-reservation"
# what header_verdict adds when neither header is there: this line, and no change to the verdict
HEADERS_ABSENT_LINE = f"{HEADER_SOURCE}: absent"


def header_verdict(verdict: TdmVerdict, reservation: str | None, policy: str | None) -> None:
    """Fold the ``tdm-reservation``/``tdm-policy`` HTTP headers into ``verdict``."""
    verdict.add(HEADER_SOURCE, reservation.strip() if reservation else None, policy)


def meta_verdict(verdict: TdmVerdict, metas: list[tuple[str, str]]) -> None:
    """Fold a page's ``<meta name="tdm-reservation">``/``tdm-policy`` into ``verdict``."""
    values = {name.strip().lower(): content.strip() for name, content in metas
              if name and name.strip().lower() in ("tdm-reservation", "tdm-policy")}
    if "tdm-reservation" in values:
        verdict.add("meta tdm-reservation", values["tdm-reservation"], values.get("tdm-policy"))


def _normalize(text: str) -> str:
    # one percent-encoding form on both sides; '*' and '$' keep their meaning
    return quote(unquote(text), safe="/*$?=&;:@!,'()+%~-._")


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    # runs of '*' collapse to one, so a pattern cannot make the match backtrack per star
    parts = [re.escape(p) for p in re.split(r"\*+", body)]
    return re.compile(".*?".join(parts) + ("$" if anchored else ""), re.DOTALL)
