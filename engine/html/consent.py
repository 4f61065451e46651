"""Page-level consent signals: robots ``<meta>`` tags and the ``X-Robots-Tag`` HTTP header.

Directives are collected for the generic robots and for named user agents; :class:`Consent`
says whether a page may be used for AI training (``noai``) and whether its images may
(``noimageai``), with the evidence that decided it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from engine.fetch import xrobots

# agents whose directives bind us: the generic one and the AI crawler names we answer to
DEFAULT_AGENTS = ("robots", "*", "loomery", "ccbot")
NO_AI = {"noai", "none"}
NO_IMAGE_AI = {"noimageai", "noai", "none"}


@dataclass
class Consent:
    """Directives found on a page, by source, and the decision they imply."""

    meta: list[str] = field(default_factory=list)  # e.g. "robots: noai, noimageai"
    header: list[str] = field(default_factory=list)  # X-Robots-Tag values as sent
    directives: list[str] = field(default_factory=list)  # the binding ones, lowercased

    @property
    def noai(self) -> bool:
        return bool(NO_AI & set(self.directives))

    @property
    def noimageai(self) -> bool:
        return bool(NO_IMAGE_AI & set(self.directives))

    def to_dict(self) -> dict:
        return {**asdict(self), "noai": self.noai, "noimageai": self.noimageai}


def _split(content: str) -> list[str]:
    return [d.strip().lower() for d in content.replace(";", ",").split(",") if d.strip()]


def parse_robots_meta(
    metas: list[tuple[str, str]], agents: tuple[str, ...] = DEFAULT_AGENTS
) -> tuple[list[str], list[str]]:
    """From (name, content) pairs of ``<meta>`` tags, return (evidence lines, binding directives).

    ``<meta name="robots">`` binds every agent; ``<meta name="ccbot">`` and the like bind the
    agents named in ``agents``.
    """
    evidence, directives = [], []
    for name, content in metas:
        name = (name or "").strip().lower()
        if name == "robots" or name in agents:
            evidence.append(f"{name}: {content.strip()}")
            directives.extend(_split(content))
    return evidence, directives


def parse_x_robots_tag(
    values: list[str], agents: tuple[str, ...] = DEFAULT_AGENTS
) -> list[str]:
    """Binding directives of X-Robots-Tag header values (``noai``, or ``ccbot: noai``), read by
    the fetcher's parser (:mod:`engine.fetch.xrobots`) so that both paths agree: a scope
    prefix binds the directives after it up to the next prefix."""
    return [
        name
        for scope, directive in xrobots.parse(values)
        if scope is None or scope in agents
        for name in _split(directive)
    ]


def page_consent(metas: list[tuple[str, str]], x_robots_tag: str | None) -> Consent:
    """The consent of a page from its ``<meta>`` tags and its X-Robots-Tag header (lines)."""
    evidence, directives = parse_robots_meta(metas)
    header = [v for v in (x_robots_tag or "").split("\n") if v.strip()]
    directives += parse_x_robots_tag(header)
    return Consent(meta=evidence, header=header, directives=sorted(set(directives)))
