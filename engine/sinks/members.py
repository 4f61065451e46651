"""The ``.json`` member of a sample, written so that readers that infer types from the first
samples (Hugging Face ``datasets``, Ray Data) infer them right.

A null top-level value is left out rather than written as ``null``: a reader that sees ``null``
in its first samples types the field as null and then fails on the first real value
(``Couldn't cast array of type string to null``). Every value written therefore has the type of
its Arrow column (a NaN float is left out too: it is not JSON). The full column list, nullable
ones included, is in the Parquet sidecar and in the dataset card's ``dataset_info`` features.
Nulls inside lists (OBELICS positions) stay.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows of ``table`` as JSON-ready dicts (binary columns left out, null values left out)."""
    keep = [f.name for f in table.schema if not pa.types.is_binary(f.type)
            and not (pa.types.is_list(f.type) and pa.types.is_binary(f.type.value_type))]
    return [{k: v for k, v in row.items() if not _missing(v)} for row in table.select(keep).to_pylist()]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # null or NaN


def dumps(row: dict[str, Any]) -> bytes:
    """A record's ``.json`` member: sorted keys, UTF-8."""
    return json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
