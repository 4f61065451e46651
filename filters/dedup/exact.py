"""Exact duplicates by image sha256: the first in input order is kept, the others rejected."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.stage import GlobalStage


class ExactDuplicates(GlobalStage):
    """Rejects records whose ``column`` (default the image's sha256) equals an earlier record's,
    with reason ``duplicate`` and ``dup_of`` naming the kept record's key.

    ``buckets`` is the least number of buckets; above ``records_per_bucket`` records per bucket
    the runner plans more, so that one bucket's rows stay a few MB whatever the run's size."""

    def __init__(self, *, column: str = "sha256", buckets: int = 16,
                 records_per_bucket: int | None = 100_000, **kw):
        super().__init__(**kw)
        self.column = column
        self.buckets = buckets
        self.records_per_bucket = records_per_bucket

    def signature(self, batch: pa.Table) -> pa.Table:
        values = batch.column(self.column)
        digest = pc.binary_slice(pc.cast(values, pa.binary()), 0, 8)
        bucket = [int.from_bytes(d, "big") % self.bucket_count if d else 0 for d in digest.to_pylist()]
        return pa.table({"value": pc.cast(values, pa.string()), "bucket": pa.array(bucket, pa.int64())})

    def decide(self, signatures: pa.Table) -> pa.Table:
        """Signatures arrive in input order, so the first holder of a value is its keeper."""
        codes = signatures.column("value").combine_chunks().dictionary_encode()
        present = np.flatnonzero(codes.is_valid().to_numpy(zero_copy_only=False))
        index = codes.indices.to_numpy(zero_copy_only=False)[present].astype(np.int64)
        first = np.full(len(codes.dictionary), len(codes), np.int64)
        np.minimum.at(first, index, present)
        keeper = first[index]
        dup = keeper != present
        keys = signatures.column("key").combine_chunks()
        return pa.table({
            "key": keys.take(pa.array(present[dup])),
            "reason": pa.array(["duplicate"] * int(dup.sum()), pa.string()),
            "dup_of": keys.take(pa.array(keeper[dup])),
        })
