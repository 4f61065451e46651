"""Arrow schemas of an image-text pair record and of the pairs a shard holds.

``PAIR_SCHEMA``: the columns every pair record has on its way through a run; stages add their own
(scores, signatures, captions). Columns whose name starts with ``_`` are internal to a run and
never reach a shard.

``PAIR_CONTRACT_SCHEMA``: the img2dataset/DataComp column contract that a written pair carries
beside our own columns, so that img2dataset readers, DataComp's ``baselines/apply_filter.py`` and
``resharder.py`` and open_clip's tooling read the shards as they are. ``status`` is img2dataset's
word (``"success"`` for every kept pair); ``uid`` is DataComp's 128-bit id in 32 hex digits.
"""

import pyarrow as pa

from schemas.version import SCHEMA_VERSION

PAIR_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("caption", pa.string()),
        pa.field("image", pa.binary()),
        pa.field("image_format", pa.string()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
        pa.field("orig_width", pa.int32()),
        pa.field("orig_height", pa.int32()),
        pa.field("sha256", pa.string()),
        pa.field("http_status", pa.int32()),
        pa.field("content_type", pa.string()),
        pa.field("source", pa.string()),
    ],
    metadata={"loomery.schema": "pair", "loomery.schema_version": SCHEMA_VERSION},
)

PAIR_CONTRACT_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("uid", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("caption", pa.string()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("error_message", pa.string()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
        pa.field("original_width", pa.int32()),
        pa.field("original_height", pa.int32()),
        pa.field("sha256", pa.string()),
    ],
    metadata={"loomery.schema": "pair.contract", "loomery.schema_version": SCHEMA_VERSION},
)

# img2dataset's per-record status words: a kept pair is always a success; the other two name a
# record that failed (loomery records those in rejects/ with a precise reason instead).
IMG2DATASET_STATUSES = ("success", "failed_to_download", "failed_to_resize")

# DataComp's metadata Parquet names the caption ``text`` (apply_filter.py reads uid, text,
# original_width, original_height): the Parquet sidecar carries it beside ``caption``.
DATACOMP_TEXT = "text"

# What a shard's Parquet sidecar holds: the contract, then our columns, no image bytes.
PAIR_METADATA_SCHEMA = pa.schema(
    [*PAIR_CONTRACT_SCHEMA, pa.field(DATACOMP_TEXT, pa.string()),
     *[f for f in PAIR_SCHEMA if f.name != "image" and f.name not in PAIR_CONTRACT_SCHEMA.names]],
    metadata={"loomery.schema": "pair", "loomery.schema_version": SCHEMA_VERSION},
)
