"""The sink contract: a sink writes one unit's kept records as one or more shard parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from engine.sinks.files import WrittenFile


@dataclass(frozen=True)
class ShardPart:
    """One shard written for a unit, under temporary names inside the unit's work folder.

    The runner renames parts to their final ``shards/NNNNN.*`` names when the job finishes.
    """

    tar: str  # file name of the tar inside the unit folder
    parquet: str  # file name of the Parquet sidecar inside the unit folder
    samples: int
    # size and sha256 as the sink wrote them; None: the runner reads the file to learn them
    tar_file: WrittenFile | None = None
    parquet_file: WrittenFile | None = None


class Sink:
    """Writes a unit's kept records (internal columns stripped, in input order) into ``folder``.

    ``write`` must be deterministic: the same records give byte-identical files.
    """

    samples_per_shard: int = 1000
    schema: pa.Schema | None = None  # records are conformed to it and validated before writing

    def write(self, records: pa.Table, folder: str) -> list[ShardPart]:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The sink's settings, as recorded in the manifest."""
        return {"class": f"{type(self).__module__}.{type(self).__qualname__}"}


class ShardedSink(Sink):
    """A sink that cuts a unit's records into parts of ``samples_per_shard`` and writes each with
    ``_write_part(chunk, folder, index)``. Columns in ``json_exclude`` stay out of ``.json`` members."""

    def __init__(self, samples_per_shard: int = 1000, json_exclude: tuple[str, ...] = ()):
        if samples_per_shard < 1:
            raise ValueError("samples_per_shard must be at least 1")
        self.samples_per_shard = samples_per_shard
        self.json_exclude = tuple(json_exclude)

    def write(self, records: pa.Table, folder: str) -> list[ShardPart]:
        return [
            self._write_part(records.slice(start, self.samples_per_shard), folder, index)
            for index, start in enumerate(range(0, records.num_rows, self.samples_per_shard))
        ]

    def _write_part(self, chunk: pa.Table, folder: str, index: int) -> ShardPart:
        raise NotImplementedError
