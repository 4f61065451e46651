"""Find the real URL of every image of a page: ``srcset`` and ``sizes`` (parsed as the HTML
specification says; the largest candidate wins), lazy-loading
attributes, ``<picture><source>``, ``<base href>``; and what describes it (alt, title,
figcaption, declared size)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src")
LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")
VIEWPORT_PX = 1280  # the display width assumed where a size is relative to the viewport
_WS = " \t\n\f\r"  # ASCII whitespace, as the HTML specification defines it
_NON_NEGATIVE_INT = re.compile(r"[0-9]+")
_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# the size at the end of a sizes entry: a CSS length (not a percentage), 0, calc() or auto
_SOURCE_SIZE = re.compile(
    r"(?:^|\s|\))((?:[+-]?(?:[0-9]*\.)?[0-9]+(?:e[+-]?[0-9]+)?[a-z]+|0|calc\(.*\)|auto))\s*$",
    re.I)


@dataclass(frozen=True)
class Candidate:
    """One ``srcset`` image candidate: a URL and at most a width (``w``) or a density (``x``)."""

    url: str
    width: int | None = None
    density: float | None = None
    height: int | None = None  # the future-compatible ``h`` descriptor


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


def parse_srcset(srcset: str) -> list[Candidate]:
    """The image candidates of a ``srcset`` value, by the HTML specification's "parse a srcset
    attribute" algorithm: a URL runs to the next whitespace (so it may contain commas, as CDN
    transformation URLs do), a comma that ends a URL ends its candidate, descriptors are split
    on whitespace and commas outside parentheses, and a candidate whose descriptors are invalid
    (two widths, a zero width, ``h`` without ``w``, an unknown one) is dropped."""
    out, pos, end = [], 0, len(srcset)
    while True:
        while pos < end and (srcset[pos] in _WS or srcset[pos] == ","):
            pos += 1
        if pos >= end:
            return out
        start = pos
        while pos < end and srcset[pos] not in _WS:
            pos += 1
        url, descriptors = srcset[start:pos], []
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            descriptors, pos = _tokenize_descriptors(srcset, pos)
        candidate = _candidate(url, descriptors)
        if candidate is not None:
            out.append(candidate)


def _tokenize_descriptors(text: str, pos: int) -> tuple[list[str], int]:
    """The spec's descriptor tokenizer from ``pos``; returns (descriptors, position after)."""
    end, descriptors, current, state = len(text), [], "", "in"
    while pos < end and text[pos] in _WS:
        pos += 1
    while pos < end:
        char = text[pos]
        if state == "in":
            if char in _WS:
                if current:
                    descriptors.append(current)
                current, state = "", "after"
            elif char == ",":
                if current:
                    descriptors.append(current)
                return descriptors, pos + 1
            else:
                current += char
                state = "parens" if char == "(" else "in"
        elif state == "parens":
            current += char
            state = "in" if char == ")" else "parens"
        elif char not in _WS:  # after a descriptor: reconsume in the descriptor state
            state = "in"
            continue
        pos += 1
    if current:
        descriptors.append(current)
    return descriptors, pos


def _candidate(url: str, descriptors: list[str]) -> Candidate | None:
    width = density = height = None
    for descriptor in descriptors:
        value, kind = descriptor[:-1], descriptor[-1:]
        if kind == "w" and _NON_NEGATIVE_INT.fullmatch(value) and width is None \
                and density is None and int(value) > 0:
            width = int(value)
        elif kind == "x" and _FLOAT.fullmatch(value) and width is density is height is None \
                and float(value) >= 0:
            density = float(value)
        elif kind == "h" and _NON_NEGATIVE_INT.fullmatch(value) and height is None \
                and density is None and int(value) > 0:
            height = int(value)
        else:
            return None
    if height is not None and width is None:
        return None
    return Candidate(url, width, density, height)


def parse_sizes(sizes: str) -> list[tuple[str | None, str]]:
    """The entries of a ``sizes`` value as (media condition or None, source size), per the HTML
    specification's "parse a sizes attribute": entries split at commas outside parentheses and
    functions, the last component of each is the size (a CSS length that is not a percentage,
    or ``auto``), and an entry without a valid size is skipped."""
    entries = []
    for entry in _split_top_level(sizes):
        entry = entry.strip()
        match = _SOURCE_SIZE.search(entry)
        if not match:
            continue
        media = entry[: match.start()].strip() or None
        entries.append((media, match.group(1).strip()))
    return entries


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth <= 0:
            parts.append(current)
            current, depth = "", 0
        else:
            current += char
    return [*parts, current]


def source_size_px(sizes: str | None, viewport_px: int = VIEWPORT_PX) -> float:
    """The default source size in CSS pixels: the first ``sizes`` entry without a media
    condition (media conditions are not evaluated: there is no viewport); ``100vw`` when
    there is none, as the specification says. ``vw`` uses ``viewport_px``, ``em``/``rem`` 16px."""
    size = next((s for media, s in parse_sizes(sizes or "") if media is None), "100vw")
    match = re.fullmatch(r"([0-9.]+)(px|vw|em|rem)", size)
    if not match:
        return float(viewport_px)
    number = float(match.group(1))
    return number * {"px": 1, "vw": viewport_px / 100, "em": 16, "rem": 16}[match.group(2)]


def _int(value: str | None) -> int | None:
    match = re.match(r"\s*(\d+)\s*(px)?\s*$", value or "")
    return int(match.group(1)) if match else None


def best_src(img: etree._Element) -> str | None:
    """The URL a browser would end up showing for ``img`` at its largest, before resolving.

    Candidates come from the ``srcset`` (and lazy-loading variants) of the image and of the
    ``<source>`` elements of its ``<picture>``. They are ranked by pixel width: a ``w``
    descriptor is one; a density is multiplied by the display width the markup declares (the
    ``width`` attribute, else a ``sizes`` entry without media condition); a density without a
    known display width ranks below every known width, and among such candidates the denser wins.
    """
    elements = [img]
    picture = next(img.iterancestors("picture"), None)
    if picture is not None:  # (HTML4 parsers nest the <img> inside the unclosed <source>)
        elements += list(picture.iter("source"))
    declared = _int(img.get("width"))
    ranked = []
    for element in elements:
        sizes = element.get("sizes")
        display = declared or (source_size_px(sizes) if sizes and parse_sizes(sizes) else None)
        for attr in (*LAZY_SRCSET, "srcset"):
            for c in parse_srcset(element.get(attr) or ""):
                if c.url.startswith("data:"):
                    continue
                density = c.density if c.density is not None else 1.0
                pixels = c.width or (density * display if display else None)
                ranked.append(((pixels is not None, pixels or 0.0, density), c.url))
    if ranked:
        return max(ranked, key=lambda r: r[0])[1]
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
