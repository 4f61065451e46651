"""The kept scores' KLL sketches computed per unit and merged across units (engine/runner/stats.py):
exact while a column holds <= k values, within the sketch's rank error on 100k values in 50 units."""

import numpy as np
import pyarrow as pa
import pytest

from engine import columns as C
from engine.output.scores import PERCENTILES, column_from_stats, percentiles
from engine.quantiles import K, sketch_percentiles
from engine.runner.stats import merge_stats, unit_stats

ORDER = ["read", "clip"]
RANGES = {"clip": {"clip_score": (-0.1, 0.5)}}


def unit_table(scores: np.ndarray, threshold: float) -> pa.Table:
    """One unit's records: ``clip`` scored every record and rejected those below ``threshold``."""
    rejected = scores < threshold
    return pa.table({
        C.REJECT_STAGE: pa.array(["clip" if r else None for r in rejected], pa.string()),
        C.REJECT_REASON: pa.array(["low_clip" if r else None for r in rejected], pa.string()),
        C.REJECT_SCORE: pa.array([s if r else None for s, r in zip(scores, rejected, strict=True)], pa.float64()),
        C.REJECT_THRESHOLD: pa.array([threshold if r else None for r in rejected], pa.float64()),
        "clip_score": pa.array(scores, pa.float64()),
    })


def run_stats(units: list[np.ndarray], threshold: float) -> dict:
    total: dict = {}
    for scores in units:
        merge_stats(total, unit_stats(unit_table(scores, threshold), ORDER, RANGES))
    return total


def test_a_small_runs_sketch_gives_the_exact_percentiles_of_the_kept_scores():
    rng = np.random.default_rng(1)
    units = [rng.normal(0.3, 0.05, size) for size in (40, 70, 55)]  # 165 records, fewer kept
    stats = run_stats(units, threshold=0.28)
    kept = np.concatenate([u[u >= 0.28] for u in units])
    assert kept.size <= K
    from_sketch = sketch_percentiles(stats["clip"]["sketches"]["clip_score"], PERCENTILES)
    exact = percentiles(kept)
    assert from_sketch.pop("mean") == pytest.approx(exact.pop("mean"), abs=2e-6)  # summing order
    assert from_sketch == exact and from_sketch["n"] == kept.size
    assert stats["clip"]["kept"] == kept.size and stats["read"]["sketches"] == {}


def test_a_merge_of_many_units_stays_within_the_rank_error():
    rng = np.random.default_rng(2)
    units = [rng.beta(2, 5, 2_000) for _ in range(50)]  # 100k scores in 50 units
    stats = run_stats(units, threshold=0.1)
    kept = np.sort(np.concatenate([u[u >= 0.1] for u in units]))
    from_sketch = sketch_percentiles(stats["clip"]["sketches"]["clip_score"], PERCENTILES)
    assert from_sketch["n"] == kept.size
    rank_error = 0.0133  # KLL k=200, single quantile, 99% confidence (DataSketches' figure)
    for p in PERCENTILES:
        rank = np.searchsorted(kept, from_sketch[f"p{p}"], side="right") / kept.size
        assert abs(rank - p / 100) <= rank_error, (p, rank)
    assert from_sketch["p50"] != percentiles(kept)["p50"]  # an estimate, not a re-read


def test_an_empty_or_all_rejected_unit_merges_as_nothing():
    stats = run_stats([np.array([0.1, 0.2]), np.array([0.3, 0.4])], threshold=0.35)
    from_sketch = sketch_percentiles(stats["clip"]["sketches"]["clip_score"], PERCENTILES)
    assert from_sketch["n"] == 1 and from_sketch["p50"] == 0.4
    empty = sketch_percentiles(run_stats([np.array([0.1])], 0.5)["clip"]["sketches"]["clip_score"],
                               PERCENTILES)
    assert empty["n"] == 0 and empty["p50"] is None


def test_the_threshold_and_direction_come_from_the_merged_reject_counts():
    rng = np.random.default_rng(3)
    stats = run_stats([rng.normal(0.3, 0.05, 500) for _ in range(4)], threshold=0.28)
    votes = stats["clip"]["reject_thresholds"]
    assert votes["scored"] == votes["below"] == stats["clip"]["rejected"] > 0
    col = column_from_stats("clip_score", "clip", stats["clip"], None)
    assert (col.threshold, col.direction) == (0.28, ">=")
    nothing_rejected = run_stats([np.array([0.5, 0.6])], threshold=0.28)["clip"]
    col = column_from_stats("clip_score", "clip", nothing_rejected, {"min_score": 0.3})
    assert (col.threshold, col.direction) == (0.3, ">=")


def test_a_unit_without_sketches_marks_the_merge_partial():
    older = unit_stats(unit_table(np.array([0.3, 0.4]), 0.28), ORDER, RANGES)
    del older["clip"]["sketches"]  # a done file written before sketches existed (resume)
    total = merge_stats(run_stats([np.array([0.5])], 0.28), older)
    assert total["clip"]["sketches_partial"] and "sketches_partial" not in total["read"]
