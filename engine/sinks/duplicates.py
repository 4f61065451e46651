"""The duplicates sink of ``loomery dedup``: which records are near-duplicates of which.

Records arrive from a dedup stage that rejects nothing and marks every member of a cluster
(``dup_cluster``: its keeper's key; ``dup_of_key``: null for the keeper; ``dup_similarity``;
see ``NearDuplicates(reject=False)``) and carry ``seq``, ``id`` and ``text`` from
:class:`~engine.sources.text.TextCollectionSource`. Per unit the sink writes those members (no
shard) to ``parts/`` of its folder; :meth:`DuplicatesSink.finish` then writes
``duplicates.parquet``: ``id``, ``cluster`` (numbered 0.. in the order of the keepers' rank),
``dup_of`` (the keeper's id; null for the keeper), ``similarity`` (its best verified similarity
to a cluster member; null for the keeper) and ``seq``, each cluster's keeper first, then its
duplicates in input order.

Cost: the parts hold the clustered records only (a few numbers and an id each); ``finish``
reads them all on the driver, O(clustered records), as the command always did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.runner.partition_files import write_parquet_atomic
from engine.sinks.base import ShardPart, Sink

DUPLICATES = "duplicates.parquet"
KEEP = ("first", "longest")  # the keep policies whose keeper rank the sink can number clusters by


class DuplicatesSink(Sink):
    """Writes the cluster members of each unit to ``folder/parts``; ``keep`` is the dedup
    stage's keep policy (``first``: keepers ranked by position; ``longest``: by text length,
    then position)."""

    def __init__(self, folder: str, *, keep: str = "first"):
        if keep not in KEEP:
            raise ValueError(f"keep must be one of {KEEP}, not {keep!r}")
        self.folder, self.keep = str(folder), keep

    def write(self, records: pa.Table, folder: str) -> list[ShardPart]:
        if not records.num_rows or "dup_cluster" not in records.column_names:
            return []
        members = records.filter(pc.is_valid(records.column("dup_cluster")))
        if not members.num_rows:
            return []
        texts = members.column("text").to_pylist()
        part = pa.table({
            "seq": members.column("seq"),
            "id": members.column("id"),
            "dup_cluster": members.column("dup_cluster"),
            "dup_of_key": members.column("dup_of_key"),
            "dup_similarity": pc.cast(members.column("dup_similarity"), pa.float64()),
            "length": pa.array([len(t or "") for t in texts], pa.int64()),
        })
        parts = Path(self.folder) / "parts"
        parts.mkdir(parents=True, exist_ok=True)
        first = int(pc.min(records.column("seq")).as_py())  # names the unit, whatever reruns it
        write_parquet_atomic(part, parts / f"{first:012d}.parquet")
        return []

    def finish(self, out: str | Path) -> dict[str, int]:
        """Write ``out/duplicates.parquet`` from the parts; returns the counts for the stats
        (``clustered``, ``clusters``, ``duplicates``)."""
        files = sorted((Path(self.folder) / "parts").glob("*.parquet"))
        members = [pq.read_table(f) for f in files]
        table = _duplicates(members, self.keep)
        write_parquet_atomic(table, Path(out) / DUPLICATES)
        clusters = int(pc.count_distinct(table["cluster"]).as_py()) if table.num_rows else 0
        return {"clustered": table.num_rows, "clusters": clusters, "duplicates": table.num_rows - clusters}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "folder": self.folder, "keep": self.keep}


def _duplicates(members: list[pa.Table], keep: str) -> pa.Table:
    """The duplicates table from every unit's cluster members (see the module's note)."""
    if not members:
        return pa.table({"id": pa.array([], pa.string()), "cluster": pa.array([], pa.int64()),
                         "dup_of": pa.array([], pa.string()), "similarity": pa.array([], pa.float64()),
                         "seq": pa.array([], pa.int64())})
    ids = [v for t in members for v in t["id"].to_pylist()]
    seq = np.concatenate([t["seq"].to_numpy() for t in members]).astype(np.int64)
    keeper_key = [k for t in members for k in t["dup_cluster"].to_pylist()]
    dup_key = [k for t in members for k in t["dup_of_key"].to_pylist()]
    length = np.concatenate([t["length"].to_numpy() for t in members])
    similarity = pa.concat_arrays([t["dup_similarity"].combine_chunks() for t in members])
    row_of = {str(s): i for i, s in enumerate(seq.tolist())}
    keepers = np.array([i for i, d in enumerate(dup_key) if d is None], np.int64)
    # Clusters numbered by their keepers' rank: position, or length (longest first) then position.
    order = np.lexsort((seq[keepers], -length[keepers] if keep == "longest" else np.zeros(len(keepers))))
    number = {str(seq[keepers[o]]): n for n, o in enumerate(order.tolist())}
    dup_ids = [None if d is None else ids[row_of[d]] for d in dup_key]
    table = pa.table({
        "id": pa.array(ids),
        "cluster": pa.array([number[k] for k in keeper_key], pa.int64()),
        "dup_of": pa.array(dup_ids),
        "similarity": similarity,
        "seq": pa.array(seq, pa.int64()),
    })
    if pa.types.is_null(table["dup_of"].type):
        table = table.set_column(2, "dup_of", table["dup_of"].cast(table["id"].type))
    # Each cluster's keeper first, then its duplicates in input order.
    table = table.append_column("_dup", pc.is_valid(table["dup_of"]))
    table = table.sort_by([("cluster", "ascending"), ("_dup", "ascending"), ("seq", "ascending")])
    return table.drop_columns(["_dup"])
