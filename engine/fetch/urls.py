"""URL checks of the fetcher: what may be requested, and where a redirect may lead.

Host names are converted with UTS #46 / IDNA 2008 (the ``idna`` package), as registries and
browsers do, not with Python's IDNA 2003 codec (which maps ``faß.de`` to ``fass.de``).
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import quote, urljoin, urlsplit

import idna

from engine.fetch.resolve import FetchError

MAX_URL_CHARS = 8192
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
# True when quote(text, safe=_SAFE_PATH) could change text (the query's "?" included, which
# the query keeps too): a regex test is cheaper than quote() on the common all-safe path.
_NEEDS_QUOTE = re.compile(r"[^A-Za-z0-9/%:@!$&'()*+,;=\-._~?]").search
# A URL of printable ASCII with an authority (nothing that strip() or urlsplit would remove),
# split exactly where urlsplit splits it: (scheme://netloc, path, query); the fragment dropped.
_PLAIN_URL = re.compile(
    r"(?=[!-~]*\Z)([A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?").fullmatch
# scheme://netloc -> (scheme, host, port, origin) of a checked URL, so that the netloc (port,
# credentials, IDNA) is checked once per origin, not per URL: O(1) per URL, at most
# MAX_ORIGINS entries (a few hundred bytes each) per process.
MAX_ORIGINS = 10_000
_ORIGINS: dict[str, tuple[str, str, int, str]] = {}


class CheckedUrl(NamedTuple):
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
    plain = _PLAIN_URL(url)
    if plain is None:
        return _check_split(url)
    # The common case: the same answer as _check_split, the netloc judged once per origin
    # (a netloc that fails is judged again with the whole URL, for the same error).
    scheme_netloc, path, query = plain.groups()
    origin = _ORIGINS.get(scheme_netloc)
    if origin is None:
        try:
            checked = _check_split(scheme_netloc)
        except FetchError:
            return _check_split(url)
        origin = checked.scheme, checked.host, checked.port, checked.origin
        if len(_ORIGINS) >= MAX_ORIGINS:
            _ORIGINS.clear()  # bounded memory; a miss costs one full check
        _ORIGINS[scheme_netloc] = origin
    scheme, host, port, origin_text = origin
    path, target = _path_and_target(path, query)
    return CheckedUrl(scheme, host, port, target, origin_text, path)


def _check_split(url: str) -> CheckedUrl:
    """:func:`check_url` for any URL, with urlsplit."""
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
        path, target = _path_and_target(parts.path, parts.query)
    except ValueError as exc:  # UnicodeError (a lone surrogate) included
        raise FetchError("bad_url", f"{type(exc).__name__}: {exc}"[:300]) from None
    return CheckedUrl(scheme, host, port or (443 if scheme == "https" else 80), target,
                      f"{parts.scheme}://{parts.netloc}", path)


def _path_and_target(path: str, query: str | None) -> tuple[str, str]:
    """(path and query as written, the encoded request target) of a URL's path and query."""
    path = path or "/"
    target = quote(path, safe=_SAFE_PATH) if _NEEDS_QUOTE(path) else path
    if query:
        path += "?" + query
        target += "?" + (quote(query, safe=_SAFE_PATH + "?") if _NEEDS_QUOTE(query) else query)
    return path, target


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
