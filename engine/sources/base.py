"""The source contract: a source cuts its input into units and reads one unit at a time.

A unit is a run of input records inside one file: a row range (the file's metadata gives its
count, as Parquet footers do) or a byte range (WARC files, text lists: the records are counted as
they are read). It is the grain of resume. Planning reads metadata only and is deterministic
(sorted files, fixed unit size), and the plan is saved, so a restarted run reads the same units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import fsspec
import pyarrow as pa

from engine import columns as C

SOURCE_STAGE = "read"  # the stage name under which a source's rejects are recorded
END = 1 << 62  # ``stop`` of a byte range that runs to the end of its file, whatever its size
SEQ_STRIDE = 1 << 32  # sequence numbers a byte-range unit may use: its records are not counted ahead


class Unit(NamedTuple):
    """A run of input records of ``path``; ``index`` numbers the units of a job from 0.

    A row range (``by_bytes`` false): rows ``[start, stop)`` of the file, ``stop - start``
    records, the first numbered ``first_seq`` in the whole input.

    A byte range (``by_bytes`` true): the records that *start* in bytes ``[start, stop)`` of the
    file (``stop`` may be :data:`END`). How many there are is known only once read, so
    ``estimate`` (from the range's bytes) stands in for the count, and ``first_seq`` is
    ``index * SEQ_STRIDE``: sequence numbers keep input order without counting ahead.

    A unit is a named tuple of seven fields, whatever its file's size: about 200 bytes in memory
    and 80 pickled, plus its path (shared in memory by the units of a file). A tuple, because
    planning makes one per range: a frozen dataclass took 8 us each, 3.5 s for 430k units.
    """

    index: int
    path: str
    start: int
    stop: int
    first_seq: int
    by_bytes: bool = False
    estimate: int = 0

    @property
    def size(self) -> int:
        """Records in the unit: exact for a row range, estimated from bytes for a byte range."""
        return self.estimate if self.by_bytes else self.stop - self.start

    @property
    def exact(self) -> bool:
        """True when :attr:`size` is the exact record count (a row range)."""
        return not self.by_bytes

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class Source:
    """Reads records. ``plan`` lists the units from metadata only; ``read`` returns one unit's
    records in input order.

    ``read`` returns exactly ``unit.size`` rows for a row range (any number for a byte range),
    each with a ``key``. A malformed member is still a row, marked rejected with
    :func:`mark_read_rejects`, so that it is accounted for.
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


def cut_byte_ranges(files: Sequence[tuple[str, int, int]], record_bytes: float) -> list[Unit]:
    """Cut ``(path, size, span)`` files into byte-range units of ``span`` bytes, the last one of
    each file open-ended (:data:`END`), so that a file larger than its given size is still read
    whole. ``record_bytes`` (bytes per record, a guess) turns a range's bytes into its record
    estimate. Cost: one small Unit per range; nothing is read."""
    units: list[Unit] = []
    index = 0
    for path, size, span in files:
        size, span = max(size, 1), max(span, 1)
        whole = max(1, round(span / record_bytes))  # the estimate of every range but the last
        last = (size - 1) // span * span
        for start in range(0, last, span):
            units.append(Unit(index, path, start, start + span, index * SEQ_STRIDE, True, whole))
            index += 1
        units.append(Unit(index, path, last, END, index * SEQ_STRIDE, True,
                          max(1, round((size - last) / record_bytes))))
        index += 1
    return units


def number_units(units: Sequence[Unit]) -> list[Unit]:
    """Renumber units cut file by file into one plan: indices from 0, and sequence numbers that
    keep input order (dense when every unit is a row range, ``index * SEQ_STRIDE`` otherwise)."""
    strided = any(u.by_bytes for u in units)
    out, seq = [], 0
    for i, unit in enumerate(units):
        out.append(unit._replace(index=i, first_seq=i * SEQ_STRIDE if strided else seq))
        seq += unit.size
    return out


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
