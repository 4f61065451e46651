"""What happens to one unit's table on a worker: stages applied to the alive rows, global
decisions applied, rejected payload cleared. Pure functions of Arrow tables."""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine import columns as C
from engine.sources.base import Unit
from engine.stage import GlobalStage, Stage, set_columns

REJECT_COLUMNS = {
    C.REJECT_STAGE: pa.string(),
    C.REJECT_REASON: pa.string(),
    C.REJECT_SCORE: pa.float64(),
    C.REJECT_THRESHOLD: pa.float64(),
    C.REJECT_DETAIL: pa.string(),
    C.DUP_OF: pa.string(),
}
DECISION_BASE = ("key", "reason", "dup_of", "score", "threshold", "detail")


class StageError(RuntimeError):
    """A stage broke its contract or failed on every record it was given."""


def prepare(table: pa.Table, unit: Unit) -> pa.Table:
    """Add the unit, sequence and reject columns to a freshly read unit."""
    if unit.exact and table.num_rows != unit.size:  # a byte range's count is known once read
        raise StageError(f"source returned {table.num_rows} records for unit {unit.index} "
                         f"which holds {unit.size}")
    n = table.num_rows
    new = {
        C.UNIT: pa.array(np.full(n, unit.index, dtype=np.int64)),
        C.SEQ: pa.array(np.arange(unit.first_seq, unit.first_seq + n, dtype=np.int64)),
    }
    for name, type_ in REJECT_COLUMNS.items():
        if name not in table.column_names:
            new[name] = pa.nulls(n, type_)
    return clear_rejected_payload(set_columns(table, new))


def alive_mask(table: pa.Table) -> pa.ChunkedArray:
    return pc.is_null(table.column(C.REJECT_STAGE))


def apply_stage(stage: Stage, table: pa.Table) -> pa.Table:
    """Run ``stage`` on the alive rows of ``table`` in slices of its batch size.

    A slice that raises is retried record by record: records that still raise are rejected with
    reason ``stage_error``; if every record of a slice raises, the error is the stage's, and it
    propagates.
    """
    mask = alive_mask(table)
    alive, dead = table.filter(mask), table.filter(pc.invert(mask))
    started = time.perf_counter()
    if alive.num_rows:
        size = stage.resources.batch_size or alive.num_rows
        pieces = [_call(stage, alive.slice(i, size)) for i in range(0, alive.num_rows, size)]
        alive = pa.concat_tables(pieces, promote_options="permissive")
    seconds = time.perf_counter() - started
    out = pa.concat_tables([clear_rejected_payload(alive), dead], promote_options="permissive")
    return set_columns(out, {C.SECONDS_PREFIX + stage.name: pa.array(np.full(out.num_rows, seconds))})


def _call(stage: Stage, batch: pa.Table) -> pa.Table:
    try:
        return _checked(stage, batch, stage(batch))
    except StageError:
        raise
    except Exception as error:  # noqa: BLE001 - isolated per record below
        if batch.num_rows == 1:
            raise
        first_error = error
    outputs, failures = [], 0
    for i in range(batch.num_rows):
        row = batch.slice(i, 1)
        try:
            outputs.append(_checked(stage, row, stage(row)))
        except Exception as error:  # noqa: BLE001 - recorded as this record's reason
            failures += 1
            outputs.append(_stage_error(stage, row, error))
    if failures == batch.num_rows:
        raise StageError(f"stage {stage.name!r} failed on every record: {first_error!r}") from first_error
    return pa.concat_tables(outputs, promote_options="permissive")


def _checked(stage: Stage, batch: pa.Table, out: pa.Table) -> pa.Table:
    if not isinstance(out, pa.Table) or out.num_rows != batch.num_rows:
        got = out.num_rows if isinstance(out, pa.Table) else type(out).__name__
        raise StageError(f"stage {stage.name!r} returned {got} rows for {batch.num_rows}: "
                         "stages add columns and never drop rows (filters use verdict())")
    return out


def _stage_error(stage: Stage, row: pa.Table, error: Exception) -> pa.Table:
    return set_columns(row, {
        C.REJECT_STAGE: pa.array([stage.name]),
        C.REJECT_REASON: pa.array(["stage_error"]),
        C.REJECT_DETAIL: pa.array([f"{type(error).__name__}: {error}"[:500]]),
    })


def clear_rejected_payload(table: pa.Table) -> pa.Table:
    """Null the payload bytes of rejected rows: they travel no further and are written nowhere."""
    rejected = pc.is_valid(table.column(C.REJECT_STAGE))
    if not pc.any(rejected).as_py():
        return table
    new = {}
    for name in C.PAYLOAD:
        if name in table.column_names:
            column = table.column(name)
            new[name] = pc.if_else(rejected, pa.scalar(None, column.type), column)
    return set_columns(table, new)


def apply_decisions(stage: GlobalStage, table: pa.Table, decisions: pa.Table) -> pa.Table:
    """Apply a global stage's decisions to a unit: reject the rows it names, join its extra
    columns (a cluster id, say) onto the rows it mentions."""
    started = time.perf_counter()
    keys = table.column("key")
    relevant = decisions.filter(pc.is_in(decisions.column("key"), value_set=keys.combine_chunks()))
    by_key = {k: i for i, k in enumerate(relevant.column("key").to_pylist())}
    rows = [by_key.get(k) for k in keys.to_pylist()]
    alive = alive_mask(table).to_pylist()
    new: dict[str, pa.Array] = {}

    def pick(column: str, type_: pa.DataType, only_rejected: bool = True) -> list:
        if column not in relevant.column_names:
            return [None] * len(rows)
        values = relevant.column(column).to_pylist()
        reasons = relevant.column("reason").to_pylist() if "reason" in relevant.column_names else None
        out = []
        for r, live in zip(rows, alive, strict=True):
            hit = r is not None and live and (not only_rejected or (reasons and reasons[r]))
            out.append(values[r] if hit else None)
        return out

    reasons = pick("reason", pa.string())
    if any(reasons):
        old = {c: table.column(c).to_pylist() for c in REJECT_COLUMNS}
        fresh = {
            C.REJECT_STAGE: [stage.name if r else None for r in reasons],
            C.REJECT_REASON: reasons,
            C.REJECT_SCORE: pick("score", pa.float64()),
            C.REJECT_THRESHOLD: pick("threshold", pa.float64()),
            C.REJECT_DETAIL: pick("detail", pa.string()),
            C.DUP_OF: pick("dup_of", pa.string()),
        }
        for column, type_ in REJECT_COLUMNS.items():
            merged = [f if r else o for f, o, r in zip(fresh[column], old[column], reasons, strict=True)]
            new[column] = pa.array(merged, type_)
    for column in relevant.column_names:
        if column not in DECISION_BASE and not column.startswith("_"):
            values = relevant.column(column).to_pylist()
            new[column] = pa.array([values[r] if r is not None else None for r in rows],
                                   relevant.schema.field(column).type)
    seconds = time.perf_counter() - started
    new[C.SECONDS_PREFIX + stage.name] = pa.array(np.full(table.num_rows, seconds))
    return clear_rejected_payload(set_columns(table, new))
