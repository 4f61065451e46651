"""CLIP filters: image-caption similarity for pairs (``ClipScore``), each document image against
its nearest text (``DocClipScore``), the top fraction over the whole dataset (``ClipTopFraction``),
and the open_clip encoder they share (``ClipEncoder``)."""

from engine.exports import lazy_exports

EXPORTS = {
    "ClipScore": "filters.clip.score",
    "DocClipScore": "filters.clip.documents",
    "ClipConfig": "filters.clip.model",
    "ClipEncoder": "filters.clip.model",
    "ClipTopFraction": "filters.clip.top_fraction",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
