"""The end of a run: unit parts renamed to numbered shards, stats merged, manifest written last.

Renames follow a plan computed from the units' markers in input order, so a run killed half way
through renaming, restarted, finishes the same renames and nothing else.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from engine.atomic import write_json
from engine.output.card import write_card
from engine.output.rights import merge_rights
from engine.runner.failpoints import failpoint
from engine.runner.stats import merge_stats
from engine.runner.workdir import WorkDir
from engine.sinks.counts import write_counts
from engine.sinks.layout import METADATA, parquet_name, tar_name
from engine.sources.base import Unit
from schemas import SCHEMA_VERSION, check_manifest


def finalize(work: WorkDir, units: list[Unit], phase: int, job_record: dict[str, Any],
             models: list[dict[str, Any]], phases: list[dict[str, Any]],
             notes: list[str] = ()) -> dict[str, Any]:
    """Publish the final phase's unit outputs and write ``stats.json`` and ``manifest.json``."""
    out = work.out
    (out / "shards").mkdir(exist_ok=True)
    (out / "rejects").mkdir(exist_ok=True)
    (out / METADATA).mkdir(exist_ok=True)
    shards, rejects, moves = [], [], []
    stats: dict[str, Any] = {}
    rights: dict[str, Any] | None = {}  # None once a unit predates per-unit rights counts
    totals = {"inputs": 0, "kept": 0, "rejected": 0}
    for unit in units:
        info = work.done_info(phase, unit.index)
        folder = work.unit(phase, unit.index)
        for key in totals:
            totals[key] += info[key]
        merge_stats(stats, info["stats"])
        rights = merge_rights(rights, info.get("rights"))
        for part in info["parts"]:
            tar, sidecar = tar_name(len(shards)), parquet_name(len(shards))
            moves += [(folder / part["tar"], out / tar), (folder / part["parquet"], out / sidecar)]
            shards.append({"name": tar, "samples": part["samples"], "bytes": part["bytes"],
                           "sha256": part["sha256"], "parquet": sidecar,
                           "parquet_bytes": part["parquet_bytes"], "parquet_sha256": part["parquet_sha256"]})
        if info["rejects"]:
            name = f"rejects/{unit.index:05d}.parquet"
            moves.append((folder / info["rejects"]["file"], out / name))
            rejects.append({"name": name, "rows": info["rejects"]["rows"],
                            "bytes": info["rejects"]["bytes"], "sha256": info["rejects"]["sha256"]})
    for src, dst in moves:
        if src.exists():
            os.replace(src, dst)
            failpoint("finalize_move")
        elif not dst.exists():
            raise FileNotFoundError(f"{src} is missing and {dst} was never published")
    write_counts(out, shards)  # sizes.json, per-shard stats, __len__: O(shards) small files
    stats_doc = {"totals": totals, "stages": stats}
    if rights is not None:  # else the card counts every sidecar (engine/output/rights.py)
        stats_doc["rights"] = rights
    write_json(out / "stats.json", stats_doc)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "loomery_version": _version(),
        "code_version": _code_version(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "job": job_record,
        "models": models,
        "totals": totals,
        "stages": {name: {k: s[k] for k in ("in", "kept", "rejected", "reasons")}
                   for name, s in stats.items()},
        "phases": phases,
        "notes": list(notes),
        "shards": shards,
        "rejects": rejects,
    }
    problems = check_manifest(manifest)
    if problems:
        raise RuntimeError("refusing to write an inconsistent manifest: " + "; ".join(problems))
    failpoint("before_manifest")
    write_json(out / "manifest.json", manifest)
    shutil.rmtree(work.root, ignore_errors=True)
    write_card(out)
    return manifest


def _version() -> str:
    try:
        return metadata.version("loomery")
    except metadata.PackageNotFoundError:
        return "unknown"


def _code_version() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev.stdout.strip() or "unknown"
