"""Bytes -> text for HTML pages whose declared charset may be missing, wrong or invalid."""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    # browsers read latin-1 labels as windows-1252 (WHATWG Encoding), which maps 0x80-0x9f
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode ``data``; return (text, how) where ``how`` names the charset used and where from.

    Order: byte-order mark, HTTP Content-Type charset, ``<meta charset>``, strict UTF-8, then
    charset detection; bytes invalid in the chosen charset are replaced, never fatal.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), f"{name} (bom)"
    declared = []
    if found := _HEADER_CHARSET.search(content_type or ""):
        declared.append((found.group(1), "header"))
    if found := _META_CHARSET.search(data[:4096]):
        declared.append((found.group(1).decode("ascii", "replace"), "meta"))
    for label, where in declared:
        codec = _codec(label)
        if codec:
            try:
                return data.decode(codec), f"{codec} ({where})"
            except UnicodeDecodeError:
                if codec != "utf-8":  # a wrong utf-8 label: try detection below instead
                    return data.decode(codec, errors="replace"), f"{codec} ({where}, replaced)"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    codec = _codec(best.encoding) if best is not None else None
    if codec:
        return data.decode(codec, errors="replace"), f"{codec} (detected)"
    return data.decode("utf-8", errors="replace"), "utf-8 (replaced)"
