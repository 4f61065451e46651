"""What a record stores about rights: one dict per image (a pair, or a document's image) and
one per document, built from the parsers of this package.

Image: ``license`` (id or None), ``ai_generated`` (True/False/None), ``data_mining`` (PLUS
code or None), ``data_mining_prohibited``, ``tdm`` (the TDMRep lines checked) and
``evidence`` (raw XMP values, C2PA finding, where the licence came from).
Licence precedence: the image's own XMP, then a ``Link rel=license`` header on the image, then
an HTML statement about that image, then the page's licence (``license_from`` says which).
"""

from __future__ import annotations

import json

from engine.consent.html_rights import page_rights
from engine.consent.image_rights import ImageRights
from engine.consent.licenses import normalize_license
from engine.consent.tdmrep import TdmVerdict, header_verdict


def image_record(rights: ImageRights, extra: dict | None = None,
                 html_license: tuple[str, str] | None = None,
                 page_license: str | None = None) -> dict:
    """The rights dict of one image: ``rights`` from its bytes, ``extra`` from its fetch
    (``FetchResult.extra``), ``html_license`` (id, evidence) from the page about this image,
    ``page_license`` the page's own."""
    extra = extra or {}
    evidence = dict(rights.evidence)
    license_id = rights.license
    if license_id is None and extra.get("link_license"):
        license_id = normalize_license(extra["link_license"])
        evidence["license_from"] = "Link rel=license header"
        evidence["link_license"] = extra["link_license"]
    if license_id is None and html_license:
        license_id, evidence["license_from"] = html_license
    if license_id is None and page_license:
        license_id, evidence["license_from"] = page_license, "page licence"
    return {
        "license": license_id,
        "ai_generated": rights.ai_generated,
        "data_mining": rights.data_mining,
        "data_mining_prohibited": rights.data_mining_prohibited,
        "tdm": extra.get("tdm"),
        "tdm_reserved": extra.get("tdm_reserved"),
        "evidence": evidence,
    }


def document_rights(html: bytes | None, url: str | None, rights_headers: str | None,
                    image_urls: list[str | None]) -> tuple[dict, list[tuple[str, str] | None]]:
    """(the document's rights dict, per position the HTML licence of its image or None).

    The document's: ``license`` and ``license_evidence`` (page statements), ``tdm`` (TDMRep
    lines: the page's HTTP headers as archived, its meta tags) and ``tdm_reserved``.
    """
    headers = json.loads(rights_headers) if rights_headers else {}
    verdict = TdmVerdict()
    header_verdict(verdict, headers.get("tdm-reservation"), headers.get("tdm-policy"))
    page = page_rights(html or b"", url, tdm=verdict)  # adds the meta tags to the verdict
    license_id, evidence = page.license, list(page.evidence)
    for link in headers.get("license", []):
        evidence.append(f"Link rel=license header: {link}")
        license_id = license_id or normalize_license(link)
    doc = {"license": license_id, "license_evidence": evidence, "tdm": verdict.text(),
           "tdm_reserved": verdict.reserved, "tdm_policy": verdict.policy}
    per_image = [page.image_licenses.get(u) if u else None for u in image_urls]
    return doc, per_image
