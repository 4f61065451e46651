"""Duplicate URLs: a URL listed twice (or in two lists) is fetched once.

Both copies have the same key (the key is the URL's), so a decision keyed by ``key`` alone could
not tell the keeper from the copies. The global stage therefore decides *which position* keeps
the URL: :class:`DuplicateUrls` finds, per duplicated key, the first record in input order
(smallest ``_seq``) and joins it onto every copy as ``url_first_seq``; right after it,
:class:`RejectDuplicateUrls` rejects every copy whose ``_seq`` is not that one, with reason
``duplicate_url`` and ``dup_of`` the keeper's key. A job puts both first in its chain.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc

from engine import columns as C
from engine.stage import Filter, GlobalStage, Resources, set_columns

FIRST_SEQ = "url_first_seq"
COPIES = "url_copies"


class DuplicateUrls(GlobalStage):
    """Global step: for each key held by more than one record, the ``_seq`` of the first.
    ``buckets`` is the least number of buckets; the runner plans one per ``records_per_bucket``
    records above that."""

    def __init__(self, *, buckets: int = 16, records_per_bucket: int | None = 100_000, **kw):
        super().__init__(**kw)
        self.buckets = buckets
        self.records_per_bucket = records_per_bucket

    def signature(self, batch: pa.Table) -> pa.Table:
        keys = batch.column("key").to_pylist()
        bucket = [
            int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "big")
            % self.bucket_count
            for k in keys
        ]
        return pa.table({
            "key": pa.array(keys, pa.string()),
            "bucket": pa.array(bucket, pa.int64()),
            "record_seq": batch.column(C.SEQ),
        })

    def decide(self, signatures: pa.Table) -> pa.Table:
        first: dict[str, int] = {}
        copies: dict[str, int] = {}
        for key, seq in zip(signatures.column("key").to_pylist(),
                            signatures.column("record_seq").to_pylist(), strict=True):
            copies[key] = copies.get(key, 0) + 1
            if key not in first or seq < first[key]:
                first[key] = seq
        dup = [k for k, c in copies.items() if c > 1]
        return pa.table({
            "key": pa.array(dup, pa.string()),
            "reason": pa.nulls(len(dup), pa.string()),
            FIRST_SEQ: pa.array([first[k] for k in dup], pa.int64()),
            COPIES: pa.array([copies[k] for k in dup], pa.int64()),
        })


class RejectDuplicateUrls(Filter):
    """Rejects every copy of a duplicated URL but the first (see :class:`DuplicateUrls`)."""

    resources = Resources(num_cpus=0.25)

    def __call__(self, batch: pa.Table) -> pa.Table:
        n = batch.num_rows
        if FIRST_SEQ not in batch.column_names:
            return self.verdict(batch, [None] * n)
        first = batch.column(FIRST_SEQ).to_pylist()
        seqs = batch.column(C.SEQ).to_pylist()
        keys = batch.column("key").to_pylist()
        reasons = [
            "duplicate_url" if f is not None and s != f else None
            for f, s in zip(first, seqs, strict=True)
        ]
        details = [f"same URL as record {f}" if r else None for r, f in zip(reasons, first,
                                                                           strict=True)]
        out = self.verdict(batch, reasons, details=details)
        dup_of = pa.array([k if r else None for k, r in zip(keys, reasons, strict=True)],
                          pa.string())
        if C.DUP_OF in out.column_names:
            dup_of = pc.coalesce(out.column(C.DUP_OF).combine_chunks().cast(pa.string()), dup_of)
        return set_columns(out, {C.DUP_OF: dup_of})
