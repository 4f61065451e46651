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
    table = table.select(keep)
    # a column without a single value is left out whole, not value by value
    table = table.select([i for i, column in enumerate(table.columns) if column.null_count < len(column)])
    floats = [f.name for f in table.schema if pa.types.is_floating(f.type)]  # the only NaNs
    rows = [{k: v for k, v in row.items() if v is not None} for row in table.to_pylist()]
    for row in rows if floats else ():
        for name in floats:
            value = row.get(name)
            if value is not None and value != value:
                del row[name]
    return rows


# one encoder for every record: json.dumps with options builds a new one per call
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)


def dumps(row: dict[str, Any]) -> bytes:
    """A record's ``.json`` member: sorted keys, UTF-8."""
    return _ENCODER.encode(row).encode("utf-8")
