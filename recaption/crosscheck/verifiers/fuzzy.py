"""Fuzzy matching of claimed text against text read from an image or found in an alt-text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import SequenceMatcher

_NOT_ALNUM = re.compile(r"[\W_]+")


def normalize_text(text: str) -> str:
    """Case-folded letters and digits only: OCR often drops or adds spaces and punctuation."""
    return _NOT_ALNUM.sub("", text.casefold())


def partial_ratio(needle: str, haystack: str) -> float:
    """Best similarity (0..1) of ``needle`` with any same-length window of ``haystack``."""
    if not needle:
        return 0.0
    if not haystack:
        return 0.0
    if needle in haystack:
        return 1.0
    if len(haystack) <= len(needle):
        return SequenceMatcher(None, needle, haystack).ratio()
    best = 0.0
    width = len(needle)
    for start in range(0, len(haystack) - width + 1):
        r = SequenceMatcher(None, needle, haystack[start:start + width]).ratio()
        if r > best:
            best = r
            if best == 1.0:
                break
    return best


def text_support(claimed: str, readings: Iterable[str]) -> float:
    """How well ``claimed`` text is found among ``readings`` (each line, and all of them joined)."""
    needle = normalize_text(claimed)
    lines = [normalize_text(r) for r in readings]
    candidates = [*lines, "".join(lines)]
    return max((partial_ratio(needle, c) for c in candidates), default=0.0)
