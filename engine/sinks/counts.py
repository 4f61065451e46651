"""Sample-count files beside a finished output's shards (engine/sinks/layout.py):
``metadata/sizes.json`` (the shard table of webdataset tooling and DataComp's resharder),
``metadata/train-NNNNN_stats.json`` per shard (img2dataset's layout, ``successes`` being what
DataComp's resharder reads) and ``shards/__len__`` (open_clip's count when no sizes.json is
beside the tars). Cost: one small file per shard plus two, written once, O(shards) in all.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.atomic import write_text
from engine.sinks.layout import LENGTH, METADATA, SHARDS, SIZES, stats_name


def shard_stats(shard: dict) -> dict:
    """img2dataset's per-shard stats for one manifest shard entry. Every sample of a shard is a
    success: records that failed are in ``rejects/`` with their reasons, counted per unit in
    stats.json rather than per shard, so no failure counts are claimed here."""
    n = int(shard["samples"])
    return {"count": n, "successes": n, "status_dict": {"success": n},
            "shard": shard["name"], "parquet": shard.get("parquet")}


def write_counts(out: str | Path, shards: list[dict]) -> dict[str, int]:
    """Write the count files for ``shards`` (manifest entries) under ``out``; returns sizes."""
    out = Path(out)
    (out / METADATA).mkdir(exist_ok=True)
    (out / SHARDS).mkdir(exist_ok=True)
    sizes = {s["name"].rsplit("/", 1)[-1]: int(s["samples"]) for s in shards}
    for shard in shards:
        write_text(out / stats_name(shard["name"]), json.dumps(shard_stats(shard), sort_keys=True))
    write_text(out / METADATA / SIZES, json.dumps(sizes, indent=0, sort_keys=True))
    write_text(out / SHARDS / LENGTH, f"{sum(sizes.values())}\n")
    return sizes


def read_sizes(out: str | Path) -> dict[str, int] | None:
    """``metadata/sizes.json`` of an output folder, or None when it has none."""
    path = Path(out) / METADATA / SIZES
    return json.loads(path.read_text()) if path.is_file() else None
