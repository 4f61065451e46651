"""Filters: every check that decides which records are kept, grouped by family. Import from here
in job files: ``from filters import ClipScore, NearDuplicates``.

Families: :mod:`.images` (fetch, resize, probe, size), :mod:`.captions`, :mod:`.documents`
(interleaved documents), :mod:`.clip`, :mod:`.dedup`, :mod:`.safety`, :mod:`.provenance`
(rights). Each name loads its module on first use, so ``import filters`` loads no model library.
"""

from engine.exports import lazy_exports, merged_exports
from filters import captions, clip, dedup, documents, images, provenance, safety

EXPORTS = merged_exports(captions.EXPORTS, clip.EXPORTS, dedup.EXPORTS, documents.EXPORTS, images.EXPORTS,
                         provenance.EXPORTS, safety.EXPORTS)
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
