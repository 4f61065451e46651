"""The gzip members of a byte range of a file: the grain on which a compressed WARC is cut.

A WARC file written the usual way holds one gzip member per record, so a byte range can be read
on its own: its reader finds the first member that starts in the range and reads members one
after another until one starts at or past the range's end. A member belongs to the range in
which it starts, so ranges partition the members exactly.

Where a range starts, the first member is found by scanning for the gzip magic bytes and keeping
the first candidate that decompresses to what a caller expects (``looks_right``: a WARC header).
After a member ends, the next one starts right there if it is valid; otherwise (damaged bytes)
the reader scans on from there by the same rule, so a reader that arrives from the previous range
and a reader that starts at the boundary agree on the next member. The one residual risk is a
false candidate inside a member: deflate stores incompressible bytes verbatim, so a record whose
payload is itself a gzipped WARC file holds candidates that decompress to a WARC header; a range
boundary that falls inside such a record can make the next range start at one of them.

Members are decompressed as streams (never held whole), so a file that is one gzip stream is read
by one range with bounded memory; the other ranges of that file find no member of their own.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterator

MAGIC = b"\x1f\x8b\x08"  # gzip id bytes and the deflate method
BLOCK = 1 << 16  # compressed bytes read at a time
OUT_LIMIT = 1 << 20  # decompressed bytes produced per step: a bomb cannot fill memory
PROBE_BYTES = 1 << 20  # compressed bytes a candidate may use to show its first output bytes


class CorruptMember(Exception):
    """A gzip member's data does not decompress."""


class Member(io.RawIOBase):
    """One gzip member of ``raw``, decompressed as it is read; ``start`` is its compressed offset.

    After it is read to its end, ``end`` is the offset just past it (None until then, and when
    the file ends inside it: then ``cut`` says so). A decompression error raises
    :class:`CorruptMember` from ``read``.
    """

    def __init__(self, raw, start: int):
        super().__init__()
        self.raw, self.start = raw, start
        raw.seek(start)
        self._fed = start  # offset just past the compressed bytes read so far
        self._unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._out = b""  # decompressed bytes not yet read, from offset _at
        self._at = 0
        self._tail = b""
        self._produced = 0
        self.end: int | None = None
        self.cut: str | None = None
        self.error: str | None = None

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._produced

    @property
    def done(self) -> bool:
        return self.end is not None or self.cut is not None or self.error is not None

    def _fill(self) -> None:
        while not self._out and not self.done:
            data = self._tail
            if not data:
                data = self.raw.read(BLOCK)
                self._fed += len(data)
            if not data:
                self.cut = "the file ends inside this gzip member"
                return
            try:
                self._out = self._unzip.decompress(data, OUT_LIMIT)
            except zlib.error as err:
                self.error = f"gzip data corrupt: {err}"
                raise CorruptMember(self.error) from err
            self._tail = self._unzip.unconsumed_tail
            if self._unzip.eof:
                self.end = self._fed - len(self._unzip.unused_data) - len(self._tail)

    def readinto(self, buffer) -> int:
        self._fill()
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = self._out[self._at:self._at + n]
        self._at += n
        if self._at == len(self._out):
            self._out, self._at = b"", 0
        self._produced += n
        return n

    def drain(self) -> None:
        """Read to the member's end, so that ``end`` (or ``cut``/``error``) is known."""
        try:
            while not self.done or self._out:
                self._out, self._at = b"", 0
                self._fill()
        except CorruptMember:
            pass


def probe(raw, offset: int, looks_right: Callable[[bytes], bool]) -> bool:
    """True when a gzip member starts at ``offset`` and its first output passes ``looks_right``."""
    raw.seek(offset)
    data = raw.read(4096)
    if not data.startswith(MAGIC):
        return False
    unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out, used = b"", 0
    try:
        while len(out) < 16 and not unzip.eof and data and used < PROBE_BYTES:
            out += unzip.decompress(data, 16 - len(out))  # input is used up unless out is full
            used += len(data)
            data = raw.read(4096)
    except zlib.error:
        return False
    return looks_right(out)


def find_member(raw, start: int, stop: int, looks_right: Callable[[bytes], bool]) -> int | None:
    """The offset of the first valid member (see :func:`probe`) in ``[start, stop)``, or None.
    Cost: reads ``[start, found)`` once, plus a probe of each false magic candidate on the way."""
    pos = start
    while pos < stop:
        raw.seek(pos)
        block = raw.read(BLOCK + len(MAGIC) - 1)
        i = block.find(MAGIC)
        while i != -1 and i < BLOCK and pos + i < stop:
            if probe(raw, pos + i, looks_right):
                return pos + i
            i = block.find(MAGIC, i + 1)
        if len(block) < BLOCK + len(MAGIC) - 1:
            return None  # the end of the file
        pos += BLOCK
    return None


class Skipped:
    """Bytes after a member that are not a valid member: where they start and why skipped."""

    def __init__(self, start: int, detail: str):
        self.start, self.detail = start, detail


def members_in_range(
    raw, start: int, stop: int, looks_right: Callable[[bytes], bool]
) -> Iterator[Member | Skipped]:
    """The members that start in ``[start, stop)`` of ``raw``, in order, each to be read by the
    caller (what it leaves unread is drained here); a :class:`Skipped` marks damaged bytes that
    follow one of them. The member at offset 0 is taken as it is, valid or not, so that a
    damaged first member is reported by the range that owns the file's start."""
    pos = start if start == 0 else find_member(raw, start, stop, looks_right)
    while pos is not None and pos < stop:
        member = Member(raw, pos)
        yield member
        member.drain()
        if member.cut:
            return
        if member.error:
            pos = find_member(raw, pos + 1, stop, looks_right)
            continue
        nxt = member.end
        raw.seek(nxt)
        if not raw.read(1):
            return
        if probe(raw, nxt, looks_right):
            pos = nxt
            continue
        pos = find_member(raw, nxt + 1, stop, looks_right)
        where = f"to offset {pos}" if pos is not None else "to the end of the range"
        yield Skipped(nxt, f"bytes at offset {nxt} are not a gzip member holding a record: skipped {where}")
