"""The stats of a finished output folder, as a readable table or as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_stats(out: str | Path) -> dict[str, Any]:
    """``totals`` and per-stage ``in``/``kept``/``rejected``/``reasons``/``seconds`` of a run."""
    out = Path(out)
    manifest_path = out / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{out} has no manifest.json: the run has not finished")
    manifest = json.loads(manifest_path.read_text())
    stats_path = out / "stats.json"
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {"stages": {}}
    stages = {}
    for name, counts in manifest["stages"].items():
        detail = stats["stages"].get(name, {})
        stages[name] = {**counts, "seconds": round(detail.get("seconds", 0.0), 3),
                        "pass_rate": round(counts["kept"] / counts["in"], 4) if counts["in"] else None}
    return {"totals": manifest["totals"], "stages": stages, "shards": len(manifest["shards"]),
            "models": manifest.get("models", [])}


def format_stats(manifest_or_stats: dict[str, Any], out: str | Path) -> str:
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
