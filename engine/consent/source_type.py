"""IPTC Digital Source Type codes (https://cv.iptc.org/newscodes/digitalsourcetype/), as used
by ``Iptc4xmpExt:DigitalSourceType`` in XMP and by C2PA actions."""

from __future__ import annotations

# made by a trained model, wholly or in part, or by an algorithm with no captured source
AI_SOURCE_TYPES = frozenset({
    "trainedalgorithmicmedia",
    "compositewithtrainedalgorithmicmedia",
    "algorithmicmedia",
})


def source_type_code(value: str) -> str:
    """The code of a Digital Source Type value (a URI or a bare code), lower-cased."""
    return value.strip().rstrip("/").rsplit("/", 1)[-1].lower()
