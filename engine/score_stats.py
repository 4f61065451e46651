"""Score percentiles and pass rates of a finished run, for ``loomery stats`` and the card.

``score_percentiles(out_dir)`` reads the shards' Parquet sidecars and the rejects, so it works on
any output folder without touching the tars.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.report.folder import OutputFolder
from engine.report.scores import PERCENTILES, percentiles, score_columns


def score_percentiles(out_dir: str | Path) -> dict:
    """Per score column percentiles and a per-stage pass-rate table.

    Returns ``{"percentiles": {COLUMN: {"stage", "threshold", "direction", "kept": {n, mean,
    p1..p99}, "with_rejects": {...}}}, "pass_rates": [{"stage", "in", "kept", "rejected",
    "pass_rate", "reasons": {REASON: {"n", "share"}}}], "totals": {...}}``. ``kept`` covers the
    records in the shards; ``with_rejects`` adds the scores of the records that column's own stage
    rejected (records rejected later by another stage keep no score).
    """
    folder = OutputFolder(out_dir)
    out: dict = {"percentiles": {}, "pass_rates": pass_rates(folder),
                 "totals": dict(folder.manifest.get("totals", {}))}
    for col in score_columns(folder):
        out["percentiles"][col.name] = {
            "stage": col.stage,
            "threshold": col.threshold,
            "direction": col.direction,
            "kept": percentiles(col.kept_values),
            "with_rejects": percentiles(np.concatenate([col.kept_values, col.rejected_values])),
        }
    return out


def pass_rates(folder: OutputFolder) -> list[dict]:
    """One row per stage in pipeline order: in, kept, rejected, pass rate, reasons with shares."""
    rows = []
    stages = folder.stage_stats()
    for name in folder.stage_order():
        s = stages.get(name, {})
        n_in, kept, rejected = int(s.get("in", 0)), int(s.get("kept", 0)), int(s.get("rejected", 0))
        reasons = {
            reason: {"n": int(n), "share": round(n / n_in, 6) if n_in else None}
            for reason, n in sorted((s.get("reasons") or {}).items(), key=lambda kv: -kv[1])
        }
        rows.append({"stage": name, "in": n_in, "kept": kept, "rejected": rejected,
                     "pass_rate": round(kept / n_in, 6) if n_in else None,
                     "seconds": s.get("seconds"), "reasons": reasons})
    return rows


def format_percentiles(result: dict) -> str:
    """A plain-text table of ``score_percentiles`` output, for terminals."""
    head = ["column", "stage", "thr", "n"] + [f"p{p}" for p in PERCENTILES]
    lines = ["  ".join(f"{h:>10}" for h in head)]
    for name, entry in result["percentiles"].items():
        k = entry["kept"]
        thr = "" if entry["threshold"] is None else f"{entry['direction']}{entry['threshold']:g}"
        cells = [name, entry["stage"] or "", thr, str(k["n"])]
        cells += ["" if k[f"p{p}"] is None else f"{k[f'p{p}']:.4g}" for p in PERCENTILES]
        lines.append("  ".join(f"{c[:10]:>10}" for c in cells))
    return "\n".join(lines)
