"""Atomic file writes: write under a temporary sibling name, then rename over the target.

A reader, or a run resumed after a kill, sees the old file or the whole new one, never part of
one (DESIGN.md invariant 3). The temporary name is ``.{name}.tmp-{hex}``: hidden (WebDataset
readers skip dot-files), unique per writer (two attempts of one task never share it, and a rerun
overwrites), and what ``WorkDir.clean`` removes and ``loomery verify`` reports as a leftover.

Folders are published the same way by their owners (``WorkDir.publish_unit``, ``loomery
models pull``): a rename of a finished temporary folder.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TMP_MARK = ".tmp-"  # in every temporary name: what cleanup and verify look for


def temp_path(path: str | Path) -> Path:
    """A fresh temporary sibling of ``path`` for a writer to fill and :func:`publish_file`."""
    path = Path(path)
    return path.with_name(f".{path.name}{TMP_MARK}{uuid.uuid4().hex}")


def publish_file(tmp: Path, path: str | Path, *, fsync: bool = False) -> None:
    """Rename the finished ``tmp`` over ``path``; ``fsync`` first flushes it to disk, for files
    that must survive a power loss and not only a killed process (markers, manifests)."""
    if fsync:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    os.replace(tmp, path)


@contextmanager
def atomic_path(path: str | Path, *, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on a clean exit it replaces ``path``, on an error it is
    removed and ``path`` is left as it was."""
    tmp = temp_path(path)
    try:
        yield tmp
        publish_file(tmp, path, fsync=fsync)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path, fsync=fsync) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | Path, text: str, *, fsync: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"), fsync=fsync)


def write_json(path: str | Path, data: Any, *, compact: bool = False) -> None:
    """Write ``data`` as JSON (UTF-8, a final newline) to ``path`` atomically and fsynced: JSON
    files are the run's markers and manifests. ``compact`` (one line, no indent) for files that
    grow with the run, such as the plan's one entry per unit."""
    text = json.dumps(data, indent=None if compact else 2,
                      separators=(",", ":") if compact else None, ensure_ascii=False)
    write_text(path, text + "\n", fsync=True)
