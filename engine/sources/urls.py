"""URL lists (LAION, DataComp, COYO metadata and plain lists) read as pair records to fetch.

Parquet, CSV, TSV, JSONL and plain text (one URL per line; blank lines and ``#`` comments are
skipped) are read as they are. The url and caption columns are found by name (configurable);
every other column is carried through, renamed ``src_NAME`` where it would collide with a pair
column. A record's key is the key of its URL, so the same URL in two lists is one record.
A row with no URL, or with bytes that are not UTF-8, is rejected while reading.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine.keys import record_key, url_key
from engine.sources.base import Source, Unit, cut_units, expand_paths, mark_read_rejects
from engine.sources.identity import relative_names
from schemas.pair import PAIR_SCHEMA

SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".jsonl", ".ndjson", ".txt")
URL_NAMES = ("url", "URL", "image_url", "img_url", "link")
CAPTION_NAMES = ("caption", "TEXT", "text", "alt", "alt_text", "title")
READ_ERROR = "_read_error"  # set by the JSONL reader on lines that do not parse
# Columns the pipeline itself writes; source columns of these names are renamed src_NAME.
RESERVED = frozenset(PAIR_SCHEMA.names) | {
    "final_url", "fetch_attempts", "x_robots_tag", "robots_txt",
}


class UrlListSource(Source):
    """Pair records (``key``, ``url``, ``caption``, ``source`` + carried columns) from URL lists.

    ``url_col``/``caption_col`` name the columns; None picks the first present of the usual
    names (``url``/``URL``, ``caption``/``TEXT``/``text``...).
    """

    kind = "pairs"

    def __init__(
        self,
        inputs: Sequence[str],
        *,
        url_col: str | None = None,
        caption_col: str | None = None,
    ):
        self.inputs = list(inputs)
        self.url_col = url_col
        self.caption_col = caption_col
        self._paths = expand_paths(self.inputs, SUFFIXES)
        if not self._paths:
            raise FileNotFoundError(f"no URL lists ({', '.join(SUFFIXES)}) in {self.inputs}")
        self._names = relative_names(self._paths)
        self._cached: tuple[str, pa.Table] | None = None  # the last whole text file read

    def plan(self, unit_size: int) -> list[Unit]:
        counts = []
        for path in self._paths:
            if _kind(path) == "parquet":
                with fsspec.open(path, "rb") as f:
                    counts.append((path, pq.ParquetFile(f).metadata.num_rows))
            else:
                counts.append((path, self._table(path).num_rows))
        return cut_units(counts, unit_size)

    def read(self, unit: Unit) -> pa.Table:
        if _kind(unit.path) == "parquet":
            with fsspec.open(unit.path, "rb") as f:
                file = pq.ParquetFile(f)
                groups, first = _groups(file, unit.start, unit.stop)
                table = file.read_row_groups(groups)
            table = table.slice(unit.start - first, unit.size)
        else:
            table = self._table(unit.path).slice(unit.start, unit.size)
        return self.to_pairs(table, unit)

    def _table(self, path: str) -> pa.Table:
        # Text formats have no row index, so the whole file is parsed once and kept while
        # this worker reads its units.
        if self._cached is None or self._cached[0] != path:
            self._cached = (path, _read_text_format(path, self.url_col, self.caption_col))
        return self._cached[1]

    def to_pairs(self, table: pa.Table, unit: Unit) -> pa.Table:
        """Map the list's columns onto the pair record; mark rows with no usable URL."""
        n = table.num_rows
        name = self._names[unit.path]
        parse_errors = [None] * n
        if READ_ERROR in table.column_names:
            parse_errors = table.column(READ_ERROR).to_pylist()
            table = table.drop_columns([READ_ERROR])
        url_col = self.url_col or _first_present(table.column_names, URL_NAMES)
        cap_col = self.caption_col or _first_present(table.column_names, CAPTION_NAMES)
        if url_col not in table.column_names:
            raise ValueError(f"{unit.path}: no url column {url_col!r} in {table.column_names}")
        urls, url_reasons = _texts(table.column(url_col))
        if cap_col in table.column_names:
            captions, cap_reasons = _texts(table.column(cap_col))
        else:
            captions, cap_reasons = [None] * n, [None] * n
        reasons: list[str | None] = []
        keys: list[str] = []
        for i in range(n):
            url = (urls[i] or "").strip()
            reason = parse_errors[i] or url_reasons[i] or cap_reasons[i]
            reason = reason or (None if url else "missing_url")
            reasons.append(reason)
            urls[i] = url or None
            keys.append(url_key(url) if reason is None else record_key(f"{name}#{unit.start + i}"))
        out: dict[str, Any] = {
            "key": pa.array(keys, pa.string()),
            "url": pa.array(urls, pa.string()),
            "caption": pa.array(captions, pa.string()),
            "source": pa.array([f"{name}#{unit.start + i}" for i in range(n)], pa.string()),
        }
        for col in table.column_names:
            if col in (url_col, cap_col):
                continue
            target = f"src_{col}" if col in RESERVED or col.startswith("_") else col
            out.setdefault(target, table.column(col))
        details = [
            f"{name} row {unit.start + i}: {r}" if r else None for i, r in enumerate(reasons)
        ]
        return mark_read_rejects(pa.table(out), reasons, details)

    def config(self) -> dict[str, Any]:
        return {
            **super().config(),
            "inputs": self.inputs,
            "files": len(self._paths),
            "url_col": self.url_col,
            "caption_col": self.caption_col,
        }


def _kind(path: str) -> str:
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith(".txt"):
        return "text"
    return "tsv" if lower.endswith(".tsv") else "csv"


def _first_present(names: Sequence[str], candidates: Sequence[str]) -> str:
    for c in candidates:
        if c in names:
            return c
    return candidates[0]


def _groups(file: pq.ParquetFile, start: int, stop: int) -> tuple[list[int], int]:
    """The row groups holding rows ``[start, stop)`` and the index of their first row."""
    groups, offset, first = [], 0, 0
    for g in range(file.metadata.num_row_groups):
        rows = file.metadata.row_group(g).num_rows
        if offset + rows > start and offset < stop:
            if not groups:
                first = offset
            groups.append(g)
        offset += rows
    return groups, first


def _texts(column) -> tuple[list[str | None], list[str | None]]:
    """Decode a column to text; bytes that are not UTF-8 give reason ``invalid_utf8``."""
    texts: list[str | None] = []
    reasons: list[str | None] = []
    for v in column.to_pylist():
        if isinstance(v, bytes):
            try:
                texts.append(v.decode("utf-8"))
                reasons.append(None)
            except UnicodeDecodeError:
                texts.append(None)
                reasons.append("invalid_utf8")
        else:
            texts.append(None if v is None else str(v))
            reasons.append(None)
    return texts, reasons


def _read_text_format(path: str, url_col: str | None, caption_col: str | None) -> pa.Table:
    kind = _kind(path)
    with fsspec.open(path, "rb") as f:
        data = f.read()
    if kind == "text":
        lines = [ln.strip() for ln in data.split(b"\n")]
        lines = [ln for ln in lines if ln and not ln.startswith(b"#")]
        return pa.table({url_col or "url": pa.array(lines, pa.binary())})
    if kind == "jsonl":
        return _read_jsonl(data)
    # url and caption as bytes, decoded per row, so invalid UTF-8 rejects one row, not the file
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    delimiter = "\t" if kind == "tsv" else ","
    names = [h.strip().strip('"') for h in header.strip().split(delimiter)]
    wanted = [url_col or _first_present(names, URL_NAMES),
              caption_col or _first_present(names, CAPTION_NAMES)]
    types = {c: pa.binary() for c in wanted if c in names}
    return pacsv.read_csv(
        pa.py_buffer(data),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )


def _read_jsonl(data: bytes) -> pa.Table:
    rows: list[dict[str, Any]] = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except UnicodeDecodeError:
            rows.append({READ_ERROR: "invalid_utf8"})
            continue
        except ValueError:
            rows.append({READ_ERROR: "invalid_json"})
            continue
        rows.append(value if isinstance(value, dict) else {READ_ERROR: "invalid_json"})
    columns: dict[str, list] = {}
    for i, row in enumerate(rows):
        for k in row:
            columns.setdefault(k, [None] * len(rows))
        for k, v in row.items():
            columns[k][i] = v
    out = {}
    for k, values in columns.items():
        try:
            out[k] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            out[k] = pa.array([None if v is None else json.dumps(v) for v in values], pa.string())
    return pa.table(out) if out else pa.table({"url": pa.nulls(0, pa.string())})
