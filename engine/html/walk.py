"""trafilatura's XML main content -> interleaved items (texts and images in reading order).

Paragraphs, headings, list items, quotes, code blocks and tables become text items (a table is
one item, a line per row, cells separated by `` | ``); an image between blocks takes its own
position there, and an image inside a paragraph (a formula, an inline photo) takes the position
right after that paragraph, so that no sentence is cut in two. Each text item carries the
structural facts the boilerplate judgement needs (:class:`ItemFacts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from engine.html.images import ImageInfo

PLACEHOLDER = "http://loomery.invalid/img/{}.png"
_PLACEHOLDER_RE = re.compile(r"^http://loomery\.invalid/img/(\d+)\.png$")
# marks text the page puts in a figure or caption: image material, not running text. A printable
# letter (trafilatura drops unprintable characters) that real text all but never holds; it is
# removed from every page before the marks are set
FIGURE_MARK = "\ua66e"
_BLOCKS = {"p", "head", "item", "quote", "code", "list", "table", "div", "main"}
_KEEP_LINES = {"code"}
_SPACES = re.compile(r"[ \t\r\f\v]+")
_INLINE_BLOCKS = {"p", "head", "item", "quote", "code", "table"}


@dataclass(frozen=True)
class ItemFacts:
    """What a text item is made of: its block ``kind`` (p, head, item, quote, code, table...),
    its ``words``, and whether its text sat in a figure or caption block of the page."""

    kind: str
    words: int
    in_figure: bool


class ItemBuilder:
    """Accumulates inline text and cuts it into items at block boundaries and images.

    ``positions`` ends up as the document: per position either ``(text, facts)`` or an
    :class:`ImageInfo`.
    """

    def __init__(self, infos: list[ImageInfo]):
        self.infos = infos
        self.positions: list[tuple[str, ItemFacts] | ImageInfo] = []
        self.parts: list[str] = []
        self.kinds: list[str] = []
        self.preserve = 0
        self.inline = 0  # depth inside blocks whose text an image must not cut
        self.table = 0
        self.pending: list[ImageInfo] = []
        self.seen: set[int] = set()

    def flush(self) -> None:
        raw = "".join(self.parts)
        self.parts = []
        in_figure = FIGURE_MARK in raw
        raw = raw.replace(FIGURE_MARK, "")
        if self.preserve:
            text = raw.strip("\n")
        else:
            # collapse ASCII whitespace only: a no-break space is part of the text
            lines = (_SPACES.sub(" ", line).strip(" ").removesuffix(" |").strip(" ")
                     for line in raw.split("\n"))
            text = "\n".join(line for line in lines if line)
        if text.strip():
            facts = ItemFacts(kind=self.kinds[-1] if self.kinds else "p", words=len(text.split()),
                              in_figure=in_figure)
            self.positions.append((text, facts))
        if not self.inline:
            self.positions.extend(self.pending)
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
                self.kinds.append(tag)
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
                self.kinds.pop()
        self._text(element.tail)
