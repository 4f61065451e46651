"""Benchmark: how the engine's run-wide steps grow with the run. Sections (``--part``):

``global``: the dedup global step alone (:mod:`engine.runner.global_step`) on synthetic
signatures. For each size N it writes, untimed, the per-unit partitioned signature files a
phase would write (``--unit-size`` records per unit) for N records of one shape:

- ``exact``: ExactDuplicates rows (key, 64-hex value, bucket); 10% of the records repeat an
  earlier record's value. At least 16 buckets, one per 100,000 records, as the stage plans them.
- ``near``: NearDuplicates rows, one text band row per record (key, band, band_hash, a 512-byte
  MinHash payload, pri); 5% of the records copy an earlier record's band (chains included), so
  the step finds edges and joins them into clusters. One bucket per 5,000 records, as planned.

With ``--bands F`` (near only) a record has F band rows (band 0..F-1, as TextSignal's 16) and
N counts band rows, so N / F records; a duplicate copies every band of its source. NearDuplicates
writes each record's payload once (``payloads``); ``--payload-in-bands`` runs the same rows with
the payload in every band row, the layout before, as the baseline.

Duplicates copy a record of their own 100-unit chunk or one of 1,000 originals shared by the
whole run (see :class:`Synthetic`), so clusters span units, buckets' partitions and chunks.

then runs the step on a local Ray with ``--workers`` CPUs and prints, per size: wall time, files
opened and bytes read by every task (counted in the read helper the step uses, not estimated),
the driver's and the workers' peak memory (PSS), and the fitted exponent of time against N
(goal <= 1.1). (The bucket-scan step it replaced, once timed with ``--old`` as the named
baseline, is gone with ``loomery dedup``'s own runtime.)

``plan``: planning time and driver memory for WARC path listings and a JSONL URL list
(:mod:`bench.scale_plan`; its own options follow ``--``). ``pipeline``: the engine-overhead ratio
against a single-process loop at 20k and 200k records (:mod:`bench.pipeline`; options after ``--``).

    python -m bench.scale --part global --sizes 100000 1000000 --shape exact near
    python -m bench.scale --part global --sizes 100000 1000000 --shape near --bands 16 [--payload-in-bands]
    python -m bench.scale --part plan -- --warc-paths 10 10000
    python -m bench.scale --part pipeline
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from bench.common import PeakRss

RECORDS_PER_NEAR_BUCKET = 5000
RECORDS_PER_EXACT_BUCKET = 100_000


def buckets_for(shape: str, n: int) -> int:
    """Buckets as the stages plan them: at least 16, one per 100,000 records (exact) or per
    5,000 records (near)."""
    return max(16, -(-n // (RECORDS_PER_EXACT_BUCKET if shape == "exact" else RECORDS_PER_NEAR_BUCKET)))


class Synthetic:
    """Signature rows of records ``[lo, hi)`` of one shape, made a chunk at a time (memory: one
    chunk). Duplicates copy an earlier record of their chunk (chains form) or one of ``POOL``
    originals shared by the whole run, so clusters span units and chunks."""

    POOL = 1000

    def __init__(self, shape: str, n: int, seed: int = 0, bands: int = 1):
        self.shape, self.n, self.buckets = shape, n, buckets_for(shape, n)
        self.bands = bands if shape == "near" else 1
        self.records = n // self.bands
        rng = np.random.default_rng(seed)
        self.pool_value = rng.integers(0, 2**63, self.POOL, dtype=np.int64)
        self.pool_band = rng.integers(0, 9, self.POOL).astype(np.int32)
        self.pool_hash = rng.integers(0, 2**63, (self.POOL, self.bands), dtype=np.int64).view(np.uint64)
        self.pool_payload = rng.integers(0, 2**32, (self.POOL, 128), dtype=np.uint64).astype(np.uint32)

    def chunk(self, lo: int, hi: int) -> pa.Table:
        """The rows of records ``[lo, hi)`` (``bands`` rows each for the near shape)."""
        from engine import columns as C

        n, rng = hi - lo, np.random.default_rng(lo + 1)
        seq = np.arange(lo, hi, dtype=np.int64)
        keys = np.char.add("k", seq.astype(str))
        share = 0.10 if self.shape == "exact" else 0.05
        dup = np.flatnonzero(rng.random(n) < share)
        dup = dup[dup > 0]
        from_pool = rng.random(len(dup)) < 0.2
        source = (rng.random(len(dup)) * dup).astype(np.int64)  # an earlier record of the chunk
        pool = rng.integers(0, self.POOL, len(dup))
        if self.shape == "exact":
            value = rng.integers(0, 2**63, n, dtype=np.int64)
            value[dup] = np.where(from_pool, self.pool_value[pool], value[source])
            hexes = pa.array(np.char.zfill(np.char.mod("%x", value.view(np.uint64)), 64))
            table = pa.table({"value": hexes, "key": pa.array(keys),
                              "bucket": pa.array(value.view(np.uint64) % np.uint64(self.buckets), pa.int64())})
        else:
            band = rng.integers(0, 9, n).astype(np.int32)
            band_hash = rng.integers(0, 2**63, (n, self.bands), dtype=np.int64).view(np.uint64)
            payload = rng.integers(0, 2**32, (n, 128), dtype=np.uint64).astype(np.uint32)
            for d, s, p, f in zip(dup.tolist(), source.tolist(), pool.tolist(), from_pool.tolist(), strict=True):
                if f:
                    band[d], band_hash[d], payload[d] = self.pool_band[p], self.pool_hash[p], self.pool_payload[p]
                else:  # in order, so that copies of copies form chains
                    band[d], band_hash[d], payload[d] = band[s], band_hash[s], payload[s]
            if self.bands > 1:  # one row per band of each record, as TextSignal makes them
                band = np.tile(np.arange(self.bands, dtype=np.int32), n)
                seq, keys = np.repeat(seq, self.bands), np.repeat(keys, self.bands)
                payload = np.repeat(payload, self.bands, axis=0)
            band_hash, rows = band_hash.reshape(-1), n * self.bands
            offsets = np.arange(0, (rows + 1) * 512, 512, dtype=np.int32)
            table = pa.table({
                "key": pa.array(keys),
                "bucket": pa.array(band_hash % np.uint64(self.buckets), pa.int64()),
                "signal": pa.array(["text"] * rows, pa.string()),
                "band": pa.array(band, pa.int32()),
                "band_hash": pa.array(band_hash, pa.uint64()),
                "payload": pa.Array.from_buffers(pa.binary(), rows, [None, pa.py_buffer(offsets),
                                                                     pa.py_buffer(payload.view(np.uint8).reshape(-1))]),
                "pri": pa.array(np.zeros(rows), pa.float64()),
            })
        return table.append_column(C.SEQ, pa.array(seq))


def stage_for(shape: str, buckets: int):
    from filters import ExactDuplicates
    from filters.dedup import NearDupConfig, NearDuplicates

    if shape == "exact":
        stage = ExactDuplicates(column="value", buckets=buckets)
    else:
        stage = NearDuplicates(text_column="caption", image=False,
                               config=NearDupConfig(buckets=buckets, records_per_bucket=None))
    stage.plan_buckets(0)
    return stage


def write_units(data: Synthetic, folder: Path, unit_size: int, partitions: int, stage) -> list[str]:
    """The phase's signature files, per unit (``unit_size`` records), partitioned as the runner
    writes them (with the payloads once per record where the stage has ``payloads``)."""
    from engine import columns as C
    from engine.runner.partition_files import write_partitioned, write_payloads

    buckets, folders, chunk = data.buckets, [], 100 * unit_size
    for unit, lo in enumerate(range(0, data.records, unit_size)):
        if lo % chunk == 0:
            table = data.chunk(lo, min(data.records, lo + chunk))
        rows = table.slice((lo % chunk) * data.bands, unit_size * data.bands)
        rows = rows.append_column(C.UNIT, pa.array(np.full(rows.num_rows, unit, np.int64)))
        path = folder / f"u{unit:06d}"
        path.mkdir(parents=True)
        if getattr(stage, "payloads", False):
            rows, payloads = stage.split_payloads(rows)
            write_payloads(payloads, path, partitions)
        write_partitioned(rows, path, buckets, partitions)
        folders.append(str(path))
    return folders


def run_global_size(shape: str, n: int, args) -> dict:
    import ray

    from engine.runner.global_step import StepInputs, plan_partitions, run_global_step

    data = Synthetic(shape, n, bands=args.bands)
    buckets = data.buckets
    stage = stage_for(shape, buckets)
    if args.payload_in_bands:
        stage.payloads = False  # the layout before payloads travelled once per record
    parts = plan_partitions(stage, n)
    work = Path(tempfile.mkdtemp(prefix=f"scale-{shape}-", dir=args.tmp))
    try:
        files = write_units(data, work / "p0", args.unit_size, parts, stage)
        signature_bytes = sum(f.stat().st_size for f in (work / "p0").rglob("*") if f.is_file())
        out = {"shape": shape, "n": n, "records": data.records, "bands": data.bands, "units": len(files),
               "buckets": buckets, "partitions": parts, "payloads_once": bool(getattr(stage, "payloads", False)),
               "signature_bytes": signature_bytes}
        with PeakRss(os.getpid()) as peak:
            start = time.perf_counter()
            summary = run_global_step(StepInputs(stage, files, parts, work / "g0"),
                                      max_in_flight=args.workers * 2)
            out.update(opens=summary["io"]["opens"], bytes_read=summary["io"]["bytes_read"],
                       bytes_written=summary["io"]["bytes_written"], subranges=summary["subranges"],
                       decision_rows=summary["decision_rows"], steps=summary["seconds"])
            out["seconds"] = round(time.perf_counter() - start, 2)
        out["driver_peak_mb"] = round(peak.peaks["driver"] / 2**20)
        out["workers_peak_mb"] = round(peak.peaks["workers"] / 2**20)
        ray.get([])  # keep the session warm between sizes
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def fitted_exponent(rows: list[dict]) -> float | None:
    """Slope of log(seconds) against log(N): 1.0 is linear."""
    if len(rows) < 2:
        return None
    return round(float(np.polyfit(np.log([r["n"] for r in rows]), np.log([r["seconds"] for r in rows]), 1)[0]), 3)


def part_global(args) -> dict:
    import ray

    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             object_store_memory=int(os.environ.get("LOOMERY_OBJECT_STORE_MB", "512")) << 20)
    results = {}
    try:
        for shape in args.shape:
            run_global_size(shape, 2000, args)  # warm-up: start the workers, import the stages
            rows = []
            for n in args.sizes:
                row = run_global_size(shape, n, args)
                print(json.dumps(row), flush=True)
                rows.append(row)
            results[shape] = {"sizes": rows, "exponent": fitted_exponent(rows)}
    finally:
        ray.shutdown()
    return results


def part_plan(args) -> None:
    from bench import scale_plan

    scale_plan.main(args.rest)


def part_pipeline(args) -> None:
    from bench import pipeline

    pipeline.main(args.rest)


PARTS = {"global": part_global, "plan": part_plan, "pipeline": part_pipeline}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=sorted(PARTS), default="global")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--shape", choices=["exact", "near"], nargs="+", default=["exact", "near"])
    parser.add_argument("--unit-size", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tmp", default=None, help="where the synthetic signature files go")
    parser.add_argument("--bands", type=int, default=1,
                        help="near shape: band rows per record (16: TextSignal's default); N counts rows")
    parser.add_argument("--payload-in-bands", action="store_true",
                        help="near shape: the payload in every band row (the layout before it travelled once)")
    parser.add_argument("rest", nargs="*", help="options of the plan and pipeline parts, after --")
    args = parser.parse_args(argv)
    result = PARTS[args.part](args)
    if result is not None:  # the plan and pipeline parts print their own JSON line
        print(json.dumps({"bench": f"scale.{args.part}", **result}, sort_keys=True))


if __name__ == "__main__":
    main()
