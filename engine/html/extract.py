"""HTML page -> interleaved document (texts and images in reading order).

Main-content detection is trafilatura's (its XML output with images and tables). Before it runs,
every ``<img>`` is resolved here (srcset, lazy-loading, ``<picture>``, ``<base>``) and its ``src``
replaced by a numbered placeholder, so that each image trafilatura keeps maps back to the full
description gathered from the original markup, whatever its URL looks like. The XML is then
walked in document order: paragraphs, headings, list items, quotes, code blocks and tables become
text items (a table is one item, a line per row, cells separated by `` | ``); an image between
blocks takes its own position there, and an image inside a paragraph (a formula, an inline
photo) takes the position right after that paragraph, so that no sentence is cut in two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import trafilatura
from lxml import etree

from engine.html.boilerplate import is_boilerplate
from engine.html.consent import Consent, page_consent
from engine.html.decode import decode_html
from engine.html.images import ImageInfo, base_url, describe

_PLACEHOLDER = "http://loomery.invalid/img/{}.png"
_PLACEHOLDER_RE = re.compile(r"^http://loomery\.invalid/img/(\d+)\.png$")
_BLOCKS = {"p", "head", "item", "quote", "code", "list", "table", "div", "main"}
_KEEP_LINES = {"code"}
_SPACES = re.compile(r"[ \t\r\f\v]+")
_INLINE_BLOCKS = {"p", "head", "item", "quote", "code", "table"}


class ExtractionError(ValueError):
    """A page has no usable content; ``reason`` is a short stable code for the rejects table."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Document:
    """An interleaved document: at each position exactly one of ``texts[i]``/``images[i]``."""

    texts: list[str | None] = field(default_factory=list)
    images: list[ImageInfo | None] = field(default_factory=list)
    title: str | None = None
    charset: str = ""  # e.g. "cp1251 (meta)": the codec used and what decided it
    decoding: dict = field(default_factory=dict)  # engine.html.decode.Decoding.to_dict()
    consent: Consent = field(default_factory=Consent)

    @property
    def image_urls(self) -> list[str | None]:
        return [im.url if im is not None else None for im in self.images]

    def text(self) -> str:
        """The text items joined, one per line."""
        return "\n".join(t for t in self.texts if t is not None)


class _Builder:
    """Accumulates inline text and cuts it into items at block boundaries and images."""

    def __init__(self, infos: list[ImageInfo]):
        self.infos = infos
        self.doc = Document()
        self.parts: list[str] = []
        self.preserve = 0
        self.inline = 0  # depth inside blocks whose text an image must not cut
        self.table = 0
        self.pending: list[ImageInfo] = []
        self.seen: set[int] = set()

    def flush(self) -> None:
        raw = "".join(self.parts)
        self.parts = []
        if self.preserve:
            text = raw.strip("\n")
        else:
            # collapse ASCII whitespace only: a no-break space is part of the text
            lines = (_SPACES.sub(" ", line).strip(" ").removesuffix(" |").strip(" ")
                     for line in raw.split("\n"))
            text = "\n".join(line for line in lines if line)
        if text.strip() and not is_boilerplate(text):
            self.doc.texts.append(text)
            self.doc.images.append(None)
        if not self.inline:
            for info in self.pending:
                self.doc.texts.append(None)
                self.doc.images.append(info)
            self.pending = []

    def image(self, element: etree._Element) -> None:
        match = _PLACEHOLDER_RE.match(element.get("src") or "")
        if not match or int(match.group(1)) in self.seen:
            return  # an image whose URL we did not resolve ourselves, or seen already
        number = int(match.group(1))
        self.seen.add(number)
        # an image inside a paragraph (a formula, an emoji) follows the paragraph rather than
        # cutting its sentence in two; elsewhere it takes its place between text items
        self.pending.append(self.infos[number])
        if not self.inline:
            self.flush()

    def _text(self, value: str | None) -> None:
        if value:
            # source line breaks are spaces, except in code; <lb/> and rows give real ones
            self.parts.append(value if self.preserve else value.replace("\n", " "))

    def walk(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == "graphic":
            self.image(element)
        else:
            # a table is one item: the blocks inside its cells do not cut it
            block = tag in _BLOCKS and (tag == "table" or not self.table)
            if block:
                self.flush()
            self.preserve += tag in _KEEP_LINES
            self.inline += tag in _INLINE_BLOCKS
            self.table += tag == "table"
            self._text(element.text)
            for child in element:
                self.walk(child)
            self.preserve -= tag in _KEEP_LINES
            self.inline -= tag in _INLINE_BLOCKS
            self.table -= tag == "table"
            if tag in ("lb", "row"):
                self.parts.append("\n")
            elif tag == "cell":
                self.parts.append(" | ")
            elif self.table and tag in _BLOCKS:
                self.parts.append(" ")
            if block:
                self.flush()
        self._text(element.tail)


def _prepare(tree: etree._Element, url: str | None) -> list[ImageInfo]:
    """Describe every image and put a numbered placeholder in its ``src``."""
    base = base_url(tree, url)
    infos: list[ImageInfo] = []
    for img in list(tree.iter("img")):
        info = describe(img, base)
        for attr in list(img.attrib):
            if attr not in ("alt", "title"):
                del img.attrib[attr]
        if info is None:
            continue
        img.set("src", _PLACEHOLDER.format(len(infos)))
        infos.append(info)
    etree.strip_tags(tree, "source")  # keeps the <img> an HTML4 parser nests inside
    return infos


def _main_content(tree: etree._Element, url: str | None) -> str | None:
    """trafilatura's main content as XML, with images and tables, without comments."""
    return trafilatura.extract(
        tree,
        url=url,
        output_format="xml",
        include_images=True,
        include_tables=True,
        include_comments=False,
        include_formatting=False,
        with_metadata=False,
        deduplicate=False,
    )


def extract_document(
    data: bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    x_robots_tag: str | None = None,
) -> Document:
    """Extract the main content of an HTML page as an interleaved :class:`Document`.

    Raises :class:`ExtractionError` with a reason (``empty_page``, ``unparseable_html``,
    ``no_main_content``) when there is nothing to keep.
    """
    if not data or not data.strip():
        raise ExtractionError("empty_page")
    text, decoding = decode_html(data, content_type)
    charset = str(decoding)
    tree = trafilatura.load_html(text)
    if tree is None:
        raise ExtractionError("unparseable_html", f"decoded as {charset}")
    metas = [
        (m.get("name") or m.get("http-equiv") or "", m.get("content") or "")
        for m in tree.iter("meta")
    ]
    consent = page_consent(metas, x_robots_tag)
    title_el = tree.find(".//title")
    title = " ".join("".join(title_el.itertext()).split()) if title_el is not None else None
    infos = _prepare(tree, url)
    try:
        xml = _main_content(tree, url)
    except Exception as err:  # noqa: BLE001 - a third-party extractor on hostile markup:
        # whatever it raises, the page is rejected with the error recorded, the run goes on
        raise ExtractionError("extractor_failed", f"{type(err).__name__}: {err}"[:200]) from err
    if not xml:
        raise ExtractionError("no_main_content", f"decoded as {charset}")
    try:
        root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(huge_tree=True, recover=True))
    except etree.XMLSyntaxError as err:
        raise ExtractionError("extractor_failed", f"XMLSyntaxError: {err}"[:200]) from err
    main = root.find("main") if root is not None else None
    if main is None:
        raise ExtractionError("no_main_content", "extractor output has no main element")
    builder = _Builder(infos)
    builder.walk(main)
    builder.flush()
    doc = _drop_caption_echoes(builder.doc)
    if not any(t for t in doc.texts if t):
        raise ExtractionError("no_main_content", "main content has no text")
    doc.title, doc.charset, doc.consent = title or None, charset, consent
    doc.decoding = decoding.to_dict()
    return doc


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _drop_caption_echoes(doc: Document) -> Document:
    """Remove a text item that repeats the figcaption of the image beside it: the caption is
    kept once, attached to its image."""
    keep = []
    for i, text in enumerate(doc.texts):
        if text is not None:
            neighbours = [doc.images[j] for j in (i - 1, i + 1) if 0 <= j < len(doc.images)]
            if any(im is not None and im.figcaption and _norm(im.figcaption) == _norm(text)
                   for im in neighbours):
                continue
        keep.append(i)
    doc.texts = [doc.texts[i] for i in keep]
    doc.images = [doc.images[i] for i in keep]
    return doc

