"""A text collection (Parquet or JSONL files with an id and a text field) read as text records.

Each record is ``key`` (its position in the whole collection, as a string, so that repeated ids
cannot merge two documents), ``seq`` (that position), ``id`` (the id field as stored) and
``text``. A list of strings in the text field is read as the strings joined by spaces; any
other non-string value as no text. A JSONL line that is not a JSON object keeps its place and is
rejected (``invalid_json``).

Planning: Parquet files are cut into row ranges by their footers. JSONL files are cut at line
boundaries into ranges of ``unit_size`` non-empty lines, which reads each file once (a pass over
its bytes, ``numpy`` only) so that every line's position is known exactly: the positions are
the ones ``loomery dedup`` has always reported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from engine.sources.base import Source, Unit, expand_paths, mark_read_rejects
from engine.sources.parquet_rows import read_rows

SUFFIXES = (".parquet", ".jsonl", ".json")


class TextCollectionSource(Source):
    """Text records (``key``, ``seq``, ``id``, ``text``) from Parquet/JSONL files, folders or
    globs, numbered in input order across all files."""

    kind = "text"

    def __init__(self, inputs: Sequence[str], *, id_field: str = "id", text_field: str = "text"):
        self.inputs = list(inputs)
        self.id_field, self.text_field = id_field, text_field
        self._paths = expand_paths(self.inputs, SUFFIXES)
        if not self._paths:
            raise FileNotFoundError(f"no .parquet/.jsonl input under {self.inputs}")

    def plan(self, unit_size: int) -> list[Unit]:
        """Row ranges of Parquet files, line ranges of JSONL files (see the module's note)."""
        if unit_size < 1:
            raise ValueError("unit_size must be at least 1")
        units: list[Unit] = []
        seq = 0
        for path in self._paths:
            if path.endswith(".parquet"):
                with fsspec.open(path, "rb") as f:
                    total = pq.ParquetFile(f).metadata.num_rows
                spans = [(s, min(s + unit_size, total)) for s in range(0, total, unit_size)]
                for start, stop in spans:
                    units.append(Unit(len(units), path, start, stop, seq))
                    seq += stop - start
            else:
                for start, stop, rows in _jsonl_spans(path, unit_size):
                    units.append(Unit(len(units), path, start, stop, seq, True, rows))
                    seq += rows
        return units

    def read(self, unit: Unit) -> pa.Table:
        if unit.path.endswith(".parquet"):
            with fsspec.open(unit.path, "rb") as f:
                table = read_rows(pq.ParquetFile(f), unit.start, unit.stop, [self.id_field, self.text_field])
            texts = table[self.text_field]
            if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
                texts = pa.array([_text(t) for t in texts.to_pylist()], pa.string())
            return self._records(unit, table[self.id_field], texts, [None] * table.num_rows)
        with fsspec.open(unit.path, "rb") as f:
            f.seek(unit.start)
            lines = [line for line in f.read(unit.stop - unit.start).splitlines() if line.strip()]
        ids, texts, reasons = [], [], []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            reasons.append(None if isinstance(record, dict) else "invalid_json")
            record = record if isinstance(record, dict) else {}
            ids.append(record.get(self.id_field))
            texts.append(_text(record.get(self.text_field)))
        return self._records(unit, pa.array(ids), pa.array(texts, pa.string()), reasons)

    def _records(self, unit: Unit, ids, texts, reasons: list[str | None]) -> pa.Table:
        seq = np.arange(unit.first_seq, unit.first_seq + len(reasons), dtype=np.int64)
        table = pa.table({
            "key": pa.array([str(s) for s in seq.tolist()], pa.string()),
            "seq": pa.array(seq, pa.int64()),
            "id": ids,
            "text": texts,
        })
        details = [f"{unit.path}: a line that is not a JSON object" if r else None for r in reasons]
        return mark_read_rejects(table, reasons, details)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "inputs": self.inputs, "files": len(self._paths),
                "id_field": self.id_field, "text_field": self.text_field}


def _jsonl_spans(path: str, unit_size: int) -> list[tuple[int, int, int]]:
    """(byte start, byte stop, lines) spans of ``unit_size`` non-empty lines each."""
    with fsspec.open(path, "rb") as f:
        data = np.frombuffer(f.read(), dtype=np.uint8)
    ends = np.flatnonzero(data == 10) + 1
    if len(data) and data[-1] != 10:
        ends = np.append(ends, len(data))
    starts = np.r_[0, ends[:-1]]
    non_empty = ends - starts > 1
    starts, ends = starts[non_empty], ends[non_empty]
    return [
        (int(starts[i]), int(ends[min(i + unit_size, len(ends)) - 1]), min(unit_size, len(ends) - i))
        for i in range(0, len(ends), unit_size)
    ]


def _text(value) -> str | None:
    if isinstance(value, list):
        return " ".join(v for v in value if isinstance(v, str)) or None
    return value if isinstance(value, str) else None
