"""Re-pack a run's kept samples into shards of a new size, as a complete output folder.

The new folder has its own manifest in the same shape as a run's (so ``loomery verify`` accepts
it), the rejects and stats.json copied unchanged, and ``job.resharded_from`` naming the source.
Samples keep their order and their members' bytes; the Parquet sidecars are re-cut to match.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from engine.atomic import write_json
from engine.output.folder import OutputFolder, Sample, iter_tar_samples
from engine.sinks.counts import write_counts
from engine.sinks.files import DeterministicTar, describe, write_parquet
from engine.sinks.layout import METADATA, SHARDS, parquet_name, tar_name


def reshard(src: str | Path, dst: str | Path, samples_per_shard: int) -> dict:
    """Write ``src``'s samples into ``dst`` with ``samples_per_shard`` samples per shard.

    Returns the new manifest. ``dst`` must not hold a manifest already; nothing in ``src`` changes.
    """
    if samples_per_shard < 1:
        raise ValueError("samples_per_shard must be at least 1")
    folder = OutputFolder(src)
    dst = Path(dst)
    if (dst / "manifest.json").exists():
        raise FileExistsError(f"{dst} already holds an output (manifest.json); pick a new folder")
    if dst.resolve() == folder.path.resolve():
        raise ValueError("reshard writes a new folder; --out must differ from the input")
    (dst / SHARDS).mkdir(parents=True, exist_ok=True)
    (dst / METADATA).mkdir(parents=True, exist_ok=True)
    shards = list(_write_shards(folder, dst, samples_per_shard))
    write_counts(dst, shards)
    rejects = _copy_rejects(folder, dst)
    if (folder.path / "stats.json").exists():
        shutil.copyfile(folder.path / "stats.json", dst / "stats.json")
    manifest = dict(folder.manifest)
    manifest["job"] = {**manifest.get("job", {}), "resharded_from": {
        "path": str(folder.path.resolve()), "shards": len(folder.shards),
        "samples_per_shard": samples_per_shard,
        "created": datetime.now(UTC).isoformat(timespec="seconds")}}
    manifest["shards"], manifest["rejects"] = shards, rejects
    write_json(dst / "manifest.json", manifest)  # written last, atomically, as a run's is
    return manifest


def _sidecar_rows(folder: OutputFolder) -> Iterator[pa.Table]:
    for shard in folder.shards:
        yield pq.read_table(folder.path / shard["parquet"])


def _write_shards(folder: OutputFolder, dst: Path, n: int) -> Iterator[dict]:
    samples = (s for p in folder.shard_paths() for s in iter_tar_samples(p))
    sidecars = _sidecar_rows(folder)
    pending: list[pa.Table] = []
    pending_rows = 0
    index = 0
    batch: list[Sample] = []
    for sample in samples:
        batch.append(sample)
        if len(batch) == n:
            pending, pending_rows = _fill(sidecars, pending, pending_rows, n)
            meta, pending, pending_rows = _take(pending, pending_rows, n)
            yield _write_one(dst, index, batch, meta)
            index, batch = index + 1, []
    if batch:
        pending, pending_rows = _fill(sidecars, pending, pending_rows, len(batch))
        meta, pending, pending_rows = _take(pending, pending_rows, len(batch))
        yield _write_one(dst, index, batch, meta)


def _fill(sidecars: Iterator[pa.Table], pending: list[pa.Table], rows: int, need: int):
    while rows < need:
        table = next(sidecars, None)
        if table is None:
            raise ValueError("the Parquet sidecars hold fewer rows than the shards hold samples")
        pending.append(table)
        rows += table.num_rows
    return pending, rows


def _take(pending: list[pa.Table], rows: int, n: int):
    table = pa.concat_tables(pending, promote_options="permissive")
    return table.slice(0, n), [table.slice(n)], rows - n


def _write_one(dst: Path, index: int, samples: list[Sample], meta: pa.Table) -> dict:
    keys = [s.key for s in samples]
    if "key" in meta.column_names and meta.column("key").to_pylist() != keys:
        raise ValueError(f"shard {index}: Parquet sidecar keys differ from the tar's samples")
    tar_path, pq_path = tar_name(index), parquet_name(index)
    tar = DeterministicTar(str(dst / tar_path))
    for sample in samples:
        for ext, data in sample.members.items():
            tar.add(f"{sample.key}.{ext}", data)
    written = tar.close()
    side = write_parquet(meta, str(dst / pq_path))
    return {"name": tar_path, "samples": len(samples), "bytes": written.bytes,
            "sha256": written.sha256, "parquet": pq_path, "parquet_bytes": side.bytes,
            "parquet_sha256": side.sha256}


def _copy_rejects(folder: OutputFolder, dst: Path) -> list[dict]:
    out = []
    for entry in folder.manifest.get("rejects", []):
        target = dst / entry["name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder.path / entry["name"], target)
        written = describe(str(target))
        out.append({**entry, "bytes": written.bytes, "sha256": written.sha256})
    return out
