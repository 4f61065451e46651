"""The verify step of a cluster stage with ``payloads`` (``NearDuplicates``): candidate pairs
joined with their two records' payloads, checked, and written as edges for the components.

Why: a record has about 21 band rows (16 text and 5 image bands), each in its own bucket. With
the payload (a 512-byte MinHash signature for text) in every band row, the band rows written,
gathered and read are about 21 times the signatures. Instead each unit writes a record's payload
once, into the file of its seq's hash partition (``pay-{S}-{QQQQ}.arrow``, P partitions, as
many as the bucket ranges), and ``decide`` only finds candidate pairs. Then, as Ray tasks with the pairs
shuffled through the object store (nothing on the driver):

1. **Route** (one task per decide output): candidate pairs split by the hash partition of their
   first record's seq.
2. **Attach** (P tasks): task q reads payload partition q of every unit (U opens), drops pairs
   found in several buckets (the same pair of records and signal), adds the first record's
   payload and routes each pair by the partition of its second record's seq.
3. **Verify** (P tasks): task q reads payload partition q of every unit again, adds the second
   record's payload, runs ``stage.check_pairs`` and writes the edges (``edge-vQQQQ.parquet``) and
   their end rows (``dec-vQQQQ.parquet``) that the components step reads as before.

Costs (N records, F band rows per record, C candidate pairs, U units, P partitions, S decide
outputs): the band rows lose their payload, (F - 1) * N * 512 bytes fewer written by the units
and read by gather (text); the payloads are written once (N * 512 bytes per text signal) and read
twice (attach, verify); the candidate pairs are written once by decide (about 90 bytes each),
read once, and cross the object store twice (the second time with one payload each). Opens:
S + 2 * U * P (the gather step already opens U * P). Memory per task: its pairs (C / P), their
payloads, and one unit's payload file at a time. Edges and therefore decisions are exactly those
of checking each bucket's pairs on its own rows' payloads: a pair's records, seqs, priorities and
similarity do not depend on which bucket found it.

Resume: the step reruns as a whole unless ``verified.json`` exists (its inputs, the decide
outputs and payload files, are kept); failpoint ``global_verify`` fires once per verify task.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import ray

from engine import columns as C
from engine.atomic import write_json
from engine.runner.components import owner
from engine.runner.global_tasks import OTHER_UNIT
from engine.runner.partition_files import (
    add_counts,
    payload_file,
    read_ipc,
    read_parquet,
    take_counts,
    write_parquet_atomic,
)
from engine.runner.workdir import read_json

MARKER = "verified.json"


def _split(table: pa.Table | None, column: str, parts: int) -> list[pa.Table | None]:
    """``table``'s rows per partition of ``column`` (None where there are none)."""
    if table is None or not table.num_rows:
        return [None] * parts
    who = owner(table.column(column).to_numpy(), parts)
    return [table.filter(pa.array(who == q)) if (who == q).any() else None for q in range(parts)]


def _concat(tables) -> pa.Table | None:
    tables = [t for t in tables if t is not None and t.num_rows]
    return pa.concat_tables(tables, promote_options="permissive") if tables else None


def _payload_tables(unit_folders: list[str], stage_index: int, q: int):
    """Payload rows of seq partition ``q``, one unit's file at a time."""
    for folder in unit_folders:
        path = payload_file(Path(folder), q, stage_index)
        if path.exists():
            yield read_ipc(path)


def _attach_payload(pairs: pa.Table, payload_tables, seq_column: str, name: str) -> pa.Table:
    """``pairs`` with the payload of the record ``seq_column`` names (per signal) as ``name``,
    looked up in ``payload_tables`` (an iterable of payload row tables, read one at a time: a
    task holds one unit's file and the payloads its pairs need, never a whole partition)."""
    want_signal = pairs.column("signal").to_numpy(zero_copy_only=False)
    want_seq = pairs.column(seq_column).to_numpy()
    signals = np.unique(want_signal)
    wanted = {s: np.flatnonzero(want_signal == s) for s in signals}
    found_at, found = [], []
    for table in payload_tables:
        have_signal = table.column("signal").to_numpy(zero_copy_only=False)
        have_seq = table.column(C.SEQ).to_numpy()
        payload = table.column("payload").combine_chunks()
        for signal in signals:
            rows = np.flatnonzero(have_signal == signal)
            if not len(rows):
                continue
            order = np.argsort(have_seq[rows], kind="stable")
            known = have_seq[rows][order]
            mine = wanted[signal]
            pos = np.minimum(np.searchsorted(known, want_seq[mine]), len(known) - 1)
            hit = known[pos] == want_seq[mine]
            found_at.append(mine[hit])
            found.append(payload.take(pa.array(rows[order[pos[hit]]])))
    at = np.concatenate(found_at) if found_at else np.zeros(0, np.int64)
    if len(at) != len(want_seq) or len(np.unique(at)) != len(at):
        raise RuntimeError(f"candidate pairs name records without a payload ({len(want_seq) - len(at)} of "
                           f"{len(want_seq)} missing) or with two; units staged by a loomery version "
                           "that kept payloads in the band rows cannot be resumed: start the run again")
    values = pa.concat_arrays(found) if found else pa.array([], pa.binary())
    return pairs.append_column(name, values.take(pa.array(np.argsort(at, kind="stable"))))


def _distinct(pairs: pa.Table) -> pa.Table:
    """One row per (seq, other_seq, signal): a pair found in several buckets (bands) is the same
    pair of records, with the same keys, priorities and units, and is checked once."""
    _, code = np.unique(pairs.column("signal").to_numpy(zero_copy_only=False), return_inverse=True)
    seq, other = pairs.column("seq").to_numpy(), pairs.column("other_seq").to_numpy()
    order = np.lexsort((code, other, seq))
    s, o, c = seq[order], other[order], code[order]
    first = np.r_[True, (s[1:] != s[:-1]) | (o[1:] != o[:-1]) | (c[1:] != c[:-1])]
    return pairs.take(pa.array(order[first]))


def _with_counts(pieces: list) -> tuple:
    """A task's returns for ``num_returns=len(pieces) + 1``: the pieces, then this process's IO
    counts."""
    return (*pieces, take_counts())


@ray.remote
def _route(path: str, parts: int):
    table = read_parquet(path)
    return _with_counts(_split(table if "seq" in table.column_names else None, "seq", parts))


@ray.remote
def _attach(unit_folders: list[str], stage_index: int, q: int, parts: int, *pieces):
    pairs = _concat(pieces)
    if pairs is None:
        return _with_counts([None] * parts)
    pairs = _attach_payload(_distinct(pairs), _payload_tables(unit_folders, stage_index, q), "seq", "payload")
    return _with_counts(_split(pairs, "other_seq", parts))


@ray.remote
def _verify(stage, unit_folders: list[str], stage_index: int, q: int, out: str, *pieces):
    pairs = _concat(pieces)
    seqs = {"seq": pa.array([], pa.int64()), "other_seq": pa.array([], pa.int64())}
    if pairs is None:
        edges, ends = pa.table(seqs), pa.table({"seq": pa.array([], pa.int64()), C.UNIT: pa.array([], pa.int64())})
    else:
        pairs = _attach_payload(pairs, _payload_tables(unit_folders, stage_index, q), "other_seq",
                                "other_payload")
        checked = stage.check_pairs(pairs)
        ends = stage.endpoints(checked)
        units = pa.concat_arrays([checked.column(C.UNIT).combine_chunks(),
                                  checked.column(OTHER_UNIT).combine_chunks()])
        ends = ends.append_column(C.UNIT, units.cast(pa.int64()))
        edges = checked.select(["seq", "other_seq"])
    write_parquet_atomic(edges, Path(out).with_name(Path(out).name.replace("dec-", "edge-")))
    write_parquet_atomic(ends, Path(out))
    return edges.num_rows, take_counts()


def verify(stage_ref, decided: list[str], unit_folders: list[str], stage_index: int, folder: Path,
           parts: int, counts: dict, on_verified: Callable[[int], None] = lambda q: None) -> list[str]:
    """Check every decide output's candidate pairs on their records' payloads (see the module
    docstring). Returns the files of end rows (``dec-vQQQQ.parquet``) whose edge files the
    components step reads."""
    marker = folder / MARKER
    if marker.exists():
        return read_json(marker)
    candidates = 0
    for path in decided:  # footers only: the tasks below read the files
        candidates += pq.read_metadata(path).num_rows
        counts["opens"] = counts.get("opens", 0) + 1
    if not candidates:
        write_json(marker, [])
        return []
    routed = [_route.options(num_returns=parts + 1).remote(path, parts) for path in decided]
    attached = [_attach.options(num_returns=parts + 1).remote(unit_folders, stage_index, q, parts,
                                                             *[r[q] for r in routed])
                for q in range(parts)]
    outs = [str(folder / f"dec-v{q:04d}.parquet") for q in range(parts)]
    pending = {_verify.remote(stage_ref, unit_folders, stage_index, q, outs[q], *[a[q] for a in attached]): q
               for q in range(parts)}
    for io in ray.get([r[parts] for r in routed + attached]):
        add_counts(counts, io)
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            _, io = ray.get(ref)
            add_counts(counts, io)
            on_verified(pending.pop(ref))
    write_json(marker, outs)
    return outs
