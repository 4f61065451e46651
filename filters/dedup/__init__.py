"""Deduplication: MinHash LSH for text, perceptual hashes for images, embedding near-duplicates,
one duplicate graph across them, and decontamination against evaluation sets.

Job files use the global stages ``NearDuplicates`` (pairs and documents) and
``RepeatedImageUrls`` followed by the stage ``DropRepeatedImages`` (documents' boilerplate
images), and the filter ``Decontaminate``. ``loomery dedup`` runs ``NearDuplicates`` on the
texts of a collection.
"""

from filters.dedup.decontam import Decontaminate
from filters.dedup.documents import DropRepeatedImages, RepeatedImageUrls
from filters.dedup.minhash import MinHasher, normalize_text, word_shingles
from filters.dedup.stages import NearDuplicates

__all__ = [
    "Decontaminate",
    "DropRepeatedImages",
    "MinHasher",
    "NearDuplicates",
    "RepeatedImageUrls",
    "normalize_text",
    "word_shingles",
]
