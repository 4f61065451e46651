"""Licence statements and the TDMRep meta tags of an HTML page, for the page and its images.

Read: ``<link rel="license">`` and ``<a rel="license">`` (an anchor inside a ``<figure>`` that
holds an image licenses that image, elsewhere the page), schema.org ``license`` in JSON-LD (the
page's object, and ``ImageObject``s by their ``contentUrl``/``url``) and in microdata
(``itemprop="license"``, scoped to an ``ImageObject`` item when inside one), and
``<meta name="tdm-reservation">``/``tdm-policy``.

JSON-LD and microdata are read with lxml and ``json`` rather than a structured-data library
(extruct): only one property is wanted, and extruct would bring six dependencies for it.
Cost: one lxml parse of the page (the extractor's own parse is trafilatura's, in another module
that rewrites its tree) and one pass over its elements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from engine.consent.licenses import normalize_license
from engine.consent.tdmrep import TdmVerdict, meta_verdict

MAX_JSONLD_BYTES = 1 << 20
MAX_DEPTH = 12


@dataclass
class PageRights:
    """``license`` of the page (an id) with ``evidence`` lines; ``image_licenses`` maps an
    absolute image URL to (id, evidence); ``tdm`` is the meta-tag TDMRep verdict."""

    license: str | None = None
    evidence: list[str] = field(default_factory=list)
    image_licenses: dict[str, tuple[str, str]] = field(default_factory=dict)
    tdm: TdmVerdict = field(default_factory=TdmVerdict)

    def set_page(self, value: str | None, where: str) -> None:
        found = normalize_license(value)
        if not found:
            return
        self.evidence.append(f"{where}: {value.strip()[:300]}")
        if self.license is None or (self.license == "other" and found != "other"):
            self.license = found

    def set_image(self, url: str | None, value: str | None, where: str) -> None:
        found = normalize_license(value)
        if url and found and url not in self.image_licenses:
            self.image_licenses[url] = (found, f"{where}: {value.strip()[:300]}")


def page_rights(html: bytes | str, url: str | None, tdm: TdmVerdict | None = None) -> PageRights:
    """Licences and TDMRep meta tags of the page ``html`` found at ``url``; the meta tags are
    folded into ``tdm`` when given (a verdict holding the page's other sources)."""
    out = PageRights(tdm=tdm if tdm is not None else TdmVerdict())
    if not html:
        return out
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return out
    base = url or ""
    metas = [(m.get("name") or "", m.get("content") or "") for m in root.iter("meta")]
    meta_verdict(out.tdm, metas)
    for el in root.iter("link", "a", "area"):
        if "license" in (el.get("rel") or "").lower().split():
            _rel_license(out, el, base)
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json":
            _jsonld(out, script.text or "", base)
    for el in root.xpath("//*[@itemprop]"):
        if "license" in el.get("itemprop", "").split():
            _microdata(out, el, base)
    return out


def _rel_license(out: PageRights, el, base: str) -> None:
    value = el.get("href") or "".join(el.itertext())
    figure = next((a for a in el.iterancestors("figure")), None)
    images = figure.xpath(".//img[@src]") if figure is not None else []
    if images:
        for img in images:
            out.set_image(urljoin(base, img.get("src").strip()), value,
                          f"{el.tag}[rel=license] in figure")
    else:
        out.set_page(value, f"{el.tag}[rel=license]")


def _jsonld(out: PageRights, text: str, base: str) -> None:
    if len(text) > MAX_JSONLD_BYTES:
        return
    try:
        data = json.loads(text)
    except ValueError:
        return
    _walk(out, data, base, 0, top=True)


def _walk(out: PageRights, node, base: str, depth: int, top: bool) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            _walk(out, item, base, depth + 1, top)
        return
    if not isinstance(node, dict):
        return
    kinds = node.get("@type")
    kinds = {str(k) for k in kinds} if isinstance(kinds, list) else {str(kinds)}
    license_value = _license_text(node.get("license"))
    if "ImageObject" in kinds:
        target = node.get("contentUrl") or node.get("url")
        if isinstance(target, str) and license_value:
            out.set_image(urljoin(base, target.strip()), license_value, "json-ld ImageObject license")
    elif license_value and (top or "@graph" not in node):
        out.set_page(license_value, f"json-ld {'/'.join(sorted(kinds))} license")
    for key, value in node.items():
        if key != "license" and isinstance(value, (dict, list)):
            _walk(out, value, base, depth + 1, top=key == "@graph")


def _license_text(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # a CreativeWork describing the licence
        for key in ("@id", "url", "name"):
            if isinstance(value.get(key), str):
                return value[key]
    if isinstance(value, list) and value:
        return _license_text(value[0])
    return None


def _microdata(out: PageRights, el, base: str) -> None:
    value = el.get("href") or el.get("content") or "".join(el.itertext())
    scope = next((a for a in el.iterancestors() if a.get("itemscope") is not None), None)
    if scope is not None and (scope.get("itemtype") or "").rstrip("/").endswith("ImageObject"):
        target = scope.xpath(".//*[@itemprop='contentUrl' or @itemprop='url']")
        if target:
            t = target[0]
            src = t.get("src") or t.get("href") or t.get("content")
            if src:
                out.set_image(urljoin(base, src.strip()), value, "microdata ImageObject license")
                return
    out.set_page(value, "microdata license")
