"""Exact duplicates by image sha256: the first in input order is kept, the others rejected."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from engine.stage import GlobalStage


class ExactDuplicates(GlobalStage):
    """Rejects records whose ``column`` (default the image's sha256) equals an earlier record's,
    with reason ``duplicate`` and ``dup_of`` naming the kept record's key."""

    def __init__(self, *, column: str = "sha256", buckets: int = 16, **kw):
        super().__init__(**kw)
        self.column = column
        self.buckets = buckets

    def signature(self, batch: pa.Table) -> pa.Table:
        values = batch.column(self.column)
        digest = pc.binary_slice(pc.cast(values, pa.binary()), 0, 8)
        bucket = [int.from_bytes(d, "big") % self.bucket_count if d else 0 for d in digest.to_pylist()]
        return pa.table({"value": pc.cast(values, pa.string()), "bucket": pa.array(bucket, pa.int64())})

    def decide(self, signatures: pa.Table) -> pa.Table:
        """Signatures arrive in input order, so the first holder of a value is its keeper."""
        first: dict[str, str] = {}
        keys, dup_of = [], []
        for key, value in zip(signatures.column("key").to_pylist(),
                              signatures.column("value").to_pylist(), strict=True):
            if value is None:
                continue
            keeper = first.setdefault(value, key)
            if keeper != key:
                keys.append(key)
                dup_of.append(keeper)
        return pa.table({
            "key": pa.array(keys, pa.string()),
            "reason": pa.array(["duplicate"] * len(keys), pa.string()),
            "dup_of": pa.array(dup_of, pa.string()),
        })
