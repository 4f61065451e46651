"""Deduplication: exact image duplicates, repeated URLs, MinHash LSH for text, perceptual hashes
for images, embedding near-duplicates, one duplicate graph across them, and decontamination
against evaluation sets.

Job files use the global stages ``ExactDuplicates``, ``NearDuplicates`` (pairs and documents),
the pair ``DuplicateUrls`` + ``RejectDuplicateUrls`` (from :func:`duplicate_url_stages`),
``RepeatedImageUrls`` followed by the stage ``DropRepeatedImages`` (documents' boilerplate
images), and the filter ``Decontaminate``. ``loomery dedup`` runs ``NearDuplicates`` on the
texts of a collection.
"""

from engine.exports import lazy_exports

EXPORTS = {
    "Decontaminate": "filters.dedup.decontam",
    "DropRepeatedImages": "filters.dedup.repeated_images",
    "RepeatedImageUrls": "filters.dedup.repeated_images",
    "ExactDuplicates": "filters.dedup.exact",
    "MinHasher": "filters.dedup.minhash",
    "normalize_text": "filters.dedup.minhash",
    "word_shingles": "filters.dedup.minhash",
    "NearDupConfig": "filters.dedup.near_duplicates",
    "NearDuplicates": "filters.dedup.near_duplicates",
    "DuplicateUrls": "filters.dedup.urls",
    "RejectDuplicateUrls": "filters.dedup.urls",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
