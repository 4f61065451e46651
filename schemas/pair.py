"""Arrow schema of an image-text pair record.

Stages add their own columns (scores, signatures, captions); the columns below are the ones every
pair record has. Columns whose name starts with ``_`` are internal to a run and never reach a shard.
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
        pa.field("status", pa.int32()),
        pa.field("content_type", pa.string()),
        pa.field("source", pa.string()),
    ],
    metadata={"loomery.schema": "pair", "loomery.schema_version": SCHEMA_VERSION},
)

# What a shard's Parquet sidecar holds: the pair record without its image bytes.
PAIR_METADATA_SCHEMA = pa.schema(
    [f for f in PAIR_SCHEMA if f.name != "image"], metadata=PAIR_SCHEMA.metadata
)
