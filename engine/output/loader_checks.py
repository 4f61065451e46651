"""Checks of the loader's score filters against an output folder, before any sample is read.

A filter on a column that no stage wrote would silently keep nothing (every sample "missing"),
so it is an error that names the columns the output has. A filter drops samples whose value is
null (unless ``keep_missing``): how many is counted here and logged, so that a filter on a
sparsely filled column (a cross-check rate where most records have no synthetic caption, say)
says what it costs. Both read only the Parquet sidecars' footers (schema and row-group
statistics): O(shards) small reads, no record is read.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow.parquet as pq

from engine.output.folder import OutputFolder
from engine.output.loader_policy import ScoreFilter

log = logging.getLogger("loomery.loader")


def check_filters(source, filters: tuple[ScoreFilter, ...]) -> dict[str, int]:
    """Raise ValueError for a filter on a column the output in ``source`` lacks; return, per
    filter (its text form), how many samples it drops for a null value. A ``source`` that is not
    an output folder (a list of tar URLs) cannot be checked and gives ``{}``."""
    if not filters or isinstance(source, (list, tuple)) or not Path(source).is_dir():
        return {}
    folder = OutputFolder(source)
    sidecars = [pq.ParquetFile(folder.path / s["parquet"]) for s in folder.shards if s.get("parquet")]
    if not sidecars:
        return {}
    columns = {name for f in sidecars for name in f.schema_arrow.names}
    missing = sorted({f.column for f in filters if f.column not in columns})
    if missing:
        raise ValueError(
            f"filter on {', '.join(missing)}: no stage of this output wrote "
            f"{'that column' if len(missing) == 1 else 'those columns'}; its columns are "
            f"{', '.join(sorted(columns))}")
    drops = {}
    for f in filters:
        if f.keep_missing:
            continue
        nulls = sum(_nulls(file, f.column) for file in sidecars)
        drops[_text(f)] = nulls
        if nulls:
            total = sum(file.metadata.num_rows for file in sidecars)
            log.warning("filter %s drops %d of %d samples because their %s is null "
                        "(ScoreFilter(..., keep_missing=True) keeps them)",
                        _text(f), nulls, total, f.column)
    return drops


def _nulls(file: pq.ParquetFile, column: str) -> int:
    if column not in file.schema_arrow.names:
        return file.metadata.num_rows  # this shard's records never got the column
    index = file.schema_arrow.get_field_index(column)
    leaf = [i for i in range(file.metadata.num_columns)
            if file.schema.column(i).path.split(".")[0] == column]
    total = 0
    for rg in range(file.metadata.num_row_groups):
        stats = file.metadata.row_group(rg).column(leaf[0] if leaf else index).statistics
        if stats is None or not stats.has_null_count:
            return file.read(columns=[column]).column(0).null_count
        total += stats.null_count
    return total


def _text(f: ScoreFilter) -> str:
    return f"{f.column}{f.op}{f.value:g}"
