"""Reading a text collection (Parquet or JSONL files) in chunks for ``loomery dedup``.

:func:`plan_chunks` cuts the files into chunks of about ``chunk_rows`` rows, :func:`read_chunk`
reads one chunk's ids and texts; :func:`iter_parquet_parts` streams several chunks' rows of one
Parquet file while decoding each row group once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from engine.sources.parquet_rows import read_rows, row_groups_holding


@dataclass(frozen=True)
class Chunk:
    """Rows ``[start, stop)`` of one input file (bytes ``[start, stop)`` of a JSONL file),
    whose first document is number ``first_seq`` of the collection."""

    index: int
    path: str
    start: int
    stop: int
    first_seq: int
    rows: int


def plan_chunks(paths: list[str], chunk_rows: int) -> list[Chunk]:
    """Cut Parquet files by rows and JSONL files by line boundaries into chunks."""
    chunks: list[Chunk] = []
    seq = 0
    for path in paths:
        if path.endswith(".parquet"):
            total = pq.ParquetFile(path).metadata.num_rows
            spans = [(s, min(s + chunk_rows, total), min(chunk_rows, total - s)) for s in range(0, total, chunk_rows)]
        else:
            spans = _jsonl_spans(path, chunk_rows)
        for start, stop, rows in spans:
            chunks.append(Chunk(len(chunks), path, start, stop, seq, rows))
            seq += rows
    return chunks


def _jsonl_spans(path: str, chunk_rows: int) -> list[tuple[int, int, int]]:
    """(byte start, byte stop, lines) spans of ``chunk_rows`` non-empty lines each."""
    data = np.fromfile(path, dtype=np.uint8)
    ends = np.flatnonzero(data == 10) + 1
    if len(data) and data[-1] != 10:
        ends = np.append(ends, len(data))
    starts = np.r_[0, ends[:-1]]
    non_empty = ends - starts > 1
    starts, ends = starts[non_empty], ends[non_empty]
    return [
        (
            int(starts[i]),
            int(ends[min(i + chunk_rows, len(ends)) - 1]),
            min(chunk_rows, len(ends) - i),
        )
        for i in range(0, len(ends), chunk_rows)
    ]


def read_chunk(
    chunk: Chunk, id_field: str, text_field: str, table: pa.Table | None = None
) -> tuple[list, list[str | None]]:
    """(ids, texts) of a chunk's documents, in input order. A line that is not a JSON object
    keeps its place with a None id and text (so it can never be a duplicate). ``table``: the
    chunk's rows of a Parquet file, already read (see :func:`read_parquet_parts`)."""
    if chunk.path.endswith(".parquet"):
        if table is None:
            table = read_rows(pq.ParquetFile(chunk.path), chunk.start, chunk.stop, [id_field, text_field])
        texts = table[text_field]
        if pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type):
            texts = texts.to_pylist()  # strings or None already
        else:
            texts = [_text(t) for t in texts.to_pylist()]
        return table[id_field].to_pylist(), texts
    with open(chunk.path, "rb") as f:
        f.seek(chunk.start)
        lines = f.read(chunk.stop - chunk.start).splitlines()
    ids, texts = [], []
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            record = {}
        ids.append(record.get(id_field))
        texts.append(_text(record.get(text_field)))
    return ids, texts


def row_groups_of(path: str, start: int, stop: int) -> tuple[int, ...]:
    """The row groups of a Parquet file that hold rows [start, stop)."""
    return row_groups_holding(pq.ParquetFile(path).metadata, start, stop)[0]


def iter_parquet_parts(path: str, spans: list[tuple[int, int]], columns: list[str], batch_rows: int = 4096):
    """Yield rows [start, stop) of a Parquet file for each span (ascending), decoding the
    row groups that hold them once, front to back, each part as soon as its rows are decoded:
    chunks that cut one large row group need not each decode all of it, and the first can be
    signed while the rest is read. Each part is a compact copy (a slice would carry, and
    serialise, the whole row group's buffers)."""
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False)):
        raise ValueError("spans must be ascending and must not overlap")
    f = pq.ParquetFile(path)
    groups, at = row_groups_holding(f.metadata, spans[0][0], max(stop for _, stop in spans))
    batches = f.iter_batches(batch_size=batch_rows, row_groups=list(groups), columns=columns, use_threads=False)
    schema = pa.schema([f.schema_arrow.field(c) for c in columns])
    held: list[pa.RecordBatch] = []  # decoded rows from position ``at`` on
    rows = 0
    for start, stop in spans:
        while rows < stop - at:
            batch = next(batches, None)
            if batch is None:
                break
            held.append(batch)
            rows += batch.num_rows
        part = pa.Table.from_batches(held, schema=schema).slice(start - at, stop - start)
        yield part.take(np.arange(part.num_rows))
        while held and at + held[0].num_rows <= stop:  # rows before the next span's start
            at += held[0].num_rows
            rows -= held[0].num_rows
            held.pop(0)


def read_parquet_parts(path: str, spans: list[tuple[int, int]], columns: list[str]) -> list[pa.Table]:
    """The parts of :func:`iter_parquet_parts`, as a list."""
    return list(iter_parquet_parts(path, spans, columns))


def _text(value) -> str | None:
    if isinstance(value, list):
        return " ".join(v for v in value if isinstance(v, str)) or None
    return value if isinstance(value, str) else None
