"""The documents sink: one WebDataset sample per interleaved document, with Parquet sidecars.

Every document is the same two members, whatever its number of images, so that readers that
expect one member set per dataset (Hugging Face ``datasets``, Ray Data) read it as it is:

- ``{key}.json``: the document in the OBELICS schema (engine/sinks/obelics.py: ``images`` URLs,
  ``texts``, per-position ``metadata``, ``general_metadata``) with our fields beside them;
- ``{key}.images.mp``: MessagePack of a list parallel to ``texts``: the image's encoded bytes at
  each image position, empty bytes where there is none (text positions, images not fetched), so
  the list's type is always binary.

The Parquet sidecar holds the same records as the ``.json`` members, without image bytes.
"""

from __future__ import annotations

import os
from typing import Any

import msgpack
import pyarrow as pa

from engine.sinks.base import ShardedSink, ShardPart
from engine.sinks.files import DeterministicTar, write_parquet
from engine.sinks.members import dumps, json_rows
from engine.sinks.obelics import to_obelics
from schemas.document import DOCUMENT_SCHEMA

IMAGES_MEMBER = "images.mp"
_MAGIC = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG", "png"), (b"GIF8", "gif"), (b"RIFF", "webp"))


def image_extension(data: bytes) -> str:
    """The file extension of encoded image bytes (jpg when unknown)."""
    for magic, ext in _MAGIC:
        if data.startswith(magic):
            return ext
    return "jpg"


def pack_images(blobs: list[bytes | None] | None, positions: int) -> bytes:
    """The ``images.mp`` member: one bytes value per position (empty where there is no image)."""
    values = [b if b else b"" for b in (blobs or [])]
    values += [b""] * (positions - len(values))
    return msgpack.packb(values, use_bin_type=True)


def unpack_images(data: bytes) -> dict[int, bytes]:
    """The images of an ``images.mp`` member by position (positions without bytes left out)."""
    return {i: b for i, b in enumerate(msgpack.unpackb(data, raw=False)) if b}


class DocumentSink(ShardedSink):
    """Writes document records (schemas/document.py) ``samples_per_shard`` per tar + Parquet."""

    schema = DOCUMENT_SCHEMA

    def _write_part(self, chunk: pa.Table, folder: str, index: int) -> ShardPart:
        name = f"part-{index:05d}"
        images = (chunk.column("images").to_pylist() if "images" in chunk.column_names
                  else [None] * chunk.num_rows)
        meta = to_obelics(chunk)
        json_meta = meta.drop_columns([c for c in self.json_exclude if c in meta.column_names])
        tar = DeterministicTar(os.path.join(folder, name + ".tar"))
        for row, blobs in zip(json_rows(json_meta), images, strict=True):
            key = row["key"]
            tar.add(f"{key}.json", dumps(row))
            tar.add(f"{key}.{IMAGES_MEMBER}", pack_images(blobs, len(row.get("texts") or [])))
        tar_file = tar.close()
        parquet_file = write_parquet(meta, os.path.join(folder, name + ".parquet"))
        return ShardPart(tar=name + ".tar", parquet=name + ".parquet", samples=chunk.num_rows,
                         tar_file=tar_file, parquet_file=parquet_file)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "samples_per_shard": self.samples_per_shard,
                "json_exclude": list(self.json_exclude)}
