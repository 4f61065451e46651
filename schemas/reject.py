"""Arrow schema of a rejected record: where it left the pipeline and why."""

import pyarrow as pa

from schemas.version import SCHEMA_VERSION

REJECT_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("score", pa.float64()),
        pa.field("threshold", pa.float64()),
        pa.field("detail", pa.string()),
        pa.field("dup_of", pa.string()),
        pa.field("unit", pa.int64(), nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
    ],
    metadata={"loomery.schema": "reject", "loomery.schema_version": SCHEMA_VERSION},
)
