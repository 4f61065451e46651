"""The stats of a finished output folder, for ``loomery stats``, ``loomery run`` and the card:
per-stage counts and pass rates, score percentiles, and their plain-text tables.

Everything here reads what a finished run wrote (``manifest.json``, ``stats.json``, the Parquet
sidecars and the rejects), never the tars. The stats a run computes while it goes (per unit,
merged across units into ``stats.json``) are ``engine/runner/stats.py``'s: a different concept,
run-time accounting, which this module only reads back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.output.folder import OutputFolder
from engine.output.scores import PERCENTILES, column_from_stats, percentiles, score_columns
from engine.quantiles import sketch_percentiles


def load_stats(out: str | Path) -> dict[str, Any]:
    """``totals`` and per-stage ``in``/``kept``/``rejected``/``reasons``/``seconds`` of a run."""
    out = Path(out)
    if not (out / "manifest.json").exists():
        raise FileNotFoundError(f"{out} has no manifest.json: the run has not finished")
    folder = OutputFolder(out)
    manifest, detail = folder.manifest, folder.stats.get("stages", {})
    stages = {}
    for name, counts in manifest["stages"].items():
        stages[name] = {**counts, "seconds": round(detail.get(name, {}).get("seconds", 0.0), 3),
                        "pass_rate": round(counts["kept"] / counts["in"], 4) if counts["in"] else None}
    return {"totals": manifest["totals"], "stages": stages, "shards": len(manifest["shards"]),
            "models": manifest.get("models", [])}


def format_stats(out: str | Path) -> str:
    """A plain-text table: one line per stage with its counts and top reasons."""
    stats = load_stats(out)
    t = stats["totals"]
    lines = [f"{'stage':<22}{'in':>8}{'kept':>8}{'rejected':>10}{'pass':>8}{'sec':>8}  reasons"]
    for name, s in stats["stages"].items():
        reasons = ", ".join(f"{r}={n}" for r, n in sorted(s["reasons"].items(), key=lambda x: -x[1]))
        rate = f"{100 * s['pass_rate']:.1f}%" if s["pass_rate"] is not None else "-"
        lines.append(f"{name:<22}{s['in']:>8}{s['kept']:>8}{s['rejected']:>10}{rate:>8}"
                     f"{s['seconds']:>8.2f}  {reasons}")
    lines.append(f"total: {t['inputs']} inputs = {t['kept']} kept + {t['rejected']} rejected; "
                 f"{stats['shards']} shards in {Path(out) / 'shards'}")
    for m in stats["models"]:
        flag = " (RANDOM WEIGHTS: test model)" if m.get("random_init") else ""
        lines.append(f"model: {m['name']} for {m.get('stage')}{flag}")
    return "\n".join(lines)


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


def kept_percentiles(folder: OutputFolder) -> tuple[dict, bool]:
    """Per score column ``{"stage", "threshold", "direction", "kept": {n, mean, p1..p99}}`` of
    the kept records, and whether it came from the run's sketches.

    The card's path at any size: the kept values' percentiles come from the KLL sketches the
    run merged into ``stats.json`` at finalize (O(units) merges; here O(columns), whatever the
    run's size; exact while a column holds <= 200 values, else within ~1.3% in rank), never
    from the sidecars; thresholds and directions from the per-unit reject counts merged in the
    same file (:func:`column_from_stats`), never from the rejects. A folder written before
    sketches existed, or resumed from units that predate them, falls back to
    :func:`score_percentiles` (exact; reads every sidecar and the rejects).
    """
    stages = folder.stage_stats()
    if not any("sketches" in s for s in stages.values()) or any(
            s.get("sketches_partial") for s in stages.values()):
        exact = score_percentiles(folder.path)["percentiles"]
        return {col: {k: e[k] for k in ("stage", "threshold", "direction", "kept")}
                for col, e in exact.items()}, False
    configs = {s.get("name"): s for s in folder.manifest.get("job", {}).get("stages", [])}
    out = {}
    for stage in folder.stage_order():
        for name, encoded in (stages.get(stage, {}).get("sketches") or {}).items():
            col = column_from_stats(name, stage, stages[stage], configs.get(stage))
            out[name] = {"stage": stage, "threshold": col.threshold, "direction": col.direction,
                         "kept": sketch_percentiles(encoded, PERCENTILES)}
    return out, True


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
