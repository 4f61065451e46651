"""Planning from metadata only: time and driver memory to plan WARC path listings and a large
JSONL URL list, against a named baseline measured in the same run.

    .venv/bin/python bench/scale_plan.py [--warc-paths 10 10000] [--jsonl-lines 10000000]

- WARC: a Common Crawl style ``warc.paths.gz`` listing N relative paths of files that do not
  exist (a planner that opened one would fail), planned by ``WarcSource`` at the docs job's unit
  size (1,000 pages); then the plan written as ``plan.json`` by the runner's own writer. Goal: 10,000
  paths in under 5 s. Baseline: reading the listing alone (gunzip + split lines).
- JSONL: a synthetic list of N lines, planned by ``UrlListSource``. Baseline: counting its lines
  in one pass over the file (the least a planner that counts records must do).
Time is measured without tracing; peak driver memory in a second run under ``tracemalloc``
(Python allocations of the planning call), beside the process's max RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import emit  # noqa: E402
from engine.atomic import write_json  # noqa: E402
from engine.sources.urls import UrlListSource  # noqa: E402
from engine.sources.warc import WarcSource  # noqa: E402


def measured(fn):
    """(seconds, traced peak MiB, result) of ``fn()``: timed bare, then traced."""
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    del result
    tracemalloc.start()
    result = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak / 2**20, result


def warc_listing(folder: Path, paths: int) -> Path:
    listing = folder / f"warc-{paths}.paths.gz"
    names = (f"crawl-data/CC-BENCH/segments/{i // 100:05d}/warc/CC-BENCH-{i:06d}.warc.gz"
             for i in range(paths))
    listing.write_bytes(gzip.compress("\n".join(names).encode() + b"\n"))
    return listing


def bench_warc(folder: Path, paths: int, unit_size: int) -> dict:
    listing = warc_listing(folder, paths)
    missing = str(folder / "no-such-mirror")
    base_s, _, lines = measured(lambda: gzip.decompress(listing.read_bytes()).splitlines())
    source = WarcSource([str(listing)], path_prefix=missing)

    def plan_and_save():
        units = source.plan(unit_size)
        write_json(folder / "plan.json", [u.to_dict() for u in units])
        return units

    plan_s, plan_mib, units = measured(lambda: source.plan(unit_size))
    saved_s, saved_mib, _ = measured(plan_and_save)
    return {"warc_paths": paths, "warc_units": len(units), "warc_plan_s": round(plan_s, 3),
            "warc_plan_and_save_s": round(saved_s, 3), "warc_plan_peak_mib": round(plan_mib, 1),
            "warc_plan_and_save_peak_mib": round(saved_mib, 1),
            "warc_plan_json_mib": round((folder / "plan.json").stat().st_size / 2**20, 1),
            "warc_listing_read_s": round(base_s, 4), "listing_lines": len(lines),
            "unit_pickled_bytes": len(pickle.dumps(units[0]))}


def jsonl_list(folder: Path, lines: int) -> Path:
    path = folder / f"urls-{lines}.jsonl"
    if path.exists():
        return path
    with open(path, "w") as out:
        for start in range(0, lines, 100_000):
            out.write("".join(json.dumps({"url": f"https://img{i % 997}.example/{i}.jpg",
                                          "caption": f"picture number {i}"}) + "\n"
                              for i in range(start, min(lines, start + 100_000))))
    return path


def count_lines(path: Path) -> int:
    count = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 24):
            count += block.count(b"\n")
    return count


def bench_jsonl(folder: Path, lines: int, unit_size: int) -> dict:
    path = jsonl_list(folder, lines)
    base_s, _, counted = measured(lambda: count_lines(path))
    source = UrlListSource([str(path)])
    plan_s, plan_mib, units = measured(lambda: source.plan(unit_size))
    return {"jsonl_lines": counted, "jsonl_bytes": path.stat().st_size, "jsonl_units": len(units),
            "jsonl_plan_s": round(plan_s, 4), "jsonl_plan_peak_mib": round(plan_mib, 2),
            "jsonl_estimated_records": sum(u.size for u in units),
            "jsonl_count_lines_s": round(base_s, 3), "jsonl_speedup": round(base_s / plan_s, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warc-paths", type=int, nargs="+", default=[10, 10_000])
    parser.add_argument("--warc-unit-size", type=int, default=1000)
    parser.add_argument("--jsonl-lines", type=int, default=10_000_000)
    parser.add_argument("--jsonl-unit-size", type=int, default=1000)
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "loomery-bench-plan"))
    args = parser.parse_args(argv)
    folder = Path(args.work)
    folder.mkdir(parents=True, exist_ok=True)
    result: dict = {"bench": "scale_plan"}
    for paths in args.warc_paths:
        for key, value in bench_warc(folder, paths, args.warc_unit_size).items():
            result[f"{key}@{paths}" if key.startswith("warc") else key] = value
    if args.jsonl_lines:
        result.update(bench_jsonl(folder, args.jsonl_lines, args.jsonl_unit_size))
    big = max(args.warc_paths)
    result.update({"ours": result[f"warc_plan_s@{big}"], "unit": "s to plan",
                   "goal": f"< 5 s for {big} WARC paths",
                   "driver_max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
    if args.jsonl_lines:
        result.update({"baseline": result["jsonl_count_lines_s"], "ratio": result["jsonl_speedup"],
                       "baseline_name": "one pass counting the JSONL list's lines"})
    emit(**result)


if __name__ == "__main__":
    main()
