"""The rights of a document's fetched images, stored per position in
``metadata.image_info[i].rights`` (it stays parallel to the positions through every removal).

Called by the document fetch stage with what each image's ORIGINAL bytes said (read before
resizing) and what its fetch saw; the page's statements about that image (``html_license``,
set at extraction) and the page's own licence fill in where the image says nothing.
"""

from __future__ import annotations

import json

from engine.consent.image_rights import ImageRights, image_rights
from engine.consent.record import image_record


def read_image_rights(original: bytes) -> ImageRights:
    """What the image's own bytes say: XMP fields and any C2PA manifest."""
    return image_rights(original)


def annotate(row: dict, placed: dict[int, tuple[ImageRights, dict]]) -> None:
    """Write ``rights`` into ``row``'s ``metadata.image_info`` for the positions in ``placed``
    (position -> (rights from the bytes, the fetch result's ``extra``)). Edits ``row``."""
    if not placed:
        return
    meta = json.loads(row["metadata"] or "{}")
    info = meta.get("image_info") or [None] * len(row["texts"])
    page_license = (meta.get("rights") or {}).get("license")
    for p, (rights, extra) in placed.items():
        entry = dict(info[p] or {})
        html = entry.get("html_license")
        entry["rights"] = image_record(rights, extra, tuple(html) if html else None, page_license)
        info[p] = entry
    meta["image_info"] = info
    row["metadata"] = json.dumps(meta, ensure_ascii=False, sort_keys=True)
