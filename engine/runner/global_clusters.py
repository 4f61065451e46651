"""The connected-components step of a cluster stage's global step (``NearDuplicates``): every
decide task's edges joined into one graph as Ray tasks, then one decision row per record of
every cluster. Nothing is gathered on the driver: it reads only the edge files' footers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import ray

from engine import columns as C
from engine.atomic import write_json
from engine.runner.components import connected_components, owner
from engine.runner.global_tasks import edge_file, empty_rows
from engine.runner.partition_files import take_counts, write_parquet_atomic
from engine.runner.workdir import read_json


def _many(values: list, parts: int):
    """A task's return value for ``num_returns=parts`` (Ray wants one value when it is 1)."""
    return values[0] if parts == 1 else tuple(values)


def _refs(out, parts: int) -> list:
    return [out] if parts == 1 else list(out)


@ray.remote
def _load_edges(path: str) -> tuple[np.ndarray, np.ndarray]:
    table = pq.read_table(path)
    return table.column("seq").to_numpy(), table.column("other_seq").to_numpy()


@ray.remote
def _route_rows(path: str, column: str, parts: int):
    """End rows of one file, split by the task that owns their ``column`` value."""
    table = pq.read_table(path)
    return _many(_split_rows(table, column, parts), parts)


def _split_rows(table: pa.Table, column: str, parts: int) -> list[pa.Table]:
    who = owner(table.column(column).to_numpy(), parts) if table.num_rows else np.zeros(0, np.int64)
    return [table.filter(pa.array(who == q)) for q in range(parts)]


@ray.remote
def _join_labels(parts: int, labels: np.ndarray, *ends: pa.Table):
    """Add each end row's ``cluster`` (its node's label), routed by cluster."""
    table = pa.concat_tables([e for e in ends if e.num_rows] or [ends[0]], promote_options="permissive")
    if not table.num_rows:
        return _many([table.append_column("cluster", pa.array([], pa.int64()))] * parts, parts)
    seq = table.column("seq").to_numpy()
    at = np.searchsorted(labels[:, 0], seq)
    table = table.append_column("cluster", pa.array(labels[at, 1], pa.int64()))
    return _many(_split_rows(table, "cluster", parts), parts)


@ray.remote
def _decide_clusters(stage, out: str, *members: pa.Table):
    table = pa.concat_tables([m for m in members if m.num_rows] or [members[0]], promote_options="permissive")
    if table.num_rows and "cluster" in table.column_names:
        table = table.sort_by([("cluster", "ascending"), ("seq", "ascending")])
        decided = stage.cluster_decisions(table).sort_by([(C.UNIT, "ascending"), (C.SEQ, "ascending")])
    else:
        decided = empty_rows()
    write_parquet_atomic(decided, Path(out), row_group_size=65536)
    return decided.num_rows, take_counts()


EDGES_PER_TASK = 2_000_000  # edges one components task holds (a few tens of MB)


def cluster(stage_ref, decided: list[str], folder: Path, parts: int, counts: dict) -> list[str]:
    """Connected components over every decide task's edges, then one decision row per record
    of every cluster, in ``clusters-QQQQ.parquet`` files. Returns those files. The tasks per
    step grow with the edges (:data:`EDGES_PER_TASK`), up to ``parts``."""
    marker = folder / "clusters.json"
    if marker.exists():
        return read_json(marker)
    edge_files = [str(edge_file(d)) for d in decided]
    edges = 0
    for path in edge_files:
        edges += pq.read_metadata(path).num_rows
        counts["opens"] = counts.get("opens", 0) + 1  # the footer here, the whole file below
    if not edges:  # no duplicate anywhere: no cluster, no decision
        write_json(marker, [])
        return []
    parts = max(1, min(parts, -(-edges // EDGES_PER_TASK)))
    for path in edge_files + decided:  # each read once, by the tasks below
        counts["opens"] = counts.get("opens", 0) + 1
        counts["bytes_read"] = counts.get("bytes_read", 0) + Path(path).stat().st_size
    outs = [str(folder / f"clusters-{q:04d}.parquet") for q in range(parts)]
    labels = connected_components([_load_edges.remote(p) for p in edge_files], parts)
    ends = [_refs(_route_rows.options(num_returns=parts).remote(p, "seq", parts), parts) for p in decided]
    joined = [_refs(_join_labels.options(num_returns=parts).remote(parts, labels[q], *[row[q] for row in ends]),
                    parts) for q in range(parts)]
    done = [_decide_clusters.remote(stage_ref, outs[q], *[row[q] for row in joined]) for q in range(parts)]
    for _, io in ray.get(done):
        for name, value in io.items():
            counts[name] = counts.get(name, 0) + value
    write_json(marker, outs)
    return outs
