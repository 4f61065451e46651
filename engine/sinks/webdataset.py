"""The pairs sink: WebDataset tar shards with Parquet sidecars."""

from __future__ import annotations

import os
from typing import Any

import pyarrow as pa

from engine.sinks.base import ShardedSink, ShardPart
from engine.sinks.contract import with_datacomp_text, with_pair_contract
from engine.sinks.files import DeterministicTar, write_parquet
from engine.sinks.members import dumps, json_rows
from schemas import PAIR_SCHEMA

__all__ = ["WebDatasetSink", "dumps", "image_extension", "json_rows"]

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


class WebDatasetSink(ShardedSink):
    """Writes pair records as ``{key}.{jpg|png|webp}``, ``{key}.txt`` (the alt-text caption) and
    ``{key}.json``, ``samples_per_shard`` records per tar, and each tar's records without image
    bytes as a Parquet sidecar of the same name.

    Both carry the img2dataset/DataComp contract (``key``, ``uid``, ``url``, ``caption``,
    ``status``, ``error_message``, ``width``, ``height``, ``original_width``, ``original_height``,
    ``sha256``) beside every other column; the sidecar also names the caption ``text``, as
    DataComp's metadata does. The ``.json`` member leaves null values out (engine/sinks/members.py).
    Every sample has the same three members as long as its images share one format: set the
    fetcher's ``encode_format`` or ProbeImage's ``shard_format`` (readers such as Hugging Face
    ``datasets`` require one member set per dataset).

    Columns listed in ``json_exclude`` (large embeddings, say) stay in the Parquet sidecar only.
    """

    schema = PAIR_SCHEMA

    def _write_part(self, chunk: pa.Table, folder: str, index: int) -> ShardPart:
        stem = os.path.join(folder, f"part-{index:05d}")
        images = chunk.column("image").to_pylist()
        meta = with_pair_contract(chunk.drop_columns(["image"]))
        tar = DeterministicTar(stem + ".tar")
        formats = meta.column("image_format").to_pylist() if "image_format" in meta.column_names else None
        formats = formats or [None] * chunk.num_rows
        json_meta = meta.drop_columns([c for c in self.json_exclude if c in meta.column_names])
        for row, image, fmt in zip(json_rows(json_meta), images, formats, strict=True):
            key = row["key"]
            tar.add(f"{key}.{image_extension(image, fmt)}", image)
            tar.add(f"{key}.txt", (row.get("caption") or "").encode("utf-8"))
            tar.add(f"{key}.json", dumps(row))
        tar_file = tar.close()
        parquet_file = write_parquet(with_datacomp_text(meta), stem + ".parquet")
        return ShardPart(tar=f"part-{index:05d}.tar", parquet=f"part-{index:05d}.parquet", samples=chunk.num_rows,
                         tar_file=tar_file, parquet_file=parquet_file)

    def config(self) -> dict[str, Any]:
        return {
            **super().config(),
            "samples_per_shard": self.samples_per_shard,
            "json_exclude": list(self.json_exclude),
        }
