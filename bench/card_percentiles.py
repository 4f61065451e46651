"""The card's score percentiles at finalize: merged per-unit KLL sketches against the exact path
that reads the score columns of every sidecar, on the same synthetic output folder.

    .venv/bin/python bench/card_percentiles.py [--records 20000 200000] [--unit-size 2000]

For each size, units of ``--unit-size`` records with three score columns (a CLIP-like score with a
0.28 threshold rejecting about a third, two unthresholded scores) go through the runner's own
``unit_stats`` (timed: the worker-side cost of all unit stats, sketches included); their kept rows are written as
Parquet sidecars and their rejects as rejects files, and the unit stats merged with
``merge_stats`` (timed: the driver's merge) into ``stats.json``. Then ``kept_percentiles`` (ours,
what the card calls) against ``score_percentiles`` (the baseline: the card's path before
sketches), which reads every sidecar's score columns and the rejects for thresholds; ours reads
``stats.json`` only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import cpu_call as cpu  # noqa: E402
from bench.common import emit  # noqa: E402
from engine import columns as C  # noqa: E402
from engine.output.folder import OutputFolder  # noqa: E402
from engine.output.stats import kept_percentiles, score_percentiles  # noqa: E402
from engine.runner.stats import merge_stats, unit_stats  # noqa: E402

ORDER = ["read", "clip", "safety"]
RANGES = {"clip": {"clip_score": (-0.1, 0.5)},
          "safety": {"nsfw_score": (0.0, 1.0), "toxicity": (0.0, 1.0)}}
THRESHOLD = 0.28


def unit_table(rng: np.random.Generator, n: int) -> pa.Table:
    clip = rng.normal(0.3, 0.05, n)
    rejected = clip < THRESHOLD
    return pa.table({
        C.REJECT_STAGE: pa.array(["clip" if r else None for r in rejected], pa.string()),
        C.REJECT_REASON: pa.array(["low_clip" if r else None for r in rejected], pa.string()),
        C.REJECT_SCORE: pa.array(np.where(rejected, clip, np.nan), pa.float64()),
        C.REJECT_THRESHOLD: pa.array(np.where(rejected, THRESHOLD, np.nan), pa.float64()),
        "clip_score": clip, "nsfw_score": rng.beta(1, 9, n), "toxicity": rng.beta(1, 20, n),
    })


def build(out: Path, records: int, unit_size: int) -> dict:
    """Write the folder; return the worker-side and merge seconds and the sketch sizes."""
    rng = np.random.default_rng(0)
    (out / "metadata").mkdir(parents=True)
    (out / "rejects").mkdir()
    stats: dict = {}
    shards, rejects, unit_seconds, merge_seconds, sizes = [], [], 0.0, 0.0, []
    for index in range(0, records, unit_size):
        table = unit_table(rng, min(unit_size, records - index))
        start = time.process_time()
        part = unit_stats(table, ORDER, RANGES)
        unit_seconds += time.process_time() - start
        sizes += [len(s) for st in part.values() for s in st["sketches"].values()]
        start = time.process_time()
        merge_stats(stats, part)
        merge_seconds += time.process_time() - start
        alive = table[C.REJECT_STAGE].is_null()
        name = f"metadata/train-{len(shards):05d}.parquet"
        pq.write_table(table.filter(alive).select(["clip_score", "nsfw_score", "toxicity"]), out / name)
        shards.append({"name": name.replace("metadata", "shards").replace(".parquet", ".tar"),
                       "parquet": name})
        dropped = table.filter(pa.compute.invert(alive))
        rname = f"rejects/{len(rejects):05d}.parquet"
        pq.write_table(pa.table({"stage": dropped[C.REJECT_STAGE], "reason": dropped[C.REJECT_REASON],
                                 "score": dropped[C.REJECT_SCORE],
                                 "threshold": dropped[C.REJECT_THRESHOLD]}), out / rname)
        rejects.append({"name": rname})
    manifest = {"job": {"stages": [{"name": s} for s in ORDER[1:]]}, "shards": shards,
                "rejects": rejects, "stages": {k: {x: v[x] for x in ("in", "kept", "rejected", "reasons")}
                                               for k, v in stats.items()}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "stats.json").write_text(json.dumps({"stages": stats}))
    units = -(-records // unit_size)
    return {"units": units, "unit_stats_cpu_s": round(unit_seconds, 3),
            "merge_cpu_s": round(merge_seconds, 4), "merge_us_per_unit_column": round(
                1e6 * merge_seconds / (units * 3), 1),
            "sketch_b64_bytes_mean": round(float(np.mean(sizes))), "sketch_b64_bytes_max": max(sizes),
            "stats_json_bytes": (out / "stats.json").stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--unit-size", type=int, default=2_000)
    args = parser.parse_args()
    for records in args.records:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            built = build(out, records, args.unit_size)
            ours, (sketched, is_sketch) = cpu(lambda out=out: kept_percentiles(OutputFolder(out)))
            base, exact = cpu(lambda out=out: score_percentiles(out)["percentiles"])
            assert is_sketch and set(sketched) == {"clip_score", "nsfw_score", "toxicity"}
            assert all(sketched[c]["threshold"] == exact[c]["threshold"]
                       and sketched[c]["direction"] == exact[c]["direction"] for c in sketched)
            worst = max(abs(sketched[c]["kept"][f"p{p}"] - exact[c]["kept"][f"p{p}"])
                        for c in sketched for p in (5, 50, 95))
            emit(bench="card_percentiles", records=records, ours_cpu_s=round(ours, 3),
                 baseline_cpu_s=round(base, 3), ratio=round(base / ours, 2),
                 worst_abs_diff_p5_p50_p95=round(worst, 5), **built)


if __name__ == "__main__":
    main()
