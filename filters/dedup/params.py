"""The near-duplicate and decontamination ``--param`` settings, shared by the pairs and docs jobs."""

from engine.params import Param, ParamGroup
from filters.dedup.graph import KEEP_POLICIES

DEDUP_PARAMS = ParamGroup(
    "near-duplicates and decontamination (filters/dedup)",
    Param("dedup", bool, True, "drop near-duplicates (text MinHash and image hash, one graph)"),
    Param("dedup_threshold", float, 0.8, "MinHash Jaccard similarity above which texts are duplicates"),
    Param("dedup_image_bits", int, 4, "largest perceptual-hash distance of duplicate images"),
    Param("dedup_keep", str, "first", "which record of a cluster is kept", choices=KEEP_POLICIES),
    Param("dedup_buckets", int, 16, "least number of buckets of the global step"),
    Param("dedup_bucket_records", int, 5000, "one more bucket per this many records"),
    Param("eval_set", str, None, "an evaluation set to decontaminate against"),
)
