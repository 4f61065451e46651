"""The checks of an answer, in one place: its head (status, consent headers, Content-Type) and
its body (format by magic bytes, pixel count from the header).

Response-header consent checks (X-Robots-Tag today) live in :func:`check_head`; a new opt-out
header belongs next to them.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.fetch import sniff
from engine.fetch.policy import FetchPolicy, FetchResult
from engine.fetch.politeness import parse_retry_after
from engine.fetch.resolve import FetchError
from engine.fetch.xrobots import verdict as x_robots_verdict

_OK_CONTENT_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")


def status_reason(status: int) -> str:
    """The reject reason for a non-2xx final status."""
    if status in (403, 404, 410, 429, 503):
        return f"http_{status}"
    if 400 <= status < 500:
        return "http_4xx"
    if status >= 500:
        return "http_5xx"
    return "http_3xx" if 300 <= status < 400 else f"http_{status}"


def check_head(headers: Mapping, status: int, result: FetchResult, policy: FetchPolicy,
               robots_mode: bool) -> None:
    """Records the consent evidence and Content-Type in ``result``; raises ``FetchError`` for a
    non-2xx status (with its Retry-After), an opt-out, or a Content-Type that is no image.
    ``headers`` is a case-insensitive multi-dict (``getall``)."""
    tags = headers.getall("X-Robots-Tag", None)
    result.x_robots_tag = (" | ".join(tags) or None) if tags else None
    result.content_type = headers.get("Content-Type")
    if status >= 300 or status < 200:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        raise FetchError(status_reason(status), f"HTTP {status}", retry_after)
    if robots_mode:
        return
    if policy.respect_x_robots and tags:
        xr = x_robots_verdict(tags, policy.robots_token, policy.x_robots_block)
        if xr.blocked:
            raise FetchError("x_robots_tag", "opted out: " + ", ".join(xr.matched))
    raw = result.content_type
    if raw is None or raw.startswith("image/") or policy.expect != "image" or not policy.check_content_type:
        return  # absent (the body's magic bytes decide), or plainly an image, or not checked
    ctype = raw.split(";")[0].strip().lower()
    if ctype and not ctype.startswith(_OK_CONTENT_TYPES):
        raise FetchError("content_type", f"Content-Type {ctype!r} is not an image")


def check_image(result: FetchResult, policy: FetchPolicy) -> None:
    """The body must be an allowed format whose header gives at most ``max_pixels`` pixels."""
    body = result.content or b""
    # the common case first, without the general sniff
    fmt = "jpeg" if body.startswith(b"\xff\xd8\xff") else sniff.sniff_format(body)
    if fmt is None or fmt not in policy.formats:
        allowed = ", ".join(policy.formats)
        raise FetchError("unsupported_format", f"body is {fmt or 'unknown'}, not {allowed}")
    result.image_format = fmt
    result.width, result.height = sniff.header_size(body, policy.max_pixels, fmt)
