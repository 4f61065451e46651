"""URL checks of the fetcher: what may be requested, and where a redirect may lead.

Host names are converted with UTS #46 / IDNA 2008 (the ``idna`` package), as registries and
browsers do, not with Python's IDNA 2003 codec (which maps ``faß.de`` to ``fass.de``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

import idna

from engine.fetch.resolve import FetchError

MAX_URL_CHARS = 8192
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
# True when quote(text, safe=_SAFE_PATH) could change text (the query's "?" included, which
# the query keeps too): a regex test is cheaper than quote() on the common all-safe path.
_NEEDS_QUOTE = re.compile(r"[^A-Za-z0-9/%:@!$&'()*+,;=\-._~?]").search


@dataclass(frozen=True)
class CheckedUrl:
    """The parts of a URL that passed :func:`check_url`; ``target`` is the encoded request
    target (path and query); ``origin`` (scheme://netloc) and ``path`` (path and query, as
    written) are what robots.txt and tdmrep.json are looked up and matched with."""

    scheme: str
    host: str
    port: int
    target: str
    origin: str
    path: str


def ascii_host(host: str) -> str:
    """``host`` as an ASCII name: UTS #46 mapping, then IDNA 2008 (A-labels)."""
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise FetchError("bad_url", f"host {host!r}: {exc}") from None


def check_url(url: str) -> CheckedUrl:
    """Refuses what must never be requested: no http(s) scheme (``bad_scheme``), credentials
    (``credentials_in_url``), a malformed URL, host or port (``bad_url``)."""
    if len(url) > MAX_URL_CHARS:
        raise FetchError("bad_url", f"URL longer than {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError("bad_scheme", f"scheme {scheme or '(none)'!r} is not http or https")
        if "@" in parts.netloc:  # what makes urlsplit's username or password not None
            raise FetchError("credentials_in_url", "URLs with user:password@ are refused")
        host = ascii_host(parts.hostname or "")
        if not host:
            raise FetchError("bad_url", "no host")
        path = parts.path or "/"
        target = quote(path, safe=_SAFE_PATH) if _NEEDS_QUOTE(path) else path
        if parts.query:
            path += "?" + parts.query
            query = parts.query
            target += "?" + (quote(query, safe=_SAFE_PATH + "?") if _NEEDS_QUOTE(query) else query)
    except ValueError as exc:  # UnicodeError (a lone surrogate) included
        raise FetchError("bad_url", f"{type(exc).__name__}: {exc}"[:300]) from None
    return CheckedUrl(scheme, host, port or (443 if scheme == "https" else 80), target,
                      f"{parts.scheme}://{parts.netloc}", path)


def redirect_url(current: str, location: str) -> str:
    """The URL a redirect from ``current`` to ``location`` leads to, checked: ``bad_redirect``
    when it does not parse, ``insecure_redirect`` when https would become http. The scheme
    judged is the one parsed (``urlsplit`` drops tabs and newlines that a raw-string test would
    let through)."""
    try:
        joined = urljoin(current, location)
        check_url(joined)
    except FetchError as exc:
        if exc.reason == "bad_url":
            raise FetchError("bad_redirect", f"Location {location[:200]!r}: {exc.detail}") from None
        raise
    except ValueError as exc:
        raise FetchError("bad_redirect", f"Location {location[:200]!r}: {exc}") from None
    was, now = urlsplit(current).scheme.lower(), urlsplit(joined).scheme.lower()
    if was == "https" and now != "https":
        raise FetchError("insecure_redirect", f"https redirected to {joined}")
    return joined
