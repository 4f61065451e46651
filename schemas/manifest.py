"""The manifest's shape: Arrow schemas for its tables and a checker for the JSON document.

``manifest.json`` is JSON for people and tools; its ``shards`` and ``rejects`` lists follow the
Arrow schemas below so that they load as tables (``pa.Table.from_pylist(m["shards"], SHARD_SCHEMA)``).
"""

import pyarrow as pa

from schemas.version import SCHEMA_VERSION

SHARD_SCHEMA = pa.schema(
    [
        pa.field("name", pa.string(), nullable=False),
        pa.field("samples", pa.int64(), nullable=False),
        pa.field("bytes", pa.int64(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
        pa.field("parquet", pa.string(), nullable=False),
        pa.field("parquet_bytes", pa.int64(), nullable=False),
        pa.field("parquet_sha256", pa.string(), nullable=False),
    ],
    metadata={"loomery.schema": "manifest.shard", "loomery.schema_version": SCHEMA_VERSION},
)

REJECT_FILE_SCHEMA = pa.schema(
    [
        pa.field("name", pa.string(), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("bytes", pa.int64(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
    ],
    metadata={"loomery.schema": "manifest.rejects", "loomery.schema_version": SCHEMA_VERSION},
)

MODEL_SCHEMA = pa.schema(
    [
        pa.field("name", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("revision", pa.string()),
        pa.field("random_init", pa.bool_(), nullable=False),
        pa.field("stage", pa.string()),
    ],
    metadata={"loomery.schema": "manifest.model", "loomery.schema_version": SCHEMA_VERSION},
)

REQUIRED_KEYS = ("schema_version", "job", "totals", "shards", "rejects", "models", "stages")


def check_manifest(manifest: dict) -> list[str]:
    """List every way ``manifest`` breaks its shape; an empty list means it is well formed."""
    problems = [f"missing key {k!r}" for k in REQUIRED_KEYS if k not in manifest]
    if problems:
        return problems
    totals = manifest["totals"]
    for k in ("inputs", "kept", "rejected"):
        if not isinstance(totals.get(k), int):
            problems.append(f"totals.{k} is not an integer")
    if not problems and totals["inputs"] != totals["kept"] + totals["rejected"]:
        problems.append(
            f"totals do not add up: inputs={totals['inputs']} kept={totals['kept']} "
            f"rejected={totals['rejected']}"
        )
    for name, schema, rows in (
        ("shards", SHARD_SCHEMA, manifest["shards"]),
        ("rejects", REJECT_FILE_SCHEMA, manifest["rejects"]),
        ("models", MODEL_SCHEMA, manifest["models"]),
    ):
        for i, row in enumerate(rows):
            missing = [f.name for f in schema if not f.nullable and row.get(f.name) is None]
            if missing:
                problems.append(f"{name}[{i}] lacks {', '.join(missing)}")
    return problems
