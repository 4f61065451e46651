"""Ray side of ``loomery dedup``: sign every chunk in Ray tasks, then collect the results.

A signing task writes its chunk's band rows as Parquet sorted by bucket (one row group per
bucket, so that each bucket task of the global step reads only its rows) and the chunk's ids;
files are published by rename, so a rerun skips finished chunks. The global step itself is the
runner's (:func:`engine.runner.global_step.run_global_stage`).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import ray

from engine import columns as C
from filters.dedup.collection_read import iter_parquet_parts, row_groups_of


def _publish(table: pa.Table, path: Path, **options) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, str(tmp), **options)
    os.replace(tmp, path)


@ray.remote
def _read_parts(path: str, spans: list[tuple[int, int]], columns: list[str]):
    yield from iter_parquet_parts(path, spans, columns)  # a streaming generator: one part per chunk


@ray.remote
def _sign_chunk(stage, chunk, id_field: str, text_field: str, sig_path: str, ids_path: str, table=None) -> int:
    ids, lengths, rows = stage.read_and_sign(chunk, id_field, text_field, table)
    seq = np.arange(chunk.first_seq, chunk.first_seq + len(ids), dtype=np.int64)
    id_array = pa.array(ids) if ids else pa.array([], pa.string())
    if pa.types.is_null(id_array.type):
        id_array = id_array.cast(pa.string())
    _publish(
        pa.table({"seq": seq, "id": id_array, "length": pa.array(lengths, pa.int64())}),
        Path(ids_path),
    )
    # Rows come sorted by bucket; one row group per bucket or so. Dictionaries only where
    # values repeat (trying them on hashes costs time for nothing).
    _publish(
        rows,
        Path(sig_path),
        row_group_size=max(1, rows.num_rows // stage.buckets + 1),
        use_dictionary=["bucket", "band", C.UNIT],
    )
    return rows.num_rows


def sign_all(
    stage, chunks, work: Path, id_field: str, text_field: str, max_in_flight: int | None = None
) -> list[str]:
    """Sign every chunk not signed yet; returns the signature files of all chunks."""
    (work / "signatures").mkdir(parents=True, exist_ok=True)
    (work / "ids").mkdir(parents=True, exist_ok=True)
    limit = max_in_flight or max(2, int(ray.cluster_resources().get("CPU", 2)) * 2)
    stage_ref = ray.put(stage)
    files, pending, in_flight = [], [], []
    for chunk in chunks:
        sig = work / "signatures" / f"{chunk.index:06d}.parquet"
        ids = work / "ids" / f"{chunk.index:06d}.parquet"
        files.append(str(sig))
        if not (sig.exists() and ids.exists()):
            pending.append((chunk, str(sig), str(ids)))
    tables = _shared_reads(pending, [id_field, text_field])
    while pending or in_flight:
        while pending and len(in_flight) < limit:
            chunk, sig, ids = pending.pop(0)
            parts = tables.pop(chunk.index, None)
            table = None if parts is None else next(parts)  # waits until the reader yields it
            in_flight.append(_sign_chunk.remote(stage_ref, chunk, id_field, text_field, sig, ids, table))
        done, in_flight = ray.wait(in_flight, num_returns=1)
        ray.get(done)
    return files


def _shared_reads(pending, columns: list[str]) -> dict:
    """Chunk index -> the reader whose next part holds its rows, for Parquet chunks that share
    row groups with other pending chunks: one task reads those row groups once and yields each
    chunk its part in chunk order (each chunk reading for itself would decode a large row group
    once per chunk)."""
    by_groups: dict[tuple, list] = {}
    for chunk, _, _ in pending:
        if chunk.path.endswith(".parquet"):
            key = (chunk.path, row_groups_of(chunk.path, chunk.start, chunk.stop))
            by_groups.setdefault(key, []).append(chunk)
    refs = {}
    for (path, _), chunks in by_groups.items():
        if len(chunks) < 2:
            continue
        reader = _read_parts.remote(path, [(c.start, c.stop) for c in chunks], columns)
        refs.update((c.index, reader) for c in chunks)
    return refs


def write_results(decisions: pa.Table, chunks, work: Path, out: Path) -> dict:
    """``out/duplicates.parquet`` (id, cluster, dup_of, similarity, seq) from the decisions;
    returns counts for the stats."""
    seq = pc.cast(decisions["key"], pa.int64()).to_numpy() if decisions.num_rows else np.zeros(0)
    dup_of = decisions["dup_of"]
    dup_seq = pc.cast(dup_of, pa.int64())
    wanted = np.unique(np.r_[seq, dup_seq.drop_null().to_numpy()]).astype(np.int64)
    id_of = _ids_of(wanted, chunks, work)
    keys = [id_of[s] for s in seq.tolist()]
    dup_ids = [None if d is None else id_of[d] for d in dup_seq.to_pylist()]
    table = pa.table(
        {
            "id": pa.array(keys) if keys else pa.array([], pa.string()),
            "cluster": decisions["cluster"] if decisions.num_rows else pa.array([], pa.int64()),
            "dup_of": pa.array(dup_ids) if dup_ids else pa.array([], pa.string()),
            "similarity": decisions["score"] if decisions.num_rows else pa.array([], pa.float64()),
            "seq": pa.array(seq, pa.int64()),
        }
    )
    if pa.types.is_null(table["dup_of"].type) and table.num_rows:
        table = table.set_column(2, "dup_of", table["dup_of"].cast(table["id"].type))
    # Each cluster's keeper first, then its duplicates in input order.
    table = table.append_column("_dup", pc.is_valid(table["dup_of"]))
    table = table.sort_by([("cluster", "ascending"), ("_dup", "ascending"), ("seq", "ascending")])
    table = table.drop_columns(["_dup"])
    _publish(table, out / "duplicates.parquet")
    clusters = int(pc.count_distinct(table["cluster"]).as_py()) if table.num_rows else 0
    return {
        "clustered": table.num_rows,
        "clusters": clusters,
        "duplicates": table.num_rows - clusters,
    }


def _ids_of(seqs: np.ndarray, chunks, work: Path) -> dict:
    """Input ids of the documents at the given input positions (read chunk by chunk)."""
    out: dict = {}
    starts = np.array([c.first_seq for c in chunks], np.int64)
    owner = np.searchsorted(starts, seqs, side="right") - 1
    for index in np.unique(owner):
        table = pq.read_table(work / "ids" / f"{chunks[index].index:06d}.parquet")
        mine = seqs[owner == index]
        rows = pa.array(mine - chunks[index].first_seq)
        for s, value in zip(mine.tolist(), table["id"].take(rows).to_pylist(), strict=True):
            out[s] = value
    return out
