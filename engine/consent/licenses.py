"""Licence statements -> one lower-case SPDX-style id (``cc-by-4.0``, ``cc0-1.0``, ...).

Rules follow the structure of the licences' own URLs and names, not a list of sites:

- Creative Commons URLs: ``/licenses/{by|by-sa|by-nc|by-nd|by-nc-sa|by-nc-nd}/{version}/
  [{jurisdiction}/]`` -> ``cc-by-sa-4.0`` (``cc-by-3.0-de`` for a ported licence);
  ``/publicdomain/zero/1.0/`` -> ``cc0-1.0``; ``/publicdomain/mark/1.0/`` -> ``pdm-1.0``
  (the Public Domain Mark, which SPDX does not list).
- Creative Commons names: "CC BY-SA 4.0", "CC-BY-NC-4.0", "Creative Commons
  Attribution-NonCommercial-ShareAlike 4.0 International", "CC0 1.0", "CC0".
- Licence URLs whose last path part is already an id (``/licenses/MIT``, ``/licenses/gpl-3.0``)
  on a path naming licences.
- Anything else that reads as a licence statement is ``other`` (the raw text is kept as evidence).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_CC_PARTS = {"by", "sa", "nc", "nd"}
_CC_ORDER = ("by", "nc", "nd", "sa")  # SPDX spells them by-nc-sa, by-nc-nd
_VERSION = re.compile(r"^\d+(\.\d+)?$")
_WORDS = {
    "attribution": "by",
    "sharealike": "sa",
    "share-alike": "sa",
    "noncommercial": "nc",
    "non-commercial": "nc",
    "noderivatives": "nd",
    "noderivs": "nd",
    "no-derivatives": "nd",
}
_ID_CHARS = re.compile(r"^[a-z0-9][a-z0-9.+-]{1,40}$")
PUBLIC_DOMAIN_MARK = "pdm-1.0"


def normalize_license(value: str | None) -> str | None:
    """The licence id that ``value`` (a URL or a statement) names, ``other`` for a statement
    that names none we can read, None for an empty value."""
    text = (value or "").strip()
    if not text:
        return None
    if "://" in text or text.startswith("//"):
        found = _from_url(text)
        if found:
            return found
    return _from_text(text) or "other"


def _cc_id(parts: list[str], version: str | None, jurisdiction: str | None = None) -> str:
    kinds = sorted(set(parts), key=_CC_ORDER.index)
    name = "cc-" + "-".join(kinds)
    if version:
        name += f"-{version if '.' in version else version + '.0'}"
    if jurisdiction:
        name += f"-{jurisdiction}"
    return name


def _from_url(url: str) -> str | None:
    try:
        parts = urlsplit(url if "://" in url else "https:" + url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    segments = [s.lower() for s in parts.path.split("/") if s]
    if host == "creativecommons.org" or host.endswith(".creativecommons.org"):
        return _from_cc_path(segments)
    # a licence URL elsewhere: /licenses/<id>[.html|/]
    for i, seg in enumerate(segments[:-1]):
        if seg in ("licenses", "licences", "license", "licence"):
            last = re.sub(r"\.(html?|txt|php)$", "", segments[i + 1])
            if _ID_CHARS.match(last):
                return last
    return None


def _from_cc_path(segments: list[str]) -> str | None:
    if len(segments) >= 2 and segments[0] == "publicdomain":
        version = segments[2] if len(segments) > 2 and _VERSION.match(segments[2]) else "1.0"
        if segments[1] == "zero":
            return f"cc0-{version}"
        if segments[1] == "mark":
            return PUBLIC_DOMAIN_MARK
        return "public-domain"
    if len(segments) >= 2 and segments[0] == "licenses":
        kinds = segments[1].split("-")
        if kinds and kinds[0] == "by" and set(kinds) <= _CC_PARTS:
            version = segments[2] if len(segments) > 2 and _VERSION.match(segments[2]) else None
            rest = segments[3] if version and len(segments) > 3 else None
            jurisdiction = rest if rest and re.fullmatch(r"[a-z]{2,3}", rest) else None
            return _cc_id(kinds, version, jurisdiction)
        if segments[1] in ("publicdomain", "mark"):
            return PUBLIC_DOMAIN_MARK
    return None


def _from_text(text: str) -> str | None:
    low = text.lower()
    version = re.search(r"\b(\d+\.\d+)\b", low)
    ver = version.group(1) if version else None
    if re.search(r"\bcc[\s-]?0\b|\bcc[\s-]?zero\b|creative commons zero", low):
        return f"cc0-{ver or '1.0'}"
    if "public domain mark" in low:
        return PUBLIC_DOMAIN_MARK
    abbreviated = re.search(r"\bcc[\s-]+(by(?:[\s-]+(?:sa|nc|nd))*)\b", low)
    if abbreviated:
        kinds = re.split(r"[\s-]+", abbreviated.group(1))
        return _cc_id(kinds, ver)
    if "creative commons" in low:
        words = re.findall(r"[a-z-]+", low.replace("creative commons", " "))
        kinds = {_WORDS[w] for w in words if w in _WORDS}
        for w in words:  # "attribution-noncommercial-sharealike" arrives as one word
            kinds.update(_WORDS[p] for p in w.split("-") if p in _WORDS)
        if "by" in kinds:
            return _cc_id(sorted(kinds), ver)
        return "cc-unknown"
    if re.search(r"\bpublic domain\b", low):
        return "public-domain"
    return None
