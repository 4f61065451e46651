"""The image of a pair: fetch it safely (``FetchImages``), resize it, probe and re-encode it
(``ProbeImage``), check its size and aspect ratio; and the decoding helpers model stages share
(``open_rgb``, ``BadImage``)."""

from engine.exports import lazy_exports

EXPORTS = {
    "AspectRatio": "filters.images.checks",
    "ImageSize": "filters.images.checks",
    "ProbeImage": "filters.images.checks",
    "FetchImages": "filters.images.fetch",
    "FetchingFilter": "filters.images.fetch_base",
    "Resizer": "filters.images.resize",
    "ResizeError": "filters.images.resize",
    "BadImage": "filters.images.pixels",
    "open_rgb": "filters.images.pixels",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
