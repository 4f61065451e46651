"""The documents sink: one WebDataset sample per interleaved document, with Parquet sidecars.

Each document becomes ``{key}.json`` (the sequence: ``texts`` with null where an image stands,
``image_urls`` and sizes per position, the parsed ``metadata`` and every other column) and one
``{key}.{i}.{ext}`` member per image position ``i`` that holds bytes. The Parquet sidecar holds
the same records without image bytes (OBELICS layout: ``texts``/``image_urls`` parallel lists).
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import pyarrow as pa

from engine.sinks.base import ShardedSink, ShardPart
from engine.sinks.files import DeterministicTar, write_parquet
from engine.sinks.webdataset import dumps, json_rows
from schemas.document import DOCUMENT_SCHEMA

_MAGIC = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG", "png"), (b"GIF8", "gif"), (b"RIFF", "webp"))


def image_extension(data: bytes) -> str:
    """The file extension of encoded image bytes (jpg when unknown)."""
    for magic, ext in _MAGIC:
        if data.startswith(magic):
            return ext
    return "jpg"


class DocumentSink(ShardedSink):
    """Writes document records (schemas/document.py) ``samples_per_shard`` per tar + Parquet."""

    schema = DOCUMENT_SCHEMA


    def _write_part(self, chunk: pa.Table, folder: str, index: int) -> ShardPart:
        name = f"part-{index:05d}"
        drop = [c for c in ("images", "html") if c in chunk.column_names]
        meta = chunk.drop_columns(drop)
        images = (chunk.column("images").to_pylist() if "images" in chunk.column_names
                  else [None] * chunk.num_rows)
        json_meta = meta.drop_columns([c for c in self.json_exclude if c in meta.column_names])
        tar = DeterministicTar(os.path.join(folder, name + ".tar"))
        for row, blobs in zip(json_rows(json_meta), images, strict=True):
            key = row["key"]
            tar.add(f"{key}.json", dumps(_sample(row)))
            for position, data in enumerate(blobs or []):
                if data:
                    tar.add(f"{key}.{position}.{image_extension(data)}", data)
        tar.close()
        write_parquet(meta, os.path.join(folder, name + ".parquet"))
        return ShardPart(tar=name + ".tar", parquet=name + ".parquet", samples=chunk.num_rows)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "samples_per_shard": self.samples_per_shard,
                "json_exclude": list(self.json_exclude)}


def _sample(row: dict[str, Any]) -> dict[str, Any]:
    """The ``.json`` member: metadata parsed back into an object rather than a string in one."""
    out = dict(row)
    if isinstance(out.get("metadata"), str):
        with contextlib.suppress(ValueError):  # a string that is not JSON stays as it is
            out["metadata"] = json.loads(out["metadata"])
    return out
