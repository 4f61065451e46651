"""The Ray tasks of the global step (see :mod:`engine.runner.global_step` for the design):
gather, decide and publish; a cluster stage's connected components are in
:mod:`engine.runner.global_clusters`.

Every task reads through the counting helpers of :mod:`engine.runner.partition_files` and returns
``(result, io_counts)``, so that the driver can report the files and bytes the step touched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import ray

from engine import columns as C
from engine.atomic import publish_file, temp_path, write_json
from engine.runner.memory import release_unused_memory
from engine.runner.partition_files import (
    count_write,
    read_ipc,
    read_parquet,
    signature_file,
    sorted_by_unit,
    split_by_bucket,
    take_counts,
    units_in_range,
    write_ipc_atomic,
    write_parquet_atomic,
)

OTHER_UNIT = "other_unit"  # a candidate pair's second record's unit (the first's is _unit)


def unit_decisions_file(folder: str | Path, unit: int) -> Path:
    return Path(folder) / "units" / f"u{unit:06d}.arrow"


def removed_keys(folders: list[str], unit: int) -> pa.Array | None:
    """Keys of ``unit`` that the global steps in ``folders`` reject (None: none)."""
    keys = []
    for folder in folders:
        path = unit_decisions_file(folder, unit)
        if path.exists():
            table = read_ipc(path).select(["key", "reason"])
            keys.append(table.filter(pc.is_valid(table.column("reason"))).column("key").combine_chunks())
    keys = [k for k in keys if len(k)]
    return pa.concat_arrays(keys) if keys else None


# gather ----------------------------------------------------------------------------------
@ray.remote
def gather(unit_folders: list[str], part: int, lo: int, hi: int, folder: str, target: int,
           stage_index: int = 0, removed_by: tuple[str, ...] = (), stage=None, clusters: bool = False):
    """Stream partition ``part``'s file of every unit into sub-range files of whole buckets,
    leaving out the records that the earlier global steps of the same phase (``removed_by``)
    reject, so that this step decides as if it ran after them. A partition that fits in one
    sub-range (``target`` bytes) is decided here, from memory, without the detour through a
    file. Returns the sub-range files (decided or to decide) and the buckets decided here."""
    files = [(i, signature_file(Path(u), part, stage_index)) for i, u in enumerate(unit_folders)]
    files = [(i, f) for i, f in files if f.exists()]
    total = sum(f.stat().st_size for _, f in files)
    subs = max(1, min(hi - lo, -(-total // target)))
    names = [Path(folder) / f"sub-{part:04d}-{s:04d}.arrow" for s in range(subs)]
    subfiles = [_SubFile(name) for name in names]
    inline: list[pa.Table] = []
    for unit, path in files:
        table = read_ipc(path)
        removed = removed_keys(list(removed_by), unit)
        if removed is not None:
            table = table.filter(pc.invert(pc.is_in(table.column("key"), value_set=removed)))
        if subs == 1 and stage is not None:
            inline.append(table)
            continue
        sub = (table.column("bucket").to_numpy() - lo) * subs // max(1, hi - lo)
        for s in np.unique(sub).tolist():
            subfiles[s].add(table.filter(pa.array(sub == s)))
        del table
    buckets: list[int] = []
    if inline:
        table = pa.concat_tables(inline, promote_options="permissive")
        del inline
        buckets = decide_table(stage, table, decided_file(names[0]), clusters)
        out = [str(names[0])]
    else:
        out = [str(f.final) for f in subfiles if f.close()]
    write_json(Path(folder) / f"gather-{part:04d}.json", out)
    release_unused_memory()
    return (out, buckets), take_counts()


def decided_file(sub: str | Path) -> Path:
    """Where the decisions of a sub-range go."""
    path = Path(sub)
    return path.with_name(path.name.replace("sub-", "dec-").replace(".arrow", ".parquet"))


class _SubFile:
    """A sub-range file being gathered: rows buffered up to :data:`FLUSH_BYTES`, then written as
    one record batch (few large batches read faster than one per unit)."""

    FLUSH_BYTES = 8 << 20

    def __init__(self, final: Path):
        self.final, self.tmp = final, temp_path(final)
        self.writer, self.buffer, self.size = None, [], 0

    def add(self, rows: pa.Table) -> None:
        if self.buffer and not rows.schema.equals(self.buffer[0].schema):
            rows = rows.cast(self.buffer[0].schema)
        self.buffer.append(rows)
        self.size += rows.nbytes
        if self.size >= self.FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        table = pa.concat_tables(self.buffer)
        if self.writer is None:
            self.writer = ipc.new_file(str(self.tmp), table.schema)
        self.writer.write_table(table)
        self.buffer, self.size = [], 0

    def close(self) -> bool:
        """Publish the file; False when no row came (no file)."""
        self._flush()
        if self.writer is None:
            return False
        self.writer.close()
        count_write(self.tmp)
        publish_file(self.tmp, self.final)
        return True


# decide ----------------------------------------------------------------------------------
def route_to_units(decided: pa.Table, rows: pa.Table) -> pa.Table:
    """``decided`` (rows naming records by key) with ``_unit`` added: one row per unit of the
    bucket's ``rows`` that holds the key, in ``decided``'s order, then unit order."""
    pairs = rows.select(["key", C.UNIT]).sort_by([("key", "ascending"), (C.UNIT, "ascending")])
    keys = pairs.column("key").combine_chunks()
    units = pairs.column(C.UNIT).to_numpy()
    n = len(units)
    same = np.zeros(n, bool)
    if n > 1:
        same[1:] = pc.equal(keys.slice(1), keys.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    distinct = ~(same & np.r_[False, units[1:] == units[:-1]])
    keys, units, same = keys.filter(pa.array(distinct)), units[distinct], same[distinct]
    starts = np.flatnonzero(~same)
    ends = np.r_[starts[1:], len(units)]
    group = pc.index_in(decided.column("key"), value_set=keys.take(pa.array(starts)))
    if group.null_count:
        raise ValueError("decide() named a key that is not in its bucket's signature rows")
    group = group.to_numpy(zero_copy_only=False)
    count = ends[group] - starts[group]
    row = np.repeat(np.arange(decided.num_rows), count)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    out = decided.take(pa.array(row))
    return out.append_column(C.UNIT, pa.array(units[np.repeat(starts[group], count) + offset], pa.int64()))


def _unit_of_seq(rows: pa.Table, seqs: np.ndarray) -> np.ndarray:
    seq = rows.column(C.SEQ).to_numpy()
    unit = rows.column(C.UNIT).to_numpy()
    order = np.argsort(seq, kind="stable")
    return unit[order][np.searchsorted(seq[order], seqs)]


@ray.remote
def decide(stage, path: str, out: str, clusters: bool):
    """Decide each bucket of one sub-range file; write its decisions (or edges and ends)."""
    buckets = decide_table(stage, read_ipc(path), Path(out), clusters)
    return buckets, take_counts()


def decide_table(stage, table: pa.Table, out: Path, clusters: bool) -> list[int]:
    """Decide each bucket of ``table``; write the decisions (or edges and ends) to ``out``.
    Returns the buckets decided."""
    table = table.sort_by([("bucket", "ascending"), (C.UNIT, "ascending"), (C.SEQ, "ascending")])
    pairs_only = clusters and getattr(stage, "payloads", False)  # candidate pairs, verified later
    buckets, parts, edges = [], [], []
    for bucket, rows in split_by_bucket(table):
        buckets.append(bucket)
        decided = stage.decide(rows)
        if decided is None:
            continue
        if not decided.num_rows:
            if not clusters and not parts:  # keep the columns: a unit with no rows applies them
                parts.append(decided.append_column(C.UNIT, pa.array([], pa.int64())))
            continue
        if clusters:
            decided = decided.filter(pc.not_equal(decided.column("seq"), decided.column("other_seq")))
        if pairs_only:
            units = [pa.array(_unit_of_seq(rows, decided.column(end).to_numpy())) for end in ("seq", "other_seq")]
            parts.append(decided.append_column(C.UNIT, units[0]).append_column(OTHER_UNIT, units[1]))
        elif clusters:
            ends = stage.endpoints(decided)
            ends = ends.append_column(C.UNIT, pa.array(_unit_of_seq(rows, ends.column("seq").to_numpy())))
            parts.append(ends)
            edges.append(decided.select(["seq", "other_seq"]))
        else:
            parts.append(decided if C.UNIT in decided.column_names else route_to_units(decided, rows))
    del table
    if pairs_only:  # no edges yet
        result = pa.concat_tables(parts) if parts else empty_rows()
    elif clusters:
        empty = pa.table({"seq": pa.array([], pa.int64()), "other_seq": pa.array([], pa.int64())})
        write_parquet_atomic(pa.concat_tables(edges) if edges else empty, edge_file(out))
        result = pa.concat_tables(parts, promote_options="permissive") if parts else empty_rows()
    else:
        result = sorted_by_unit(pa.concat_tables(parts, promote_options="permissive")) if parts else empty_rows()
    write_parquet_atomic(result, out, row_group_size=65536)
    release_unused_memory()
    return buckets


def edge_file(decided: str | Path) -> Path:
    """The edges file a decide task writes beside its decisions (cluster stages)."""
    path = Path(decided)
    return path.with_name(path.name.replace("dec-", "edge-"))


def empty_rows() -> pa.Table:
    """No decision rows: the columns every decisions file has at least."""
    return pa.table({"key": pa.array([], pa.string()), C.UNIT: pa.array([], pa.int64())})


# publish ---------------------------------------------------------------------------------
@ray.remote
def publish(stage, decided: list[str], r: int, ranges: int, unit_count: int, folder: str, clusters: bool):
    """Write one decision file per unit of unit range ``r`` that has decisions. Returns an empty
    table with the schema of the rows it read (so that the driver knows the decisions' columns
    even where a unit has none)."""
    units = units_in_range(r, unit_count, ranges)
    tables = [read_parquet(path, filters=[(C.UNIT, ">=", units.start), (C.UNIT, "<", units.stop)])
              for path in decided]
    table = pa.concat_tables(tables, promote_options="permissive") if tables else empty_rows()
    rows = written = 0
    if table.num_rows:
        table = (table.sort_by([(C.UNIT, "ascending"), (C.SEQ, "ascending")]) if clusters
                 else sorted_by_unit(table))
        unit = table.column(C.UNIT).to_numpy()
        starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
        for lo, hi in zip(starts, np.r_[starts[1:], len(unit)], strict=True):
            own = table.slice(lo, hi - lo).drop_columns(internal(table))
            merged = with_reason(stage, own if clusters else stage.combine([own]))
            write_ipc_atomic(merged, unit_decisions_file(folder, int(unit[lo])))
            rows += merged.num_rows
            written += 1
    write_json(Path(folder) / f"published-{r:04d}.json", {"rows": rows, "units": written})
    return table.schema.empty_table(), take_counts()


def internal(table: pa.Table) -> list[str]:
    """The runner's routing columns, dropped before decisions reach a unit."""
    return [c for c in (C.UNIT, C.SEQ) if c in table.column_names]


def no_decisions(stage, templates: list[pa.Table], clusters: bool, rows: int) -> pa.Table:
    """What a unit without decision rows applies: no rows, the decisions' columns (as the
    broadcast table had them, so that every unit's records get the same columns)."""
    if clusters and not rows:
        return with_reason(stage, stage.combine([]))
    table = pa.concat_tables(templates, promote_options="permissive") if templates else empty_rows()
    table = table.drop_columns(internal(table))
    return with_reason(stage, table if clusters else stage.combine([table]))


def with_reason(stage, decisions: pa.Table) -> pa.Table:
    if "key" not in decisions.column_names:
        raise ValueError(f"global stage {stage.name!r}: combine() must return a 'key' column")
    if "reason" not in decisions.column_names:
        decisions = decisions.append_column("reason", pa.nulls(decisions.num_rows, pa.string()))
    return decisions
