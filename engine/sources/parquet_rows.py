"""Reading a row range of a Parquet file through only the row groups that hold it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq


def row_groups_holding(metadata: pq.FileMetaData, start: int, stop: int) -> tuple[tuple[int, ...], int]:
    """(the row groups that hold rows ``[start, stop)``, the file row where the first of them
    begins; 0 when none does)."""
    groups, first, offset = [], 0, 0
    for g in range(metadata.num_row_groups):
        size = metadata.row_group(g).num_rows
        if offset < stop and offset + size > start:
            first = first if groups else offset
            groups.append(g)
        offset += size
    return tuple(groups), first


def read_rows(file: pq.ParquetFile, start: int, stop: int, columns: list[str] | None = None) -> pa.Table:
    """Rows ``[start, stop)`` of ``file`` (``columns`` of them, or all)."""
    groups, first = row_groups_holding(file.metadata, start, stop)
    if not groups:
        empty = file.schema_arrow.empty_table()
        return empty.select(columns) if columns is not None else empty
    return file.read_row_groups(list(groups), columns=columns).slice(start - first, stop - start)
