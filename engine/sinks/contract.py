"""The img2dataset/DataComp column contract of a written pair (schemas/pair.py), added beside
our own columns by the pairs sink.

``uid`` is kept from the input when the input has one (a DataComp or img2dataset pool read back
in); otherwise it is derived from the record's key. DataComp's scripts read ``uid`` only as 32 hex
digits, split into two unsigned 64-bit halves (``int(uid[:16], 16), int(uid[16:32], 16)``); its
pool's uids come with its metadata and its public code does not compute them, so ours is a
128-bit BLAKE2b of the key, which is itself a hash of the record's source identity: stable across
runs and unique wherever the key is.
"""

from __future__ import annotations

import hashlib
import re

import pyarrow as pa
import pyarrow.compute as pc

from schemas.pair import DATACOMP_TEXT, PAIR_CONTRACT_SCHEMA

_UID = re.compile(r"^[0-9a-fA-F]{32}$")


def derive_uid(key: str) -> str:
    """A DataComp-shaped uid (32 lowercase hex digits) for the record with ``key``."""
    return hashlib.blake2b(f"uid:{key}".encode(), digest_size=16).hexdigest()


def _uids(records: pa.Table) -> pa.Array:
    keys = records.column("key").to_pylist()
    given = (records.column("uid").to_pylist() if "uid" in records.column_names
             else [None] * records.num_rows)
    return pa.array([u.lower() if isinstance(u, str) and _UID.match(u) else derive_uid(k)
                     for k, u in zip(keys, given, strict=True)], pa.string())


def _column(records: pa.Table, name: str, type_: pa.DataType) -> pa.ChunkedArray | pa.Array:
    if name in records.column_names:
        return pc.cast(records.column(name), type_)
    return pa.nulls(records.num_rows, type_)


def with_pair_contract(records: pa.Table) -> pa.Table:
    """``records`` with the contract columns first (schemas/pair.py PAIR_CONTRACT_SCHEMA), then
    every other column in its order. Every record a sink writes was kept: ``status`` is
    ``"success"`` and ``error_message`` null. ``original_width``/``original_height`` are the
    size before resizing (our ``orig_width``/``orig_height``, which stay)."""
    n = records.num_rows
    contract = {
        "key": records.column("key"),
        "uid": _uids(records),
        "url": _column(records, "url", pa.string()),
        "caption": _column(records, "caption", pa.string()),
        "status": pa.array(["success"] * n, pa.string()),
        "error_message": pa.nulls(n, pa.string()),
        "width": _column(records, "width", pa.int32()),
        "height": _column(records, "height", pa.int32()),
        "original_width": _column(records, "orig_width", pa.int32()),
        "original_height": _column(records, "orig_height", pa.int32()),
        "sha256": _column(records, "sha256", pa.string()),
    }
    rest = [c for c in records.column_names if c not in contract]
    fields = [pa.field(f.name, f.type) for f in PAIR_CONTRACT_SCHEMA]
    fields += [records.schema.field(c) for c in rest]
    arrays = [contract[f.name] for f in PAIR_CONTRACT_SCHEMA] + [records.column(c) for c in rest]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=records.schema.metadata))


def with_datacomp_text(meta: pa.Table) -> pa.Table:
    """The Parquet sidecar's columns: DataComp's metadata names the caption ``text``."""
    if DATACOMP_TEXT in meta.column_names:
        return meta
    return meta.add_column(len(PAIR_CONTRACT_SCHEMA), DATACOMP_TEXT, meta.column("caption"))
