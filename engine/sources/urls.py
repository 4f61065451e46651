"""URL lists (LAION, DataComp, COYO metadata and plain lists) read as pair records to fetch.

Parquet, CSV, TSV, JSONL and plain text (one URL per line; blank lines and ``#`` comments are
skipped) are read as they are. The url and caption columns are found by name (configurable);
every other column is carried through, renamed ``src_NAME`` where it would collide with a pair
column. A record's key is the key of its URL, so the same URL in two lists is one record.
A row with no URL, or with bytes that are not UTF-8, is rejected while reading.

Planning reads metadata only: Parquet files are cut into row ranges by their footers; text files
into byte ranges (see :mod:`engine.sources.text_ranges`) from their sizes and a guess of bytes per
line taken from their first 64 KiB. A text record is one line, identified by its byte offset
(``source`` is ``NAME@OFFSET``). So a CSV value may not hold a line break: a line with an odd
number of quote characters is rejected (``malformed_csv_line``), and a line whose fields do not
match the header (``malformed_csv_row``), rather than merged with the next.
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
from engine.sources.base import (
    Source,
    Unit,
    cut_byte_ranges,
    cut_units,
    expand_paths,
    mark_read_rejects,
    number_units,
)
from engine.sources.identity import relative_names
from engine.sources.parquet_rows import read_rows
from engine.sources.text_ranges import bytes_per_line, header_line, lines_in_range
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

    def plan(self, unit_size: int) -> list[Unit]:
        """Row ranges of Parquet files (footers), byte ranges of text files (sizes). Cost per
        file: a footer, or a stat and a 64 KiB sample; no record is counted."""
        units: list[Unit] = []
        for path in self._paths:
            if _kind(path) == "parquet":
                with fsspec.open(path, "rb") as f:
                    units += cut_units([(path, pq.ParquetFile(f).metadata.num_rows)], unit_size)
            else:
                size = fsspec.core.url_to_fs(path)[0].size(path)
                per_line = bytes_per_line(path)
                units += cut_byte_ranges([(path, size, max(1, round(unit_size * per_line)))], per_line)
        return number_units(units)

    def read(self, unit: Unit) -> pa.Table:
        name = self._names[unit.path]
        if _kind(unit.path) == "parquet":
            with fsspec.open(unit.path, "rb") as f:
                table = read_rows(pq.ParquetFile(f), unit.start, unit.stop)
            return self.to_pairs(table, [f"{name}#{unit.start + i}" for i in range(table.num_rows)], unit.path)
        table, offsets = _read_text_range(unit, self.url_col, self.caption_col)
        return self.to_pairs(table, [f"{name}@{o}" for o in offsets], unit.path)

    def to_pairs(self, table: pa.Table, ids: list[str], path: str = "") -> pa.Table:
        """Map the list's columns onto the pair record; mark rows with no usable URL. ``ids``:
        each row's place in its file (``NAME#ROW``, ``NAME@BYTE_OFFSET``), its source identity."""
        n = table.num_rows
        parse_errors = [None] * n
        if READ_ERROR in table.column_names:
            parse_errors = table.column(READ_ERROR).to_pylist()
            table = table.drop_columns([READ_ERROR])
        url_col = self.url_col or _first_present(table.column_names, URL_NAMES)
        cap_col = self.caption_col or _first_present(table.column_names, CAPTION_NAMES)
        if url_col not in table.column_names and n == 0:  # a byte range that holds no record
            table = table.append_column(url_col, pa.nulls(0, pa.string()))
        if url_col not in table.column_names:
            raise ValueError(f"{path}: no url column {url_col!r} in {table.column_names}")
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
            keys.append(url_key(url) if reason is None else record_key(ids[i]))
        out: dict[str, Any] = {
            "key": pa.array(keys, pa.string()),
            "url": pa.array(urls, pa.string()),
            "caption": pa.array(captions, pa.string()),
            "source": pa.array(ids, pa.string()),
        }
        for col in table.column_names:
            if col in (url_col, cap_col):
                continue
            target = f"src_{col}" if col in RESERVED or col.startswith("_") else col
            out.setdefault(target, table.column(col))
        details = [f"{ids[i]}: {r}" if r else None for i, r in enumerate(reasons)]
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


def _read_text_range(unit: Unit, url_col: str | None, caption_col: str | None
                     ) -> tuple[pa.Table, list[int]]:
    """The records of a text file's byte range, and each one's byte offset."""
    kind = _kind(unit.path)
    lines = lines_in_range(unit.path, unit.start, unit.stop)
    if kind in ("csv", "tsv"):
        header = header_line(unit.path)
        if lines and lines[0][0] == 0:
            lines = lines[1:]  # the header is the file's first line, not a record
    lines = [(o, ln.rstrip(b"\r")) for o, ln in lines]
    if kind == "text":
        lines = [(o, ln.strip()) for o, ln in lines]
        lines = [(o, ln) for o, ln in lines if ln and not ln.startswith(b"#")]
        return pa.table({url_col or "url": pa.array([ln for _, ln in lines], pa.binary())}), [o for o, _ in lines]
    lines = [(o, ln) for o, ln in lines if ln.strip()]
    offsets = [o for o, _ in lines]
    if kind == "jsonl":
        table = _read_jsonl([ln for _, ln in lines])
        names = [url_col] if url_col else URL_NAMES
        if not any(c in table.column_names for c in names):  # JSON lines have no schema: none had it
            table = table.append_column(names[0], pa.nulls(table.num_rows, pa.string()))
        return table, offsets
    return _read_csv_lines(header, [ln for _, ln in lines], "\t" if kind == "tsv" else ",",
                           url_col, caption_col), offsets


def _read_csv_lines(header: bytes, lines: list[bytes], delimiter: str, url_col: str | None,
                    caption_col: str | None) -> pa.Table:
    """One row per line, parsed by Arrow against ``header``; lines that cannot be one record
    alone get a ``READ_ERROR`` row (see the module docstring)."""
    names = [h.strip().strip('"') for h in header.decode("utf-8", "replace").strip().split(delimiter)]
    wanted = [url_col or _first_present(names, URL_NAMES),
              caption_col or _first_present(names, CAPTION_NAMES)]
    reasons: list[str | None] = [None] * len(lines)
    whole = []
    for i, line in enumerate(lines):
        if line.count(b'"') % 2 or b"\r" in line:
            reasons[i] = "malformed_csv_line"
        else:
            whole.append(i)
    bad: set[int] = set()

    def invalid(row) -> str:
        bad.add(row.number - 2)  # Arrow counts the header as row 1
        return "skip"

    # url and caption as bytes, decoded per row, so invalid UTF-8 rejects one row, not the file
    table = pacsv.read_csv(
        pa.py_buffer(b"\n".join([header, *(lines[i] for i in whole)]) + b"\n"),
        read_options=pacsv.ReadOptions(use_threads=False),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=invalid),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.binary() for c in wanted if c in names},
                                             strings_can_be_null=True),
    )
    rows: list[int | None] = [None] * len(lines)
    parsed = 0
    for k, i in enumerate(whole):
        if k in bad:
            reasons[i] = "malformed_csv_row"
        else:
            rows[i], parsed = parsed, parsed + 1
    table = table.take(pa.array(rows, pa.int64()))
    return table.append_column(READ_ERROR, pa.array(reasons, pa.string())) if any(reasons) else table


def _read_jsonl(lines: list[bytes]) -> pa.Table:
    rows: list[dict[str, Any]] = []
    for line in lines:
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
