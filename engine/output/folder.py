"""Read a loomery output folder: manifest, stats, shard sidecars, rejects and shard samples.

Every tool that inspects or re-packs a run's output (report, stats, card, reshard, loader) reads
it through here, so that the folder layout (DESIGN.md "Outputs") is spelt out in one place.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from engine.keys import split_member

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")


@dataclass
class Sample:
    """One WebDataset sample: its key and its members by extension (``jpg``, ``txt``, ``0.jpg``)."""

    key: str
    members: dict[str, bytes] = field(default_factory=dict)

    def meta(self) -> dict:
        """The sample's ``{key}.json`` metadata, or an empty dict when it has none."""
        raw = self.members.get("json")
        return json.loads(raw) if raw else {}

    def image(self) -> bytes | None:
        """The bytes of a pair's image member, if any."""
        for ext in IMAGE_EXTENSIONS:
            if ext in self.members:
                return self.members[ext]
        return None

    def position_images(self) -> dict[int, bytes]:
        """A document's images by position, from its ``{key}.images.mp`` member (or, in outputs
        written before it, from ``{key}.{i}.jpg`` members): ``{i: bytes}``."""
        if "images.mp" in self.members:
            from engine.sinks.documents import unpack_images

            return unpack_images(self.members["images.mp"])
        out = {}
        for ext, data in self.members.items():
            head, _, tail = ext.partition(".")
            if head.isdigit() and tail in IMAGE_EXTENSIONS:
                out[int(head)] = data
        return out


def iter_tar_samples(path: str | Path) -> Iterator[Sample]:
    """Yield the samples of one tar in file order, members grouped by key."""
    current: Sample | None = None
    with tarfile.open(path, "r") as tar:
        for info in tar:
            if not info.isfile():
                continue
            key, ext = split_member(info.name)
            if current is None or key != current.key:
                if current is not None:
                    yield current
                current = Sample(key)
            handle = tar.extractfile(info)
            current.members[ext] = handle.read() if handle else b""
    if current is not None:
        yield current


class OutputFolder:
    """A run's output folder (``manifest.json``, ``stats.json``, ``shards/``, ``rejects/``)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        manifest = self.path / "manifest.json"
        if not manifest.is_file():
            raise FileNotFoundError(f"{manifest} is missing: is {self.path} a loomery output?")
        self.manifest: dict = json.loads(manifest.read_text())
        stats = self.path / "stats.json"
        self.stats: dict = json.loads(stats.read_text()) if stats.is_file() else {}

    @property
    def shards(self) -> list[dict]:
        """The manifest's shard entries, in order."""
        return list(self.manifest.get("shards", []))

    def shard_paths(self) -> list[Path]:
        """Absolute paths of the shard tars, in manifest order."""
        return [self.path / s["name"] for s in self.shards]

    def metadata(self, columns: list[str] | None = None) -> pa.Table:
        """All kept records' metadata (the Parquet sidecars, concatenated in shard order)."""
        tables = []
        for shard in self.shards:
            if shard.get("parquet"):
                tables.append(_read_parquet(self.path / shard["parquet"], columns))
        return _concat(tables)

    def numeric_metadata(self) -> pa.Table:
        """The kept records' numeric columns only (scores), cheap to read from large outputs."""
        numeric: list[str] = []
        for shard in self.shards:
            if shard.get("parquet"):
                schema = pq.read_schema(self.path / shard["parquet"])
                numeric = [f.name for f in schema
                           if pa.types.is_floating(f.type) or pa.types.is_integer(f.type)]
                break
        return self.metadata(numeric) if numeric else pa.table({})

    def rejects(self) -> pa.Table:
        """Every rejected record (``rejects/*.parquet`` named in the manifest, in order)."""
        names = [r["name"] for r in self.manifest.get("rejects", [])]
        return _concat([_read_parquet(self.path / n, None) for n in names])

    def samples(self, limit: int | None = None) -> Iterator[Sample]:
        """Yield kept samples from the shards in order, at most ``limit`` of them."""
        n = 0
        for path in self.shard_paths():
            for sample in iter_tar_samples(path):
                if limit is not None and n >= limit:
                    return
                n += 1
                yield sample

    def stage_stats(self) -> dict[str, dict]:
        """Per-stage counts: stats.json's where present (it has times and histograms)."""
        stages = dict(self.manifest.get("stages", {}))
        for name, entry in self.stats.get("stages", {}).items():
            stages[name] = {**stages.get(name, {}), **entry}
        return stages

    def stage_order(self) -> list[str]:
        """Stage names in pipeline order: the job's chain first, then any others seen in counts."""
        order = [s.get("name") for s in self.manifest.get("job", {}).get("stages", [])]
        order = [n for n in order if n]
        seen = set(order)
        for name in self.stage_stats():
            if name not in seen:
                order.append(name)
                seen.add(name)
        if "read" in order:
            order.remove("read")
            order.insert(0, "read")
        return order


def _read_parquet(path: Path, columns: list[str] | None) -> pa.Table:
    table = pq.read_table(path)
    if columns is not None:
        table = table.select([c for c in columns if c in table.column_names])
    return table


def _concat(tables: list[pa.Table]) -> pa.Table:
    if not tables:
        return pa.table({})
    return pa.concat_tables(tables, promote_options="permissive")
