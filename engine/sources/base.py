"""The source contract: a source cuts its input into units and reads one unit at a time.

A unit is a fixed run of input records inside one file; it is the grain of resume. Planning is
deterministic (sorted files, fixed unit size), so a restarted run plans the same units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import fsspec
import pyarrow as pa

from engine import columns as C

SOURCE_STAGE = "read"  # the stage name under which a source's rejects are recorded


@dataclass(frozen=True)
class Unit:
    """A run of input records: ``stop - start`` records of ``path``, the first at ``first_seq``
    in the whole input. ``index`` numbers the units of a job from 0."""

    index: int
    path: str
    start: int
    stop: int
    first_seq: int

    @property
    def size(self) -> int:
        return self.stop - self.start

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Source:
    """Reads records. ``plan`` lists the units; ``read`` returns one unit's records in input order.

    ``read`` returns exactly ``unit.size`` rows, each with a ``key``. A malformed member is still
    a row, marked rejected with :func:`mark_read_rejects`, so that it is accounted for.
    """

    kind: str = "pairs"  # or "documents"

    def plan(self, unit_size: int) -> list[Unit]:
        raise NotImplementedError

    def read(self, unit: Unit) -> pa.Table:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The source's settings, as recorded in the manifest."""
        return {"class": f"{type(self).__module__}.{type(self).__qualname__}"}


def expand_paths(inputs: Sequence[str], suffixes: tuple[str, ...]) -> list[str]:
    """Expand files, folders and globs (local or fsspec URLs) into a sorted list of file URLs
    whose names end with one of ``suffixes``."""
    found: set[str] = set()
    for item in inputs:
        fs, root = fsspec.core.url_to_fs(item)
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        if any(ch in root for ch in "*?["):
            candidates = fs.glob(root)
        elif fs.isdir(root):
            candidates = fs.find(root)
        elif fs.exists(root):
            candidates = [root]
        else:
            raise FileNotFoundError(f"input {item!r} does not exist")
        for path in candidates:
            if path.lower().endswith(suffixes) and fs.isfile(path):
                found.add(path if protocol == "file" else fs.unstrip_protocol(path))
    return sorted(found)


def cut_units(counts: Sequence[tuple[str, int]], unit_size: int) -> list[Unit]:
    """Cut files of known record counts into units of at most ``unit_size`` records each."""
    if unit_size < 1:
        raise ValueError("unit_size must be at least 1")
    units: list[Unit] = []
    seq = 0
    for path, count in counts:
        for start in range(0, count, unit_size):
            stop = min(start + unit_size, count)
            units.append(Unit(len(units), path, start, stop, seq + start))
        seq += count
    return units


def mark_read_rejects(
    table: pa.Table, reasons: Sequence[str | None], details: Sequence[str | None] | None = None
) -> pa.Table:
    """Mark rows whose reason is not None as rejected while reading (stage ``read``)."""
    from engine.stage import set_columns

    n = table.num_rows
    details = details or [None] * n
    return set_columns(
        table,
        {
            C.REJECT_STAGE: pa.array([SOURCE_STAGE if r else None for r in reasons], pa.string()),
            C.REJECT_REASON: pa.array(list(reasons), pa.string()),
            C.REJECT_DETAIL: pa.array(
                [d if r else None for r, d in zip(reasons, details, strict=True)], pa.string()
            ),
        },
    )
