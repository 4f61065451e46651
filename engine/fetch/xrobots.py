"""X-Robots-Tag: the per-response opt-out header.

A response may carry several headers, each a comma-separated list of directives, optionally
scoped to one crawler with a ``token: directive`` prefix (``loomery: noai, noimageai``). A scope
runs until the next scope prefix. Directives that themselves hold a colon (``unavailable_after:
DATE``, ``max-snippet: 0``) are not mistaken for scopes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

OPT_OUT = ("noai", "noimageai", "noindex", "noimageindex", "none")
_VALUED = {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}


@dataclass(frozen=True)
class XRobotsVerdict:
    """``blocked`` when a directive in ``block`` applies to us; ``matched`` lists them."""

    blocked: bool
    matched: tuple[str, ...]


def parse(values: Iterable[str]) -> list[tuple[str | None, str]]:
    """(scope token or None, directive) pairs, lowercased, from the header values."""
    out: list[tuple[str | None, str]] = []
    for value in values:
        scope: str | None = None
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            head, sep, rest = part.partition(":")
            head = head.strip().lower()
            if sep and head not in _VALUED and " " not in head:
                scope = head
                part = rest.strip()
                if not part:
                    continue
            out.append((scope, part.lower()))
    return out


def verdict(values: Iterable[str], token: str, block: Iterable[str] = OPT_OUT) -> XRobotsVerdict:
    """Whether the headers opt this response out for the crawler named ``token``."""
    token = token.lower()
    block = {b.lower() for b in block}
    matched = []
    for scope, directive in parse(values):
        if scope not in (None, "*", token):
            continue
        name = directive.split(":", 1)[0].strip()
        if name in block:
            matched.append(directive if scope is None else f"{scope}: {directive}")
    return XRobotsVerdict(bool(matched), tuple(matched))
