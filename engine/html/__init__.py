"""HTML -> interleaved document: main content in reading order, images kept in place.

``extract_document(html_bytes, url)`` is the entry point; :class:`ExtractDocuments` is the stage
that applies it to the rows of a :class:`engine.sources.warc.WarcSource`.
"""

from engine.html.consent import Consent, parse_robots_meta, parse_x_robots_tag
from engine.html.extract import Document, ExtractionError, extract_document

__all__ = [
    "Consent",
    "Document",
    "ExtractionError",
    "extract_document",
    "parse_robots_meta",
    "parse_x_robots_tag",
]
