"""The pairs sink: WebDataset tar shards with Parquet sidecars."""

from __future__ import annotations

import json
import os
from typing import Any

import pyarrow as pa

from engine.sinks.base import ShardedSink, ShardPart
from engine.sinks.files import DeterministicTar, write_parquet
from schemas import PAIR_SCHEMA

FORMAT_EXTENSIONS = {"jpeg": "jpg", "jpg": "jpg", "png": "png", "webp": "webp", "gif": "gif"}


def image_extension(image: bytes, declared: str | None) -> str:
    """The member extension for ``image``: its declared format, else what its magic bytes say."""
    if declared and declared.lower() in FORMAT_EXTENSIONS:
        return FORMAT_EXTENSIONS[declared.lower()]
    if image[:3] == b"\xff\xd8\xff":
        return "jpg"
    if image[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "webp"
    if image[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return "jpg"


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows of ``table`` as JSON-ready dicts (binary columns left out)."""
    keep = [f.name for f in table.schema if not pa.types.is_binary(f.type)]
    return table.select(keep).to_pylist()


def dumps(row: dict[str, Any]) -> bytes:
    """A record's ``.json`` member: sorted keys, UTF-8, no NaN surprises."""
    return json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


class WebDatasetSink(ShardedSink):
    """Writes pair records as ``{key}.{jpg|png|webp}``, ``{key}.txt`` (the alt-text caption) and
    ``{key}.json`` (every metadata column), ``samples_per_shard`` records per tar, and each tar's
    records without image bytes as a Parquet sidecar of the same name.

    Columns listed in ``json_exclude`` (large embeddings, say) stay in the Parquet sidecar only.
    """

    schema = PAIR_SCHEMA


    def _write_part(self, chunk: pa.Table, folder: str, index: int) -> ShardPart:
        stem = os.path.join(folder, f"part-{index:05d}")
        meta = chunk.drop_columns([c for c in ("image",) if c in chunk.column_names])
        tar = DeterministicTar(stem + ".tar")
        images = chunk.column("image").to_pylist()
        formats = meta.column("image_format").to_pylist() if "image_format" in meta.column_names else None
        formats = formats or [None] * chunk.num_rows
        json_meta = meta.drop_columns([c for c in self.json_exclude if c in meta.column_names])
        for row, image, fmt in zip(json_rows(json_meta), images, formats, strict=True):
            key = row["key"]
            tar.add(f"{key}.{image_extension(image, fmt)}", image)
            tar.add(f"{key}.txt", (row.get("caption") or "").encode("utf-8"))
            tar.add(f"{key}.json", dumps(row))
        tar.close()
        write_parquet(meta, stem + ".parquet")
        return ShardPart(tar=f"part-{index:05d}.tar", parquet=f"part-{index:05d}.parquet", samples=chunk.num_rows)

    def config(self) -> dict[str, Any]:
        return {
            **super().config(),
            "samples_per_shard": self.samples_per_shard,
            "json_exclude": list(self.json_exclude),
        }
