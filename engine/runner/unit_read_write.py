"""Reading a unit at the start of a phase and writing it at the end (on a worker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from engine import columns as C
from engine.output.rights import sidecar_rights
from engine.runner.apply_stages import alive_mask, apply_decisions, prepare
from engine.runner.global_step import read_unit_decisions
from engine.runner.memory import release_unused_memory
from engine.runner.partition_files import write_ipc, write_partitioned, write_payloads
from engine.runner.phases import Phase
from engine.runner.stats import unit_stats
from engine.runner.workdir import WorkDir
from engine.sinks.base import Sink
from engine.sinks.files import describe, write_parquet
from engine.sources.base import Source, Unit
from schemas import REJECT_SCHEMA, validate_table
from schemas.validate import SchemaError

# A unit's records between two phases, every column and payload: an Arrow IPC file, uncompressed.
# Written once and read once by the same code, so nothing needs Parquet's encodings here; image
# bytes do not compress. Per 2,000 records of bench/pipeline.py: 2 ms to write and 0.7 ms to read,
# against 20 and 9 ms as zstd Parquet (plus a sha256 of the file that nothing used).
RECORDS = "records.arrow"
LEGACY_RECORDS = "records.parquet"  # what versions before the Arrow IPC staging wrote
REJECTS = "rejects.parquet"


class ReadUnit:
    """Ray Data function: a one-row batch naming a unit -> that unit's records, with the
    decisions of the global stage the phase applies (read from the unit's own file)."""

    def __init__(self, phase: Phase, source: Source, units: dict[int, Unit], out: str,
                 no_decisions: list[pa.Table] | None = None):
        self.phase, self.source, self.units, self.out = phase, source, units, out
        self.no_decisions = no_decisions  # per applied stage: what a unit without decisions applies

    def __call__(self, batch: pa.Table, unit: Unit | None = None) -> pa.Table:
        """``unit``: the unit itself, when the caller has it (else looked up in ``units``)."""
        unit = unit or self.units[batch.column("unit")[0].as_py()]
        if self.phase.index == 0:
            return prepare(self.source.read(unit), unit)
        table = read_records(WorkDir(self.out).unit(self.phase.index - 1, unit.index) / RECORDS)
        for g, stage in enumerate(self.phase.applies):  # in chain order
            decisions = read_unit_decisions(WorkDir(self.out).global_dir(self.phase.index - 1, g), unit.index)
            table = apply_decisions(stage, table, self.no_decisions[g] if decisions is None else decisions)
        return table


class WriteUnit:
    """Ray Data function: a unit's finished records -> published unit folder -> a summary row."""

    def __init__(self, phase: Phase, out: str, sink: Sink, order: list[str], ranges: dict):
        self.phase, self.out, self.sink, self.order, self.ranges = phase, out, sink, order, ranges

    def already_published(self, unit: int) -> pa.Table | None:
        """The summary row of ``unit`` if this phase already published it (a task retried after
        its first attempt published the unit and removed the records it read), else None."""
        work = WorkDir(self.out)
        if not work.is_done(self.phase.index, unit):
            return None
        info = work.done_info(self.phase.index, unit)
        return pa.table({"unit": [unit], "rows": [info.get("rows", info.get("inputs", 0))]})

    def __call__(self, table: pa.Table, unit: int | None = None) -> pa.Table:
        if unit is None:
            if table.num_rows == 0:  # an empty unit (a byte range may hold no record): published by its read
                return pa.table({"unit": pa.array([], pa.int64()), "rows": pa.array([], pa.int64())})
            unit = table.column(C.UNIT)[0].as_py()
        work = WorkDir(self.out)
        tmp = work.new_tmp_unit(self.phase.index, unit)
        table = table.sort_by(C.SEQ)
        if self.phase.final:
            info = write_final(table, tmp, self.sink, self.order, self.ranges)
        else:
            info = write_staging(table, tmp, self.phase)
        info["unit"] = unit
        work.publish_unit(self.phase.index, unit, tmp, info)
        if self.phase.index > 0:  # published: what the phase before left for this one is spent
            work.drop_spent(self.phase.index - 1, unit)
        rows = table.num_rows
        del table
        release_unused_memory()  # the unit's buffers: this worker's next task may be smaller
        return pa.table({"unit": [unit], "rows": [rows]})


def write_staging(table: pa.Table, folder: Path, phase: Phase) -> dict[str, Any]:
    """End of a non-final phase: keep every row for the next phase, and each emitted global
    stage's signatures of the alive rows, one file per bucket range (partition), so that the
    global step's task for a range reads only its rows."""
    alive = table.filter(alive_mask(table))
    write_ipc(table, folder / RECORDS)
    info: dict[str, Any] = {"rows": table.num_rows, "alive": alive.num_rows, "signatures": [], "partitions": []}
    for g, (stage, parts) in enumerate(zip(phase.emits, phase.partitions, strict=True)):
        signatures = signatures_of(stage, alive)
        if getattr(stage, "payloads", False):  # a record's payload once, not in each band row
            signatures, payloads = stage.split_payloads(signatures)
            write_payloads(payloads, folder, parts, g)
        info["partitions"].append(write_partitioned(signatures, folder, stage.bucket_count, parts, g))
        info["signatures"].append(signatures.num_rows)
    return info


def read_records(path: Path) -> pa.Table:
    """A unit's staged records (see :data:`RECORDS`). A unit staged by a version that wrote
    zstd Parquet (``records.parquet``) is read as it is, so a run started before the change
    resumes instead of redoing its first phase."""
    if not path.exists() and path.with_name(LEGACY_RECORDS).exists():
        return pq.read_table(path.with_name(LEGACY_RECORDS))
    with pa.OSFile(str(path)) as f:
        return ipc.open_file(f).read_all()


def signatures_of(stage, alive: pa.Table) -> pa.Table:
    """The stage's signature rows for ``alive``, each carrying the record's key, unit and seq."""
    sig = stage.signature(alive) if alive.num_rows else None
    if sig is None or sig.num_rows == 0:
        return pa.table({"key": pa.array([], pa.string()), C.UNIT: pa.array([], pa.int64()),
                         C.SEQ: pa.array([], pa.int64()), "bucket": pa.array([], pa.int64())})
    if "bucket" not in sig.column_names:
        raise SchemaError(f"global stage {stage.name!r}: signature() must return a 'bucket' column")
    if "key" not in sig.column_names:
        if sig.num_rows != alive.num_rows:
            raise SchemaError(f"global stage {stage.name!r}: signature() rows need a 'key' column "
                              "when they are not one per record")
        sig = sig.append_column("key", alive.column("key"))
    index = {k: i for i, k in enumerate(alive.column("key").to_pylist())}
    rows = pa.array([index[k] for k in sig.column("key").to_pylist()], pa.int64())
    sig = sig.drop_columns([c for c in (C.UNIT, C.SEQ) if c in sig.column_names])
    sig = sig.append_column(C.UNIT, pc.take(alive.column(C.UNIT), rows))
    sig = sig.append_column(C.SEQ, pc.take(alive.column(C.SEQ), rows))
    return sig.set_column(sig.schema.get_field_index("bucket"), "bucket",
                          pc.cast(sig.column("bucket"), pa.int64()))


def write_final(table: pa.Table, folder: Path, sink: Sink, order: list[str], ranges: dict) -> dict[str, Any]:
    """End of the final phase: kept records through the sink, rejects to Parquet, stats."""
    mask = alive_mask(table)
    kept, dead = table.filter(mask), table.filter(pc.invert(mask))
    records = conform(kept.select([c for c in kept.column_names if not C.is_internal(c)]), sink.schema)
    parts = []
    for part in sink.write(records, str(folder)):
        tar = part.tar_file or describe(str(folder / part.tar))
        sidecar = part.parquet_file or describe(str(folder / part.parquet))
        parts.append({"tar": part.tar, "parquet": part.parquet, "samples": part.samples,
                      "bytes": tar.bytes, "sha256": tar.sha256,
                      "parquet_bytes": sidecar.bytes, "parquet_sha256": sidecar.sha256})
    rights = sidecar_rights(folder / part["parquet"] for part in parts)  # the card's, merged at finalize
    rejects = None
    if dead.num_rows:
        written = write_parquet(reject_table(dead), str(folder / REJECTS))
        rejects = {"file": REJECTS, "rows": dead.num_rows, "bytes": written.bytes, "sha256": written.sha256}
    return {"inputs": table.num_rows, "kept": kept.num_rows, "rejected": dead.num_rows,
            "parts": parts, "rejects": rejects, "stats": unit_stats(table, order, ranges),
            "rights": rights}


def reject_table(dead: pa.Table) -> pa.Table:
    """Rejected rows in the reject schema: where each left the pipeline and why. No payload."""
    n = dead.num_rows
    url = dead.column("url") if "url" in dead.column_names else pa.nulls(n, pa.string())
    columns = {
        "key": dead.column("key"),
        "url": pc.cast(url, pa.string()),
        "stage": dead.column(C.REJECT_STAGE),
        "reason": pc.fill_null(dead.column(C.REJECT_REASON), "unspecified"),
        "score": dead.column(C.REJECT_SCORE),
        "threshold": dead.column(C.REJECT_THRESHOLD),
        "detail": dead.column(C.REJECT_DETAIL),
        "dup_of": dead.column(C.DUP_OF),
        "unit": dead.column(C.UNIT),
        "seq": dead.column(C.SEQ),
    }
    table = pa.table({f.name: pc.cast(columns[f.name], f.type) for f in REJECT_SCHEMA},
                     schema=REJECT_SCHEMA)
    validate_table(table, REJECT_SCHEMA)
    return table


def conform(records: pa.Table, schema: pa.Schema | None) -> pa.Table:
    """Give ``records`` every column of ``schema`` (missing ones null, known ones cast to the
    schema's type), schema columns first, then validate. Extra columns follow in their order."""
    if schema is None:
        return records
    n = records.num_rows
    columns, fields = [], []
    for field in schema:
        if field.name in records.column_names:
            column = records.column(field.name)
            if not column.type.equals(field.type):
                try:
                    column = pc.cast(column, field.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                    raise SchemaError(f"column {field.name!r} of type {column.type} does not "
                                      f"convert to {field.type}: {e}") from e
        else:
            column = pa.nulls(n, field.type)
        columns.append(column)
        fields.append(pa.field(field.name, field.type, nullable=True))
    for name in records.column_names:
        if name not in schema.names:
            columns.append(records.column(name))
            fields.append(records.schema.field(name))
    out = pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata=schema.metadata))
    validate_table(out, schema)
    return out
