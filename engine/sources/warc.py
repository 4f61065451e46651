"""Read HTML pages out of WARC and ARC files (gzip or plain; local paths, fsspec URLs, and
Common Crawl ``warc.paths(.gz)`` lists).

What counts as an input: every ``response`` record whose HTTP ``Content-Type`` is HTML
(``text/html``, ``application/xhtml+xml``), plus every record or stretch of a file that cannot be
read, which becomes a read reject with a reason (``malformed_archive``, ``incomplete_payload``,
``malformed_http_headers``, ``html_too_large``, ``unreadable_file``). Every other record
(``warcinfo``, ``request``, ``revisit``, ``metadata``, ``resource``, non-HTML responses) is not an
input: it is skipped and counted by kind in :attr:`WarcSource.skipped` after planning, and
described by :meth:`WarcSource.notes` (not part of :meth:`config`, which must be the same before
and after planning since it fingerprints the job).

Planning indexes each file once (record offsets), so units of a large file are read by seeking.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import fsspec
import pyarrow as pa
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from engine.consent.http_rights import rights_headers
from engine.keys import record_key, url_key
from engine.sources.base import Source, Unit, cut_units, expand_paths, mark_read_rejects

ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
PATH_LIST_SUFFIXES = (".paths", ".paths.gz")
HTML_TYPES = ("text/html", "application/xhtml+xml")

WARC_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("url", pa.string()),
        ("warc_record_id", pa.string()),
        ("warc_date", pa.string()),
        ("warc_file", pa.string()),
        ("warc_offset", pa.int64()),
        ("http_status", pa.int32()),
        ("content_type", pa.string()),
        ("x_robots_tag", pa.string()),
        ("rights_headers", pa.string()),  # TDMRep and Link rel=license (engine/consent)
        ("html", pa.binary()),
    ]
)


class _Entry(NamedTuple):
    """One input row of a file: where its record starts, and why it is rejected (if it is).

    A plain tuple, so that the indexes travel to workers with the source cheaply."""

    offset: int
    ordinal: int  # the record's number in its file
    reason: str | None = None
    detail: str | None = None
    url: str | None = None


@dataclass
class _Index:
    entries: list[_Entry]
    gunzip: bool  # the file is one gzip stream, not one member per record: offsets are unzipped
    skipped: Counter


def is_html(content_type: str | None) -> bool:
    """True when an HTTP Content-Type names an HTML document."""
    return bool(content_type) and content_type.split(";")[0].strip().lower() in HTML_TYPES


class WarcSource(Source):
    """HTML response records of WARC/ARC files, one row per page (see the module docstring).

    ``inputs``: files, folders, globs, fsspec URLs, or ``*.paths(.gz)`` lists whose lines are
    resolved against ``path_prefix`` (Common Crawl's ``warc.paths.gz``).
    """

    kind = "documents"

    def __init__(
        self,
        inputs: Sequence[str],
        *,
        path_prefix: str = "https://data.commoncrawl.org/",
        max_html_bytes: int = 5_000_000,
    ):
        self.inputs = list(inputs)
        self.path_prefix = path_prefix
        self.max_html_bytes = max_html_bytes
        self._indexes: dict[str, _Index] = {}
        self.skipped: dict[str, dict[str, int]] = {}

    def files(self) -> list[str]:
        """The archive files the inputs name, sorted."""
        found: set[str] = set()
        for item in self.inputs:
            fs, root = fsspec.core.url_to_fs(item)
            if item.lower().endswith(PATH_LIST_SUFFIXES):
                found.update(self._read_path_list(item))
            elif not any(ch in root for ch in "*?[") and fs.isfile(root):
                found.add(item)  # a file named explicitly is read whatever its suffix
            else:
                found.update(expand_paths([item], ARCHIVE_SUFFIXES))
        return sorted(found)

    def _read_path_list(self, item: str) -> list[str]:
        with fsspec.open(item, "rb", compression="infer") as f:
            lines = f.read().decode("utf-8").splitlines()
        prefix = self.path_prefix.rstrip("/") + "/"
        return [ln.strip() if "://" in ln else prefix + ln.strip().lstrip("/")
                for ln in lines if ln.strip()]

    def plan(self, unit_size: int) -> list[Unit]:
        counts = []
        for path in self.files():
            index = self._index(path)
            counts.append((path, len(index.entries)))
            self.skipped[path] = dict(sorted(index.skipped.items()))
        return cut_units(counts, unit_size)

    def notes(self) -> list[str]:
        """One line per file that had records which are not inputs, with their counts by kind."""
        return [
            f"warc: {path}: skipped (not HTML responses) "
            + ", ".join(f"{kind}={n}" for kind, n in counts.items())
            for path, counts in self.skipped.items()
            if counts
        ]

    def config(self) -> dict[str, Any]:
        return {
            **super().config(),
            "inputs": self.inputs,
            "path_prefix": self.path_prefix,
            "max_html_bytes": self.max_html_bytes,
        }

    def _index(self, path: str) -> _Index:
        if path not in self._indexes:
            self._indexes[path] = _build_index(path, self.max_html_bytes)
        return self._indexes[path]

    def read(self, unit: Unit) -> pa.Table:
        index = self._index(unit.path)
        entries = index.entries[unit.start : unit.stop]
        rows, reasons, details = [], [], []
        with _open_archive(unit.path, index.gunzip) as stream:
            for entry in entries:
                row, reason, detail = self._read_entry(stream, unit.path, entry)
                rows.append(row)
                reasons.append(reason)
                details.append(detail)
        table = pa.Table.from_pylist(rows, schema=WARC_SCHEMA)
        return mark_read_rejects(table, reasons, details)

    def _read_entry(self, stream, path: str, entry: _Entry):
        empty = _row(path, entry, None)
        if entry.reason:
            return empty, entry.reason, entry.detail
        try:
            stream.seek(entry.offset)
            record = next(iter(ArchiveIterator(stream, arc2warc=True)))
            reason, detail, html = _check_record(record, self.max_html_bytes, _is_arc(path))
        except (ArchiveLoadFailed, StopIteration, OSError, ValueError, EOFError) as err:
            return empty, "malformed_archive", f"{type(err).__name__}: {str(err).strip()[:200]}"
        return _row(path, entry, record, html), reason, detail


def _open_archive(path: str, gunzip: bool):
    f = fsspec.open(path, "rb").open()
    if not gunzip:
        return f
    # one gzip stream around all records: no member to seek to, so unzip it whole; a cut-off
    # stream keeps what could be unzipped, and its last record then reads as incomplete
    chunks, cut = [], None
    with f:
        unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while block := f.read(1 << 20):
                while block:
                    if unzip.eof:  # a further gzip member
                        unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    chunks.append(unzip.decompress(block))
                    block = unzip.unused_data if unzip.eof else b""
        except zlib.error as err:
            cut = f"gzip data corrupt: {err}"[:200]
        if cut is None and not unzip.eof:
            cut = "gzip stream cut off before its end"
    stream = io.BytesIO(b"".join(chunks))
    stream.cut = cut  # read by _scan, which accounts for the lost tail
    return stream


def _iter_records(stream) -> Iterator[tuple[int, Any]]:
    iterator = ArchiveIterator(stream, arc2warc=True)
    for record in iterator:
        yield iterator.get_record_offset(), record


def _build_index(path: str, max_html_bytes: int) -> _Index:
    try:
        return _scan(path, max_html_bytes, gunzip=False)
    except _NonChunkedGzip:
        return _scan(path, max_html_bytes, gunzip=True)
    except (OSError, ValueError, EOFError) as err:
        entry = _Entry(0, 0, "unreadable_file", f"{type(err).__name__}: {str(err)[:200]}")
        return _Index([entry], False, Counter())


class _NonChunkedGzip(Exception):
    pass


def _scan(path: str, max_html_bytes: int, *, gunzip: bool) -> _Index:
    entries: list[_Entry] = []
    skipped: Counter = Counter()
    is_arc = _is_arc(path)
    ordinal = 0
    offset = 0
    with _open_archive(path, gunzip) as stream:
        try:
            for offset, record in _iter_records(stream):
                kind = _input_kind(record)
                if kind == "response_not_html" and not is_arc and _truncated(record):
                    kind = None  # a cut-off response may have lost its Content-Type: an input
                if kind is not None:
                    skipped[kind] += 1
                else:
                    reason, detail, _ = _check_record(record, max_html_bytes, is_arc)
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    entries.append(_Entry(offset, ordinal, reason, detail, url))
                ordinal += 1
        except ArchiveLoadFailed as err:
            if "non-chunked gzip" in str(err) and not gunzip:
                raise _NonChunkedGzip() from err
            detail = f"after record {ordinal}: {' '.join(str(err).split())[:200]}"
            entries.append(_Entry(offset, ordinal, "malformed_archive", detail))
        except (OSError, EOFError, ValueError, gzip.BadGzipFile) as err:
            detail = f"after record {ordinal}: {type(err).__name__}: {str(err)[:200]}"
            entries.append(_Entry(offset, ordinal, "malformed_archive", detail))
        cut = getattr(stream, "cut", None)
        if cut and not (entries and entries[-1].reason == "malformed_archive"):
            entries.append(_Entry(offset, ordinal, "malformed_archive", cut))
    return _Index(entries, gunzip, skipped)


def _input_kind(record) -> str | None:
    """None when the record is an input; otherwise the kind under which it is counted as skipped."""
    if record.rec_type != "response":
        return record.rec_type or "unknown"
    if record.http_headers is None or record.http_headers.get_statuscode() is None:
        return None  # a response without HTTP headers is an input rejected as malformed
    if not is_html(record.http_headers.get_header("Content-Type")):
        return "response_not_html"
    return None


def _truncated(record) -> bool:
    """Drain the record's payload; True when it ends before its declared length."""
    while record.raw_stream.read(1 << 16):
        pass
    return bool(getattr(record.raw_stream, "limit", 0))


def _is_arc(path: str) -> bool:
    return path.lower().endswith((".arc", ".arc.gz"))


def _check_record(
    record, max_html_bytes: int, is_arc: bool
) -> tuple[str | None, str | None, bytes | None]:
    """Read the record's payload; return (reason, detail, html)."""
    if record.http_headers is None or record.http_headers.get_statuscode() is None:
        return "malformed_http_headers", "response record without HTTP status line", None
    html = record.content_stream().read(max_html_bytes + 1)
    if len(html) > max_html_bytes:
        return "html_too_large", f"more than {max_html_bytes} bytes", None
    left = getattr(record.raw_stream, "limit", 0)
    # ARC lengths often count a trailing newline; only WARC lengths are exact enough to check
    if not is_arc and left:
        detail = f"{left} bytes of the record left unread (truncated, or bad chunking)"
        return "incomplete_payload", detail, None
    return None, None, html


def _row(path: str, entry: _Entry, record, html: bytes | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"warc_file": path, "warc_offset": entry.offset, "html": html}
    url = entry.url
    if record is not None:
        h = record.rec_headers
        url = h.get_header("WARC-Target-URI")
        row.update(
            warc_record_id=h.get_header("WARC-Record-ID"),
            warc_date=h.get_header("WARC-Date"),
        )
        if record.http_headers is not None:
            status = record.http_headers.get_statuscode()
            row["http_status"] = int(status) if status and status.isdigit() else None
            row["content_type"] = record.http_headers.get_header("Content-Type")
            tags = [v for k, v in record.http_headers.headers if k.lower() == "x-robots-tag"]
            row["x_robots_tag"] = "\n".join(tags) if tags else None
            row["rights_headers"] = rights_headers(record.http_headers.headers)
    row["url"] = url or entry.url
    row["key"] = url_key(url) if url else record_key(f"{path}#{entry.ordinal}")
    return row
