"""Read HTML pages out of WARC and ARC files (gzip or plain; local paths, fsspec URLs, and
Common Crawl ``warc.paths(.gz)`` lists).

What counts as an input: every ``response`` record whose HTTP ``Content-Type`` is HTML
(``text/html``, ``application/xhtml+xml``), plus every record or stretch of a file that cannot be
read, which becomes a read reject with a reason (``malformed_archive``, ``incomplete_payload``,
``malformed_http_headers``, ``html_too_large``, ``unreadable_file``). Every other record
(``warcinfo``, ``request``, ``revisit``, ``metadata``, ``resource``, non-HTML responses) is not an
input: it is skipped and counted by kind in :attr:`WarcSource.skipped` by the process that read
it, and described by :meth:`WarcSource.notes` (not part of :meth:`config`, which fingerprints
the job).

Planning reads no data. A ``.warc.gz`` file is cut into byte ranges of about ``unit_size *
record_bytes`` bytes (its size from the file system's metadata; files named in a path list are
not even stat'ed: see ``listed_file_bytes``); a range holds the records whose gzip member starts
in it (see :mod:`engine.sources.gzip_members`), counted as they are read. A plain ``.warc``, an
``.arc`` or ``.arc.gz`` is one unit, streamed: plain WARC payloads may quote WARC headers, so a
reader starting mid-file could not find the next record with certainty. A ``.warc.gz`` that is
one gzip stream (not one member per record) cannot be cut either: the range holding its start
reads it whole, streaming, and the other ranges find nothing (a warning says so).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import fsspec
import pyarrow as pa
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from engine.consent.http_rights import rights_headers
from engine.keys import record_key, url_key
from engine.sources.base import END, Source, Unit, cut_byte_ranges, expand_paths, mark_read_rejects
from engine.sources.gzip_members import MAGIC, CorruptMember, Skipped, members_in_range

ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
SPLITTABLE_SUFFIXES = (".warc.gz",)  # one gzip member per record: byte ranges can be read alone
PATH_LIST_SUFFIXES = (".paths", ".paths.gz")
HTML_TYPES = ("text/html", "application/xhtml+xml")
READ_ERRORS = (ArchiveLoadFailed, CorruptMember, OSError, EOFError, ValueError)

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

log = logging.getLogger("loomery")


def is_html(content_type: str | None) -> bool:
    """True when an HTTP Content-Type names an HTML document."""
    return bool(content_type) and content_type.split(";")[0].strip().lower() in HTML_TYPES


class WarcSource(Source):
    """HTML response records of WARC/ARC files, one row per page (see the module docstring).

    ``inputs``: files, folders, globs, fsspec URLs, or ``*.paths(.gz)`` lists whose lines are
    resolved against ``path_prefix`` (Common Crawl's ``warc.paths.gz``).
    ``record_bytes``: compressed bytes per HTML page, a guess used to size byte ranges and to
    estimate their records (Common Crawl: about 1 GB and 40-50 thousand pages per file).
    ``listed_file_bytes``: the size assumed for a file named in a path list, which planning does
    not stat (on remote storage a stat is a request per file): it is cut into ranges up to this
    size, the last one open-ended, so a larger file is still read whole (by that last range);
    0 plans one unit per listed file.
    """

    kind = "documents"

    def __init__(
        self,
        inputs: Sequence[str],
        *,
        path_prefix: str = "https://data.commoncrawl.org/",
        max_html_bytes: int = 5_000_000,
        record_bytes: int = 25_000,
        listed_file_bytes: int = 1 << 30,
    ):
        self.inputs = list(inputs)
        self.path_prefix = path_prefix
        self.max_html_bytes = max_html_bytes
        self.record_bytes = record_bytes
        self.listed_file_bytes = listed_file_bytes
        self.skipped: dict[str, dict[str, int]] = {}
        self._warned: set[str] = set()

    def files(self) -> list[str]:
        """The archive files the inputs name, sorted."""
        return sorted(self._sized_files())

    def _sized_files(self) -> dict[str, int | None]:
        """Each archive file with its size in bytes; None for a file named in a path list."""
        found: dict[str, int | None] = {}
        for item in self.inputs:
            fs, root = fsspec.core.url_to_fs(item)
            if item.lower().endswith(PATH_LIST_SUFFIXES):
                found.update(dict.fromkeys(self._read_path_list(item)))
            elif not any(ch in root for ch in "*?[") and fs.isfile(root):
                found[item] = fs.size(root)  # a file named explicitly is read whatever its suffix
            else:
                for path in expand_paths([item], ARCHIVE_SUFFIXES):
                    found[path] = fsspec.core.url_to_fs(path)[0].size(path)
        return found

    def _read_path_list(self, item: str) -> list[str]:
        """The listing's lines as URLs. Cost: the listing itself (~100 bytes per file)."""
        with fsspec.open(item, "rb", compression="infer") as f:
            lines = f.read().decode("utf-8").splitlines()
        prefix = self.path_prefix.rstrip("/") + "/"
        return [ln.strip() if "://" in ln else prefix + ln.strip().lstrip("/")
                for ln in lines if ln.strip()]

    def plan(self, unit_size: int) -> list[Unit]:
        """Byte ranges from file sizes only (see the module docstring); opens no archive."""
        if unit_size < 1:
            raise ValueError("unit_size must be at least 1")
        span = unit_size * self.record_bytes
        cuts = []
        for path, size in sorted(self._sized_files().items()):
            if size is None:
                size = self.listed_file_bytes or span
            splittable = path.lower().endswith(SPLITTABLE_SUFFIXES)
            cuts.append((path, size, span if splittable else max(size, 1)))
        return cut_byte_ranges(cuts, self.record_bytes)

    def notes(self) -> list[str]:
        """One line per file that had records which are not inputs, with their counts by kind.
        Planning reads nothing, so these are the files this process has read; in a run the
        workers count them per unit in their debug log."""
        return [
            f"warc: {path}: skipped (not HTML responses) "
            + ", ".join(f"{kind}={n}" for kind, n in sorted(counts.items()))
            for path, counts in self.skipped.items()
            if counts
        ]

    def config(self) -> dict[str, Any]:
        return {
            **super().config(),
            "inputs": self.inputs,
            "path_prefix": self.path_prefix,
            "max_html_bytes": self.max_html_bytes,
            "record_bytes": self.record_bytes,
            "listed_file_bytes": self.listed_file_bytes,
        }

    def read(self, unit: Unit) -> pa.Table:
        """The input records that start in the unit's byte range, in file order."""
        rows, reasons, details = [], [], []
        skipped: Counter = Counter()
        for row, reason, detail in self._rows(unit, skipped):
            rows.append(row)
            reasons.append(reason)
            details.append(detail)
        if skipped:
            counts = self.skipped.setdefault(unit.path, {})
            for kind, n in skipped.items():
                counts[kind] = counts.get(kind, 0) + n
            log.debug("warc: %s [%d, %d): skipped %s", unit.path, unit.start, unit.stop, dict(skipped))
        table = pa.Table.from_pylist(rows, schema=WARC_SCHEMA)
        return mark_read_rejects(table, reasons, details)

    def _rows(self, unit: Unit, skipped: Counter) -> Iterator[tuple[dict, str | None, str | None]]:
        path = unit.path
        try:
            raw = fsspec.open(path, "rb").open()
        except (OSError, ValueError) as err:
            if unit.start == 0:  # the unit that owns the file's start speaks for the whole file
                yield _failure(path, 0, "unreadable_file", f"{type(err).__name__}: {str(err)[:200]}")
            return
        with raw:
            head = raw.read(len(MAGIC))
            if head == MAGIC:
                yield from self._member_rows(raw, unit, skipped)
            elif unit.start == 0:  # plain: one unit reads it, streaming
                raw.seek(0)
                yield from self._stream_rows(raw, path, 0, skipped)

    def _member_rows(self, raw, unit: Unit, skipped: Counter):
        path = unit.path
        looks_right = _looks_like_warc if path.lower().endswith(SPLITTABLE_SUFFIXES) else bool
        for member in members_in_range(raw, unit.start, unit.stop, looks_right):
            if isinstance(member, Skipped):
                yield _failure(path, member.start, "malformed_archive", member.detail)
                continue
            records = 0
            last_reason = None
            for row, reason, detail in self._stream_rows(member, path, member.start, skipped):
                records += 1
                last_reason = reason
                yield row, reason, detail
            if records > 1 and (unit.start, unit.stop) != (0, END) and path not in self._warned:
                self._warned.add(path)
                log.warning("warc: %s: the gzip member at offset %d holds several records (one gzip "
                            "stream?): it cannot be cut, the unit where it starts reads it whole",
                            path, member.start)
            if member.cut and last_reason != "malformed_archive":
                yield _failure(path, member.start, "malformed_archive",
                               f"gzip member at offset {member.start}: {member.cut}")

    def _stream_rows(self, stream, path: str, base: int, skipped: Counter):
        """Rows of the records of ``stream`` (a file, or one gzip member at offset ``base``);
        a record's offset is ``base`` plus its offset in the stream."""
        is_arc = _is_arc(path)
        iterator = ArchiveIterator(stream, arc2warc=True)
        try:
            for record in iterator:
                kind = _input_kind(record)
                if kind == "response_not_html" and not is_arc and _truncated(record):
                    kind = None  # a cut-off response may have lost its Content-Type: an input
                if kind is not None:
                    skipped[kind] += 1
                    continue
                reason, detail, html = _check_record(record, self.max_html_bytes, is_arc)
                yield _row(path, base + iterator.get_record_offset(), record, html), reason, detail
        except READ_ERRORS as err:
            offset = base + max(0, iterator.offset)  # where the record that failed starts
            detail = f"at offset {offset}: {type(err).__name__}: {' '.join(str(err).split())[:200]}"
            yield _failure(path, offset, "malformed_archive", detail)


def _looks_like_warc(head: bytes) -> bool:
    return head.startswith(b"WARC/")


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


def _failure(path: str, offset: int, reason: str, detail: str) -> tuple[dict, str, str]:
    """A row for a stretch of the file that holds no readable record."""
    row = {"key": record_key(f"{path}@{offset}:{reason}"), "url": None, "warc_file": path,
           "warc_offset": offset, "html": None}
    return row, reason, detail


def _row(path: str, offset: int, record, html: bytes | None) -> dict[str, Any]:
    """A record's row. Its key: the page's URL; else its WARC-Record-ID; else file and offset."""
    h = record.rec_headers
    url = h.get_header("WARC-Target-URI")
    record_id = h.get_header("WARC-Record-ID")
    row: dict[str, Any] = {"warc_file": path, "warc_offset": offset, "html": html, "url": url,
                           "warc_record_id": record_id, "warc_date": h.get_header("WARC-Date")}
    if record.http_headers is not None:
        status = record.http_headers.get_statuscode()
        row["http_status"] = int(status) if status and status.isdigit() else None
        row["content_type"] = record.http_headers.get_header("Content-Type")
        tags = [v for k, v in record.http_headers.headers if k.lower() == "x-robots-tag"]
        row["x_robots_tag"] = "\n".join(tags) if tags else None
        row["rights_headers"] = rights_headers(record.http_headers.headers)
    row["key"] = (url_key(url) if url else record_key(record_id) if record_id
                  else record_key(f"{path}@{offset}"))
    return row
