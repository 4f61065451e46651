"""Keep the top fraction of CLIP scores over the whole dataset (DataComp's CLIP filtering).

A fraction of *all* records cannot be chosen one batch at a time, so this is a global stage:
phase 1 records each record's score (a key and a float: ~40 bytes per record), one Ray task
ranks them all, and phase 2 rejects the records below the cut. It must follow a
:class:`filters.clip.ClipScore` (usually with ``threshold=None``), which writes the score column.
Ties at the cut are broken by key, so the kept set does not depend on the number of workers.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from engine.stage import GlobalStage


class ClipTopFraction(GlobalStage):
    """Rejects every record outside the top ``fraction`` of ``score_column`` (0 < fraction <= 1)."""

    name = "clip_top_fraction"
    buckets = 1  # the cut needs the global order; one task ranks all (key, score) rows

    def __init__(self, fraction: float, *, score_column: str = "clip_score", name: str | None = None):
        super().__init__(name=name)
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        self.fraction = fraction
        self.score_column = score_column

    def signature(self, batch: pa.Table) -> pa.Table:
        if self.score_column not in batch.column_names:
            raise ValueError(f"{self.name}: no {self.score_column!r} column; put ClipScore first")
        scores = batch.column(self.score_column).cast(pa.float64())
        return pa.table({"score": scores, "bucket": pa.array(np.zeros(batch.num_rows, np.int64))})

    def decide(self, signatures: pa.Table) -> pa.Table:
        keys = np.array(signatures.column("key").to_pylist(), dtype=object)
        raw = signatures.column("score").to_numpy(zero_copy_only=False)
        missing = np.isnan(raw.astype(np.float64))
        scores = np.where(missing, -np.inf, raw)
        order = np.lexsort((keys, -scores))  # by score descending, then key ascending
        keep = math.ceil(self.fraction * len(keys))
        cut = float(scores[order[keep - 1]]) if keep else math.inf
        rejected = order[keep:]
        reasons = ["no_clip_score" if missing[i] else "below_top_fraction" for i in rejected]
        return pa.table(
            {
                "key": pa.array(keys[rejected].tolist(), pa.string()),
                "reason": pa.array(reasons, pa.string()),
                "score": pa.array([None if missing[i] else float(scores[i]) for i in rejected], pa.float64()),
                "threshold": pa.array([cut] * len(rejected), pa.float64()),
                "detail": pa.array([f"top {self.fraction:g} of {len(keys)} records"] * len(rejected), pa.string()),
            }
        )
