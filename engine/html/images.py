"""Find the real URL of every image of a page: ``srcset`` (largest candidate), lazy-loading
attributes, ``<picture><source>``, ``<base href>``; and what describes it (alt, title,
figcaption, declared size)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src")
LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")


@dataclass
class ImageInfo:
    """An image of the page, before anything is fetched."""

    url: str
    alt: str | None = None
    title: str | None = None
    figcaption: str | None = None
    width: int | None = None  # as declared by the markup
    height: int | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if v is not None}


def parse_srcset(srcset: str) -> list[tuple[str, float]]:
    """Candidates of a ``srcset`` as (url, size), size in ``w`` or ``x`` units (1x when absent)."""
    out = []
    # URLs may contain commas only when followed by no space; split on ", " style separators
    for part in re.split(r",\s+|,(?=\S+\s+\d)", srcset.strip()):
        bits = part.strip().split()
        if not bits:
            continue
        size = 1e-3  # 1x
        if len(bits) > 1 and bits[1][-1:] in ("w", "x"):
            try:
                size = float(bits[1][:-1])
            except ValueError:
                size = 1e-3
            if bits[1].endswith("x"):
                size *= 1e-3  # a density never outranks a width descriptor of the same set
        out.append((bits[0].rstrip(","), size))
    return out


def _int(value: str | None) -> int | None:
    match = re.match(r"\s*(\d+)\s*(px)?\s*$", value or "")
    return int(match.group(1)) if match else None


def best_src(img: etree._Element) -> str | None:
    """The URL a browser would end up showing for ``img`` at its largest, before resolving."""
    srcsets = [img.get(a) for a in LAZY_SRCSET] + [img.get("srcset")]
    picture = next(img.iterancestors("picture"), None)
    if picture is not None:  # (HTML4 parsers nest the <img> inside the unclosed <source>)
        for source in picture.iter("source"):
            srcsets += [source.get(a) for a in LAZY_SRCSET] + [source.get("srcset")]
    candidates = [c for s in srcsets if s for c in parse_srcset(s) if not c[0].startswith("data:")]
    if candidates:
        return max(candidates, key=lambda c: c[1])[0]
    for attr in LAZY_SRC:
        if (value := (img.get(attr) or "").strip()) and not value.startswith("data:"):
            return value
    src = (img.get("src") or "").strip()
    return src or None


def _figcaption(img: etree._Element) -> str | None:
    for ancestor in img.iterancestors("figure"):
        caption = ancestor.find(".//figcaption")
        if caption is not None:
            text = " ".join("".join(caption.itertext()).split())
            return text or None
        return None
    return None


def base_url(tree: etree._Element, page_url: str | None) -> str:
    """The URL relative links resolve against: ``<base href>`` (itself resolved) or the page's."""
    base = tree.find(".//base[@href]")
    if base is not None and page_url:
        return urljoin(page_url, base.get("href").strip())
    if base is not None:
        return base.get("href").strip()
    return page_url or ""


def describe(img: etree._Element, base: str) -> ImageInfo | None:
    """The :class:`ImageInfo` of ``img``, its URL resolved against ``base``; None without URL."""
    src = best_src(img)
    if not src:
        return None
    url = src if src.startswith("data:") else urljoin(base, src) if base else src
    return ImageInfo(
        url=url,
        alt=(img.get("alt") or "").strip() or None,
        title=(img.get("title") or "").strip() or None,
        figcaption=_figcaption(img),
        width=_int(img.get("width")),
        height=_int(img.get("height")),
    )
