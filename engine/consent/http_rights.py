"""Rights signals in HTTP response headers: TDMRep's ``tdm-reservation``/``tdm-policy`` and a
``Link: <URL>; rel="license"`` (RFC 8288 registers the ``license`` relation)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_REL = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))""", re.I)


def license_links(values: Iterable[str]) -> list[str]:
    """The targets of ``Link`` header values whose relation includes ``license``."""
    found = []
    for value in values:
        for target, params in _LINK.findall(value or ""):
            rel = _REL.search(params)
            rels = (rel.group(1) or rel.group(2) or "").lower().split() if rel else []
            if "license" in rels and target.strip():
                found.append(target.strip())
    return found


def rights_headers(headers: Iterable[tuple[str, str]]) -> str | None:
    """The rights-related headers of a response as a JSON object (None when there are none):
    ``tdm-reservation``, ``tdm-policy`` (first values) and ``license`` (Link targets)."""
    out: dict = {}
    links = []
    for name, value in headers:
        low = name.strip().lower()
        if low in ("tdm-reservation", "tdm-policy") and low not in out:
            out[low] = value.strip()
        elif low == "link":
            links.append(value)
    licenses = license_links(links)
    if licenses:
        out["license"] = licenses
    return json.dumps(out, sort_keys=True) if out else None
