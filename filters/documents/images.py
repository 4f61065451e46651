"""Node-level image filters for documents: drop an image from its position, keep the document.

An image is removed when its URL looks like page furniture (logo, icon, avatar, button, tracking
pixel, spacer, ad), is a ``data:`` URI, has a format outside the allowlist (judged by the
extension; URLs without one pass, since the fetcher checks the real format), or declares a width
or height below the minimum. The reason goes to ``metadata.removed_images``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pyarrow as pa

from engine.stage import Filter
from filters.documents.positions import apply_removals, image_positions

FURNITURE = re.compile(
    r"(?:^|[/_.\-=?&])(logo|logos|icon|icons|favicon|avatar|avatars|gravatar|button|btn|badge"
    r"|sprite|pixel|spacer|blank|transparent|1x1|tracking|tracker|beacon|ads?|adserver|banner"
    r"|doubleclick|emoji|smiley|social|share|feed)(?=$|[/_.\-=?&\d])",
    re.I,
)
ALLOWED_FORMATS = ("jpg", "jpeg", "png", "webp", "gif", "avif", "bmp", "tif", "tiff")
_EXT = re.compile(r"\.([A-Za-z0-9]{2,5})$")


def image_reason(url: str, width: int | None, height: int | None, min_side: int,
                 formats: tuple[str, ...]) -> tuple[str, str] | None:
    """Why an image of a document should be dropped, as (reason, detail), or None to keep it."""
    if url.startswith("data:"):
        return "data_uri", url[:40]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "unsupported_scheme", parts.scheme
    path = parts.path.lower()
    if match := FURNITURE.search(path + ("?" + parts.query.lower() if parts.query else "")):
        return "url_pattern", match.group(1)
    if (ext := _EXT.search(path)) and ext.group(1).lower() not in formats:
        return "format", ext.group(1).lower()
    for side, value in (("width", width), ("height", height)):
        if value is not None and value < min_side:
            return "declared_too_small", f"{side}={value}<{min_side}"
    return None


class DocImageFilter(Filter):
    """Remove furniture, ``data:``, wrong-format and declared-tiny images from documents.

    A node-level filter: it never rejects a document, it removes images from their positions with
    a reason in ``metadata.removed_images`` (see :mod:`filters.documents.positions`).
    """

    name = "doc_images"

    def __init__(self, *, min_side: int = 100, formats: tuple[str, ...] = ALLOWED_FORMATS,
                 **kwargs):
        super().__init__(**kwargs)
        self.min_side = min_side
        self.formats = tuple(formats)

    def decide(self, row: dict) -> dict[int, tuple[str, str | None]]:
        """Positions of ``row`` to remove, with (reason, detail)."""
        out = {}
        for pos in image_positions(row):
            widths, heights = row["image_widths"] or [], row["image_heights"] or []
            reason = image_reason(row["image_urls"][pos], widths[pos] if widths else None,
                                  heights[pos] if heights else None, self.min_side, self.formats)
            if reason:
                out[pos] = reason
        return out

    def __call__(self, batch: pa.Table) -> pa.Table:
        return self.verdict(apply_removals(batch, self.decide, self.name), [None] * batch.num_rows)
