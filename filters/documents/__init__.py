"""Filters for interleaved documents (texts and images in reading order).

Document-level: language, word count, Gopher/C4-style quality, image count, consent. Node-level
(an image is removed from its position, the document kept): furniture and tiny images
(``DocImageFilter``), images that fail to fetch (``FetchDocumentImages``), and any image filter
written for pairs run on each image (``PerImage``). :mod:`.positions` edits the parallel lists.
"""

from engine.exports import lazy_exports

EXPORTS = {
    "DocumentConsent": "filters.documents.consent",
    "FetchDocumentImages": "filters.documents.fetch",
    "DocImageFilter": "filters.documents.images",
    "image_reason": "filters.documents.images",
    "PerImage": "filters.documents.per_image",
    "DocImageCount": "filters.documents.text",
    "DocLanguage": "filters.documents.text",
    "DocQuality": "filters.documents.text",
    "DocWordCount": "filters.documents.text",
    "quality_signals": "filters.documents.text",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
