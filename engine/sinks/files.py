"""Deterministic, hashed file writing: tars whose bytes depend only on their members, and
Parquet files written the same way every time."""

from __future__ import annotations

import hashlib
import io
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
    and mode), so that the same records give byte-identical shards."""

    def __init__(self, path: str):
        self.path = path
        self._file = open(path, "wb")  # noqa: SIM115 -- closed in close()
        self._tar = tarfile.open(fileobj=self._file, mode="w", format=tarfile.USTAR_FORMAT)  # noqa: SIM115 -- closed in close()

    def add(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = 0
        info.mode = 0o444
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        self._tar.addfile(info, io.BytesIO(data))

    def close(self) -> WrittenFile:
        self._tar.close()
        self._file.close()
        return describe(self.path)


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
