"""Deterministic, hashed file writing: tars whose bytes depend only on their members, and
Parquet files written the same way every time."""

from __future__ import annotations

import hashlib
import os
import tarfile
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class WrittenFile:
    """A file as written: its name (relative to its folder), size and sha256."""

    name: str
    bytes: int
    sha256: str


class DeterministicTar:
    """A tar writer whose output depends only on member names and contents (fixed mtime, owner
    and mode), so that the same records give byte-identical shards.

    The bytes are exactly those of :mod:`tarfile` (USTAR; ``tests/unit/test_tar_headers.py``),
    but the usual header is not built by it: a member's header differs from a fixed template only
    in its name, size and checksum, which we fill in. ``TarFile.addfile`` copies the ``TarInfo``,
    builds the header field by field and keeps every member in a list: 31 us a member against
    6 us here, which was 1.4 CPU-s per 20k pairs (three members each) of ``bench/pipeline.py``.
    Names over 100 bytes and sizes of 8 GiB or more take tarfile's own header (prefix split, or
    its error).
    """

    def __init__(self, path: str):
        self.path = path
        # a 1 MiB buffer: with the default 8 KiB most members cost a write call, 18 -> 13 us
        # a pair record of three members
        self._file = open(path, "wb", buffering=1 << 20)  # noqa: SIM115 -- closed in close()
        self._offset = 0
        # hashed as written: reading the tar back to hash it cost ~5 us a record more
        self._digest = hashlib.sha256()

    def add(self, name: str, data: bytes) -> None:
        encoded = name.encode(_ENCODING, _ERRORS)
        size = len(data)
        header = _header(encoded, size) if len(encoded) <= 100 and size < _MAX_SIZE else _tarfile_header(name, size)
        padding = -size % tarfile.BLOCKSIZE
        for chunk in (header, data, _ZEROS[:padding]) if padding else (header, data):
            self._file.write(chunk)
            self._digest.update(chunk)
        self._offset += len(header) + size + padding

    def close(self) -> WrittenFile:
        """End the archive as ``TarFile.close`` does: two zero blocks, then zeros up to a whole
        record (10240 bytes)."""
        end = 2 * tarfile.BLOCKSIZE
        end += -(self._offset + end) % tarfile.RECORDSIZE
        tail = bytes(end)
        self._file.write(tail)
        self._digest.update(tail)
        self._file.close()
        return WrittenFile(os.path.basename(self.path), self._offset + end, self._digest.hexdigest())


_ENCODING, _ERRORS = "utf-8", "surrogateescape"  # what tarfile uses for names on Linux
_MAX_SIZE = 8**11  # what the 11 octal digits of the size field hold
_ZEROS = bytes(tarfile.BLOCKSIZE)


def _tarfile_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o444
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.USTAR_FORMAT, _ENCODING, _ERRORS)


_TEMPLATE = _tarfile_header("", 0)  # mode, owner, mtime, type, magic: the same for every member
_MIDDLE, _AFTER_SIZE, _END = _TEMPLATE[100:124], _TEMPLATE[136:148], _TEMPLATE[156:]
# tarfile's checksum: the sum of the header's bytes, the checksum field counted as 8 spaces
_FIXED_SUM = sum(_MIDDLE) + sum(_AFTER_SIZE) + sum(_END) + 8 * ord(" ")


def _header(name: bytes, size: int) -> bytes:
    """``_tarfile_header`` for a name of at most 100 bytes: the template with its name, size
    and checksum filled in."""
    size_field = b"%011o\0" % size
    checksum = _FIXED_SUM + sum(name) + sum(size_field)
    return b"".join((name, bytes(100 - len(name)), _MIDDLE, size_field, _AFTER_SIZE,
                     b"%06o\0 " % checksum, _END))


def write_parquet(table: pa.Table, path: str) -> WrittenFile:
    """Write ``table`` to ``path`` with fixed settings and describe the result."""
    pq.write_table(table, path, compression="zstd", write_statistics=True, store_schema=True)
    return describe(path)


def describe(path: str) -> WrittenFile:
    """Size and sha256 of a written file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return WrittenFile(os.path.basename(path), os.path.getsize(path), digest.hexdigest())
