"""Run-time accounting: per-stage counts, times, score histograms and quantile sketches of the
kept records' scores, computed per unit while a run goes and merged across units into
``stats.json`` by finalize (O(units) merges; no record is read again on the driver).

Reading a finished folder's stats back (tables, pass rates, percentiles) is
``engine/output/stats.py``'s concern, not this module's.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine import columns as C
from engine.quantiles import merge_sketches, sketch_of

BINS = 20


def unit_stats(
    table: pa.Table, stage_order: list[str], score_ranges: dict[str, dict[str, tuple[float, float]]]
) -> dict[str, dict[str, Any]]:
    """Stats of one finished unit: for each stage in chain order, records in, kept, rejected by
    reason, seconds, histograms of its score columns (every record that stage scored) and KLL
    sketches of the same columns over the records the unit keeps (the card's percentiles)."""
    stages = table.column(C.REJECT_STAGE).to_pylist()
    reasons = table.column(C.REJECT_REASON).to_pylist()
    by_stage: dict[str, Counter] = {}
    for stage, reason in zip(stages, reasons, strict=True):
        if stage is not None:
            by_stage.setdefault(stage, Counter())[reason or "unspecified"] += 1
    unknown = set(by_stage) - set(stage_order)
    if unknown:
        raise ValueError(f"rows rejected by stages outside the chain: {sorted(unknown)}")
    alive = table.num_rows
    scored = sorted({c for ranges in score_ranges.values() for c in ranges if c in table.column_names})
    # the score columns only: filtering the whole table would copy every kept image's bytes
    kept = table.select(scored).filter(pc.is_null(table.column(C.REJECT_STAGE)))
    out: dict[str, dict[str, Any]] = {}
    for name in stage_order:
        rejected = sum(by_stage.get(name, Counter()).values())
        seconds_col = C.SECONDS_PREFIX + name
        seconds = table.column(seconds_col)[0].as_py() if seconds_col in table.column_names and table.num_rows else 0.0
        out[name] = {
            "in": alive,
            "kept": alive - rejected,
            "rejected": rejected,
            "reasons": dict(sorted(by_stage.get(name, Counter()).items())),
            "seconds": float(seconds or 0.0),
            "nodes": _node_counts(table, name),
            "histograms": {
                column: histogram(table, column, lo, hi)
                for column, (lo, hi) in score_ranges.get(name, {}).items()
                if column in table.column_names
            },
            "sketches": {
                column: sketch_of(_floats(kept, column))
                for column in score_ranges.get(name, {})
                if column in table.column_names
            },
            "reject_thresholds": _reject_thresholds(table, name) if score_ranges.get(name) else {},
        }
        alive -= rejected
    return out


def _node_counts(table: pa.Table, stage: str) -> dict[str, int]:
    column = C.NODE_PREFIX + stage
    if column not in table.column_names:
        return {}
    return dict(Counter(n for n in table.column(column).to_pylist() if n is not None))


def _reject_thresholds(table: pa.Table, stage: str) -> dict[str, Any]:
    """How often each threshold was the one a record of ``stage`` failed, and how many of those
    records scored below it (the card's threshold and direction without reading the rejects)."""
    if C.REJECT_SCORE not in table.column_names or C.REJECT_THRESHOLD not in table.column_names:
        return {"counts": {}, "scored": 0, "below": 0}
    mine = table.filter(pc.fill_null(pc.equal(table.column(C.REJECT_STAGE), stage), False))
    score, threshold = _values(mine, C.REJECT_SCORE), _values(mine, C.REJECT_THRESHOLD)
    both = np.isfinite(score) & np.isfinite(threshold)
    seen = Counter(threshold[both].tolist())  # first-seen order, as the rejects table's
    return {"counts": {repr(float(v)): n for v, n in seen.items()},
            "scored": int(both.sum()), "below": int((score[both] < threshold[both]).sum())}


def _values(table: pa.Table, column: str) -> np.ndarray:
    return pc.cast(table.column(column), pa.float64()).to_numpy(zero_copy_only=False)


def _floats(table: pa.Table, column: str) -> np.ndarray:
    values = pc.drop_null(table.column(column)).to_numpy(zero_copy_only=False).astype(np.float64)
    return values[np.isfinite(values)]


def histogram(table: pa.Table, column: str, lo: float, hi: float) -> dict[str, Any]:
    """A fixed-edge histogram of the non-null values of ``column`` (mergeable across units)."""
    values = _floats(table, column)
    edges = np.linspace(lo, hi, BINS + 1)
    counts, _ = np.histogram(np.clip(values, lo, hi), bins=edges)
    return {
        "edges": [float(e) for e in edges],
        "counts": [int(c) for c in counts],
        "below": int((values < lo).sum()),
        "above": int((values > hi).sum()),
        "n": int(values.size),
        "sum": float(values.sum()),
    }


def merge_stats(total: dict[str, dict[str, Any]], part: dict[str, dict[str, Any]]) -> dict:
    """Add ``part`` into ``total`` (both as produced by :func:`unit_stats`) and return ``total``."""
    for name, s in part.items():
        t = total.setdefault(name, {"in": 0, "kept": 0, "rejected": 0, "reasons": {},
                                    "seconds": 0.0, "nodes": {}, "histograms": {}})
        for node, n in s.get("nodes", {}).items():
            t["nodes"][node] = t["nodes"].get(node, 0) + n
        for k in ("in", "kept", "rejected", "seconds"):
            t[k] += s[k]
        for reason, n in s["reasons"].items():
            t["reasons"][reason] = t["reasons"].get(reason, 0) + n
        t["reasons"] = dict(sorted(t["reasons"].items()))
        for column, h in s["histograms"].items():
            if column not in t["histograms"]:
                t["histograms"][column] = {k: (list(v) if isinstance(v, list) else v) for k, v in h.items()}
                continue
            th = t["histograms"][column]
            th["counts"] = [a + b for a, b in zip(th["counts"], h["counts"], strict=True)]
            for k in ("below", "above", "n", "sum"):
                th[k] += h[k]
        votes = t.setdefault("reject_thresholds", {})
        for key, v in s.get("reject_thresholds", {}).items():
            if key == "counts":
                counts = votes.setdefault("counts", {})
                for thr, n in v.items():
                    counts[thr] = counts.get(thr, 0) + n
            else:
                votes[key] = votes.get(key, 0) + v
        sketches = t.setdefault("sketches", {})
        if s["histograms"] and "sketches" not in s:  # a unit finished by an older loomery
            t["sketches_partial"] = True
        for column, sketch in s.get("sketches", {}).items():
            sketches[column] = merge_sketches(sketches[column], sketch) if column in sketches else sketch
    return total
