"""The bucket-scan global step that ``loomery dedup`` still uses: ``decide`` runs once per bucket
as Ray tasks, each reading its bucket's rows of every chunk's signature file (reads = chunks x
buckets), then ``combine`` runs on the driver over every bucket's output. Each bucket's result
and the combined decisions are saved, so the step resumes. Jobs use
:mod:`engine.runner.global_step`, whose cost is linear; the command keeps this path until it
is moved onto the same partitioned files."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import ray

from engine import columns as C
from engine.runner.memory import release_unused_memory
from engine.stage import GlobalStage

DECISIONS = "decisions.parquet"


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex}")
    pq.write_table(table, str(tmp))
    os.replace(tmp, path)


def read_bucket(files: list[str], bucket: int) -> pa.Table:
    """Every unit's signature rows of one bucket, in input order."""
    tables = [pq.read_table(f, filters=[("bucket", "=", bucket)]) for f in files]
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return pq.read_schema(files[0]).empty_table() if files else pa.table({})
    table = pa.concat_tables(tables, promote_options="permissive")
    return table.sort_by([(C.UNIT, "ascending"), (C.SEQ, "ascending")])


@ray.remote
def _decide_bucket(stage: GlobalStage, files: list[str], bucket: int, dest: str) -> int:
    signatures = read_bucket(files, bucket)
    decided = stage.decide(signatures) if signatures.num_rows else None
    if decided is None:
        decided = pa.table({"key": pa.array([], pa.string())})
    _write_atomic(decided, Path(dest))
    rows = decided.num_rows
    del signatures, decided
    release_unused_memory()  # the worker goes on to other buckets and units
    return rows


def run_global_stage(
    stage: GlobalStage,
    signature_files: list[str],
    folder: Path,
    *,
    max_in_flight: int = 4,
    on_bucket: Callable[[int], None] = lambda b: None,
) -> pa.Table:
    """Decide ``stage`` over all signatures; returns the combined decisions (key, reason, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / DECISIONS
    if final.exists():
        return pq.read_table(final)
    bucket_file = {b: folder / f"bucket-{b:05d}.parquet" for b in range(stage.bucket_count)}
    pending = [b for b, path in bucket_file.items() if not path.exists()]
    in_flight: dict = {}
    while pending or in_flight:
        while pending and len(in_flight) < max_in_flight:
            b = pending.pop(0)
            in_flight[_decide_bucket.remote(stage, signature_files, b, str(bucket_file[b]))] = b
        done, _ = ray.wait(list(in_flight), num_returns=1)
        for ref in done:
            ray.get(ref)
            on_bucket(in_flight.pop(ref))
    decisions = stage.combine([pq.read_table(bucket_file[b]) for b in range(stage.bucket_count)])
    if "key" not in decisions.column_names:
        raise ValueError(f"global stage {stage.name!r}: combine() must return a 'key' column")
    if "reason" not in decisions.column_names:
        decisions = decisions.append_column("reason", pa.nulls(decisions.num_rows, pa.string()))
    _write_atomic(decisions, final)
    return decisions
