"""Sources: where records come from. ``open_source`` picks one from the inputs' file types."""

from collections.abc import Sequence

from engine.sources.base import Source, Unit, cut_units, expand_paths, mark_read_rejects
from engine.sources.folder import FolderSource
from engine.sources.parquet import ParquetSource
from engine.sources.webdataset import WebDatasetSource


def open_source(inputs: Sequence[str], **options) -> Source:
    """A pair source for ``inputs``: Parquet files, WebDataset tars, or folders of images."""
    lowered = [i.lower().rstrip("/") for i in inputs]
    if all(i.endswith((".parquet", ".pq")) for i in lowered):
        return ParquetSource(inputs, **options)
    if all(i.endswith((".tar", ".tar.gz", ".tgz")) for i in lowered):
        return WebDatasetSource(inputs, **options)
    try:
        return ParquetSource(inputs, **options)
    except FileNotFoundError:
        pass
    try:
        return WebDatasetSource(inputs, **options)
    except FileNotFoundError:
        return FolderSource(inputs)


__all__ = [
    "FolderSource",
    "ParquetSource",
    "Source",
    "Unit",
    "WebDatasetSource",
    "cut_units",
    "expand_paths",
    "mark_read_rejects",
    "open_source",
]
