"""HTML page -> interleaved document (texts and images in reading order).

Main-content detection is trafilatura's (its XML output with images and tables). Before it runs,
every ``<img>`` is resolved here (srcset, lazy-loading, ``<picture>``, ``<base>``) and its ``src``
replaced by a numbered placeholder, so that each image trafilatura keeps maps back to the full
description gathered from the original markup, whatever its URL looks like; and the text of
figures and caption blocks is marked, so that it can be told from running text afterwards. The
XML is walked into items (engine.html.walk) and page furniture is pruned by structure
(engine.html.boilerplate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import trafilatura
from lxml import etree

from engine.html.boilerplate import DEFAULT_FOCUS, DEFAULT_RULES, FOCUSES, PruneRules, prune
from engine.html.consent import Consent, page_consent
from engine.html.decode import Decoding, decode_html
from engine.html.images import ImageInfo, base_url, describe
from engine.html.walk import FIGURE_MARK, PLACEHOLDER, ItemBuilder

# what trafilatura keeps only when images are on: figures (but those holding a table, which it
# keeps as tables) and caption blocks (its PRESERVE_IMG_CLEANING and DISCARD_IMAGE_ELEMENTS)
_FIGURE_TEXT = etree.XPath(
    ".//figure[not(.//table)] | .//picture | .//*[self::div or self::p or self::section or self::span or "
    "self::li or self::ul][contains(@id, 'caption') or contains(@class, 'caption')]")


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
        img.set("src", PLACEHOLDER.format(len(infos)))
        infos.append(info)
    etree.strip_tags(tree, "source")  # keeps the <img> an HTML4 parser nests inside
    _mark_figure_text(tree)
    return infos


def _mark_figure_text(tree: etree._Element) -> None:
    """Prefix the text inside figures and caption blocks with :data:`FIGURE_MARK`, so that
    the items made of it can be told apart after trafilatura (which keeps them only because
    images are on; without images it drops them, and its text decisions are the baseline's)."""
    for container in _FIGURE_TEXT(tree):
        for node in container.iter():
            if node.text and node.text.strip() and not node.text.startswith(FIGURE_MARK):
                node.text = FIGURE_MARK + node.text
            if node is not container and node.tail and node.tail.strip() \
                    and not node.tail.startswith(FIGURE_MARK):
                node.tail = FIGURE_MARK + node.tail


def _main_content(tree: etree._Element, url: str | None, focus: str) -> str | None:
    """trafilatura's main content as XML, with images and tables, without comments."""
    if focus not in FOCUSES:
        raise ValueError(f"focus must be one of {FOCUSES}, not {focus!r}")
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
        favor_precision=focus == "precision",
        favor_recall=focus == "recall",
    )


def extract_document(
    data: bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    x_robots_tag: str | None = None,
    rules: PruneRules = DEFAULT_RULES,
    focus: str = DEFAULT_FOCUS,
) -> Document:
    """Extract the main content of an HTML page as an interleaved :class:`Document`.

    Raises :class:`ExtractionError` with a reason (``empty_page``, ``unparseable_html``,
    ``no_main_content``) when there is nothing to keep. ``rules`` and ``focus`` (trafilatura's
    precision/recall setting) default to the choice bench/docs.py validates.
    """
    return extract_items(data, url, content_type=content_type, x_robots_tag=x_robots_tag,
                         focus=focus).document(rules)


@dataclass
class Extraction:
    """A page's main content before the boilerplate rules: positions with their item facts."""

    positions: list
    title: str | None
    decoding: Decoding
    consent: Consent

    def document(self, rules: PruneRules = DEFAULT_RULES) -> Document:
        """The :class:`Document` left after ``rules``; ``no_main_content`` if no text is."""
        doc = Document(title=self.title, charset=str(self.decoding),
                       decoding=self.decoding.to_dict(), consent=self.consent)
        for position in prune(self.positions, rules):
            is_text = isinstance(position, tuple)
            doc.texts.append(position[0] if is_text else None)
            doc.images.append(None if is_text else position)
        if not any(t for t in doc.texts if t):
            raise ExtractionError("no_main_content", "main content has no text")
        return doc


def extract_items(
    data: bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    x_robots_tag: str | None = None,
    focus: str = DEFAULT_FOCUS,
) -> Extraction:
    """Decode, parse and run main-content detection: the :class:`Extraction` of a page."""
    if not data or not data.strip():
        raise ExtractionError("empty_page")
    text, decoding = decode_html(data, content_type)
    text = text.replace(FIGURE_MARK, "")  # ours as a marker (engine.html.walk)
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
        xml = _main_content(tree, url, focus)
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
    builder = ItemBuilder(infos)
    builder.walk(main)
    builder.flush()
    return Extraction(builder.positions, title or None, decoding, consent)
