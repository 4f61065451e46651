"""Score columns of a run: which stage owns each, its threshold and direction, and what-ifs.

Everything is derived from what the run stored: ``stats.json`` histograms (which stage scored
which column, over every record the stage saw), the rejects table (the threshold each rejected
record failed, and on which side) and the kept records' Parquet sidecars.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.output.folder import OutputFolder

PERCENTILES = (1, 5, 25, 50, 75, 95, 99)
# Used only when no record was rejected, so the rejects cannot tell the direction.
_HIGH_IS_BAD = ("nsfw", "toxic", "unsafe", "hallucination", "crosscheck", "watermark", "dup",
                "perplexity", "unsupported")


@dataclass
class ScoreColumn:
    """One numeric score column: its owning stage, threshold, direction and stored values."""

    name: str
    stage: str | None = None
    threshold: float | None = None
    keep_above: bool = True  # True: records scoring >= threshold are kept (CLIP); False: <= (NSFW)
    histogram: dict | None = None  # {"edges": [...], "counts": [...]} over every record seen
    kept_values: np.ndarray = field(default_factory=lambda: np.empty(0))
    rejected_values: np.ndarray = field(default_factory=lambda: np.empty(0))
    exact_kept: float | None = None  # the run's own outcome at its threshold, when it is known

    @property
    def direction(self) -> str:
        return ">=" if self.keep_above else "<="

    def kept_at(self, threshold: float) -> float | None:
        """Fraction of the records this stage saw that a ``threshold`` would keep.

        From stored values when every record the stage rejected failed this threshold (see
        ``_from_stored``), else from the stage's histogram (linear within a bin), else from the
        stored values of kept records plus the records this stage rejected.
        """
        if self.exact_kept is not None and self.kept_values.size:
            return self._from_stored(threshold)
        if self.histogram and _histogram_total(self.histogram):
            return _histogram_fraction(self.histogram, threshold, self.keep_above)
        values = np.concatenate([self.kept_values, self.rejected_values])
        if not values.size:
            return None
        hits = values >= threshold if self.keep_above else values <= threshold
        return float(hits.mean())

    def _from_stored(self, threshold: float) -> float:
        """Exact for looser thresholds; for stricter ones the records that passed this stage
        are assumed to score like the kept records (those rejected later kept no score)."""
        def passing(values: np.ndarray) -> np.ndarray:
            return values >= threshold if self.keep_above else values <= threshold

        passed_here = self.exact_kept
        rejected_here = 1.0 - passed_here
        rejected_pass = float(passing(self.rejected_values).mean()) if self.rejected_values.size else 0.0
        return passed_here * float(passing(self.kept_values).mean()) + rejected_here * rejected_pass

    def what_if(self, thresholds: list[float] | None = None) -> list[tuple[float, float]]:
        """(threshold, kept fraction) around the run's threshold, or across the column's range."""
        if thresholds is None:
            thresholds = what_if_thresholds(self)
        out = []
        for t in thresholds:
            frac = self.kept_at(t)
            if frac is not None:
                out.append((t, frac))
        return out


def what_if_thresholds(col: ScoreColumn, n: int = 5) -> list[float]:
    """Thresholds to compare: the run's own and two steps either side (0.02 for CLIP-like)."""
    lo, hi = view_range(col)
    if col.threshold is None:
        return [round(float(v), 4) for v in np.linspace(lo, hi, n + 2)[1:-1]]
    step = _nice_step((hi - lo) / 16)
    half = n // 2
    digits = max(0, int(-np.floor(np.log10(step))) + 1)
    out = [round(col.threshold + (i - half) * step, digits) for i in range(n)]
    return [t for t in out if lo <= t <= hi] or [col.threshold]


def view_range(col: ScoreColumn) -> tuple[float, float]:
    """The part of the column's range that holds data (and the threshold), a bin either side."""
    lo, hi = _range(col)
    hist = col.histogram
    if hist and hist.get("counts") and any(hist["counts"]):
        edges, counts = hist["edges"], hist["counts"]
        nonzero = [i for i, c in enumerate(counts) if c]
        first = 0 if hist.get("below") else max(nonzero[0] - 1, 0)
        last = len(counts) if hist.get("above") else min(nonzero[-1] + 2, len(counts))
        lo, hi = float(edges[first]), float(edges[last])
    if col.threshold is not None:
        lo, hi = min(lo, col.threshold), max(hi, col.threshold)
    return lo, hi


def percentiles(values: np.ndarray) -> dict:
    """``{"n", "mean", "p1", ..., "p99"}`` of the finite values (None when there are none)."""
    values = values[np.isfinite(values)]
    out: dict = {"n": int(values.size)}
    if not values.size:
        return out | {"mean": None} | {f"p{p}": None for p in PERCENTILES}
    out["mean"] = round(float(values.mean()), 6)
    for p, v in zip(PERCENTILES, np.percentile(values, PERCENTILES), strict=True):
        out[f"p{p}"] = round(float(v), 6)
    return out


def score_columns(folder: OutputFolder, metadata: pa.Table | None = None) -> list[ScoreColumn]:
    """Every score column of the run, in pipeline order, with threshold and stored values."""
    if metadata is None:
        metadata = folder.numeric_metadata()
    rejects = folder.rejects()
    stages = folder.stage_stats()
    cols: dict[str, ScoreColumn] = {}
    for stage in folder.stage_order():
        for name, hist in (stages.get(stage, {}).get("histograms") or {}).items():
            cols[name] = ScoreColumn(name, stage=stage, histogram=hist)
    for name in metadata.column_names:
        if name not in cols and _is_score(metadata.schema.field(name).type, name):
            cols[name] = ScoreColumn(name)
    configs = {s.get("name"): s for s in folder.manifest.get("job", {}).get("stages", [])}
    for col in cols.values():
        if col.name in metadata.column_names:
            col.kept_values = _floats(metadata.column(col.name))
        _apply_rejects(col, rejects)
        _apply_outcome(col, stages.get(col.stage or "", {}))
        if col.threshold is None and col.stage in configs:
            _apply_config(col, configs[col.stage])
    return list(cols.values())


def column_from_stats(name: str, stage: str, stage_stats: dict, config: dict | None) -> ScoreColumn:
    """A score column's stage, threshold and direction from the run's merged ``stats.json``
    alone (O(1) per column, no rejects read): the rules of :func:`score_columns`, fed by the
    per-unit ``reject_thresholds`` counts (most frequent failed threshold; kept above it when
    most of the records it rejected scored below), else the stage's settings."""
    col = ScoreColumn(name, stage=stage, histogram=(stage_stats.get("histograms") or {}).get(name))
    col.keep_above = not any(w in name.lower() for w in _HIGH_IS_BAD)
    votes = stage_stats.get("reject_thresholds") or {}
    if votes.get("scored"):
        col.threshold = float(max(votes["counts"].items(), key=lambda kv: kv[1])[0])
        col.keep_above = votes["below"] / votes["scored"] >= 0.5
    if col.threshold is None and config:
        _apply_config(col, config)
    return col


def _apply_outcome(col: ScoreColumn, stage: dict) -> None:
    """When every record the stage rejected failed this threshold, its counts are the answer."""
    n_in, rejected = int(stage.get("in") or 0), int(stage.get("rejected") or 0)
    if col.threshold is not None and n_in and rejected == col.rejected_values.size:
        col.exact_kept = (n_in - rejected) / n_in


def _apply_config(col: ScoreColumn, config: dict) -> None:
    """Take the threshold from the stage's recorded settings when no reject carried one."""
    numeric = {k: v for k, v in config.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    words = set(col.name.lower().split("_"))
    ranked = sorted(numeric.items(), key=lambda kv: not words & set(kv[0].split("_")))
    for key, value in ranked:
        if key.startswith("min_") or key == "threshold":
            col.threshold, col.keep_above = float(value), key != "threshold" or col.keep_above
            return
        if key.startswith("max_"):
            col.threshold, col.keep_above = float(value), False
            return


def _apply_rejects(col: ScoreColumn, rejects: pa.Table) -> None:
    col.keep_above = not any(w in col.name.lower() for w in _HIGH_IS_BAD)
    if col.stage is None or not rejects.num_rows or "stage" not in rejects.column_names:
        return
    mine = rejects.filter(pc.equal(rejects.column("stage"), col.stage))
    if not mine.num_rows:
        return
    scores = _floats(mine.column("score")) if "score" in mine.column_names else np.empty(0)
    thresholds = (_floats(mine.column("threshold")) if "threshold" in mine.column_names
                  else np.empty(0))
    both = np.isfinite(scores) & np.isfinite(thresholds)
    if both.any():
        col.threshold = Counter(thresholds[both].tolist()).most_common(1)[0][0]
        col.keep_above = bool(np.mean(scores[both] < thresholds[both]) >= 0.5)
        col.rejected_values = scores[np.isfinite(scores)]


def _is_score(type_: pa.DataType, name: str) -> bool:
    if not pa.types.is_floating(type_):
        return False
    return name not in ("width", "height", "orig_width", "orig_height")


def _floats(column) -> np.ndarray:
    arr = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    return arr[np.isfinite(arr)] if arr.size else arr


def _range(col: ScoreColumn) -> tuple[float, float]:
    if col.histogram and col.histogram.get("edges"):
        return float(col.histogram["edges"][0]), float(col.histogram["edges"][-1])
    values = np.concatenate([col.kept_values, col.rejected_values])
    if values.size:
        return float(values.min()), float(values.max())
    return 0.0, 1.0


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 0.01
    exp = np.floor(np.log10(raw))
    for m in (1, 2, 5, 10):
        if m * 10**exp >= raw:
            return float(m * 10**exp)
    return float(10 ** (exp + 1))


def _histogram_total(hist: dict) -> float:
    return float(sum(hist.get("counts") or ()) + (hist.get("below") or 0) + (hist.get("above") or 0))


def _histogram_fraction(hist: dict, threshold: float, keep_above: bool) -> float:
    edges = np.asarray(hist["edges"], dtype=float)
    counts = np.asarray(hist["counts"], dtype=float)
    # Values outside the histogram's range are counted in "below" / "above" when present.
    under, over = float(hist.get("below") or 0), float(hist.get("above") or 0)
    total = counts.sum() + under + over
    below = under
    for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True):
        if threshold >= hi:
            below += c
        elif threshold > lo:
            below += c * (threshold - lo) / (hi - lo)
    return float((total - below) / total) if keep_above else float(below / total)
