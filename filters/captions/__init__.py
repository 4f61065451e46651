"""Caption filters for image-text pairs: length in words and characters, and junk captions."""

from engine.exports import lazy_exports

EXPORTS = {
    "CaptionJunk": "filters.captions.checks",
    "CaptionLength": "filters.captions.checks",
    "junk_reason": "filters.captions.checks",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
