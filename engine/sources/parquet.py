"""Parquet files of image bytes and captions, read as pair records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.keys import record_key
from engine.sources.base import Source, Unit, cut_units, expand_paths, mark_read_rejects
from engine.sources.identity import relative_names
from engine.sources.parquet_rows import read_rows


class ParquetSource(Source):
    """Pair records from Parquet files with an image-bytes column and a caption column.

    Other columns are carried through as they are. A row with no image bytes is rejected
    (``missing_image``); a caption stored as bytes that are not UTF-8 is rejected (``invalid_utf8``).
    """

    kind = "pairs"

    def __init__(
        self,
        inputs: Sequence[str],
        *,
        image_col: str = "image",
        caption_col: str = "caption",
        url_col: str | None = "url",
    ):
        self.inputs = list(inputs)
        self.image_col = image_col
        self.caption_col = caption_col
        self.url_col = url_col
        self._paths = expand_paths(self.inputs, (".parquet", ".pq"))
        if not self._paths:
            raise FileNotFoundError(f"no .parquet files in {self.inputs}")
        self._names = relative_names(self._paths)

    def plan(self, unit_size: int) -> list[Unit]:
        counts = []
        for path in self._paths:
            with fsspec.open(path, "rb") as f:
                counts.append((path, pq.ParquetFile(f).metadata.num_rows))
        return cut_units(counts, unit_size)

    def read(self, unit: Unit) -> pa.Table:
        with fsspec.open(unit.path, "rb") as f:
            table = read_rows(pq.ParquetFile(f), unit.start, unit.stop)
        return self.to_pairs(table, unit)

    def to_pairs(self, table: pa.Table, unit: Unit) -> pa.Table:
        """Map the file's columns onto the pair record and mark malformed rows."""
        n = table.num_rows
        name = self._names[unit.path]
        cols = {c: table.column(c) for c in table.column_names}
        image = cols.pop(self.image_col, pa.nulls(n, pa.binary()))
        caption = cols.pop(self.caption_col, pa.nulls(n, pa.string()))
        url = cols.pop(self.url_col, pa.nulls(n, pa.string())) if self.url_col else None
        captions, reasons = _captions(caption)
        images = image.cast(pa.binary()) if not pa.types.is_binary(image.type) else image
        # null or empty, found without copying every image into a Python bytes object
        no_image = pc.fill_null(pc.equal(pc.binary_length(images), 0), True).to_pylist()
        for i, missing in enumerate(no_image):
            if reasons[i] is None and missing:
                reasons[i] = "missing_image"
        keys = [record_key(f"{name}#{unit.start + i}") for i in range(n)]
        out: dict[str, Any] = {
            "key": pa.array(keys, pa.string()),
            "url": url if url is not None else pa.nulls(n, pa.string()),
            "caption": pa.array(captions, pa.string()),
            "image": images,
            "source": pa.array([f"{name}#{unit.start + i}" for i in range(n)], pa.string()),
        }
        for col, values in cols.items():
            if col not in out:
                out[col] = values
        return mark_read_rejects(pa.table(out), reasons)

    def config(self) -> dict[str, Any]:
        return {
            **super().config(),
            "inputs": self.inputs,
            "files": len(self._paths),
            "image_col": self.image_col,
            "caption_col": self.caption_col,
            "url_col": self.url_col,
        }


def _captions(column: pa.ChunkedArray | pa.Array) -> tuple[list[str | None], list[str | None]]:
    """Decode a caption column to text; bytes that are not UTF-8 give reason ``invalid_utf8``."""
    values = column.to_pylist()
    captions: list[str | None] = []
    reasons: list[str | None] = []
    for v in values:
        if isinstance(v, bytes):
            try:
                captions.append(v.decode("utf-8"))
                reasons.append(None)
            except UnicodeDecodeError:
                captions.append(None)
                reasons.append("invalid_utf8")
        else:
            captions.append(None if v is None else str(v))
            reasons.append(None)
    return captions, reasons
