"""The extraction stage's hook: a document's rights from its page, before the HTML is dropped.

Sets ``metadata.rights`` (licence and TDMRep of the page, see :func:`document_rights`) and, per
image position, ``image_info[i].html_license`` (id, evidence) where the page states one for
that image.
"""

from __future__ import annotations

from engine.consent.record import document_rights


def add_page_rights(meta: dict, html: bytes | None, url: str | None,
                    rights_headers: str | None, image_urls: list[str | None]) -> None:
    """Fill ``meta`` (a document's metadata dict, with ``image_info`` parallel to
    ``image_urls``) from the page ``html`` and its archived rights headers."""
    doc, per_image = document_rights(html, url, rights_headers, image_urls)
    meta["rights"] = doc
    info = meta.get("image_info") or []
    for p, found in enumerate(per_image):
        if found and p < len(info) and info[p] is not None:
            info[p]["html_license"] = list(found)
