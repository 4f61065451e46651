"""Turn loose samples (an image file, a caption file, a JSON file) into pair records."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa

from engine.keys import record_key
from engine.sources.base import mark_read_rejects

IMAGE_EXTENSIONS = (
    "jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "ppm", "pgm", "pbm", "ico", "avif",
)  # fmt: skip


@dataclass
class LooseSample:
    """The files of one sample as found in a tar or folder, before validation."""

    identity: str  # "name#sample-key": hashed into the record key
    image: bytes | None = None
    image_ext: str | None = None
    caption: bytes | None = None
    meta: bytes | None = None
    reason: str | None = None  # set when the sample is already known to be broken
    detail: str | None = None


def pairs_from_samples(samples: list[LooseSample]) -> pa.Table:
    """Build pair records; samples with no image, bad UTF-8 or bad JSON are marked rejected."""
    keys, urls, captions, images, exts, sources, reasons, details = ([] for _ in range(8))
    for s in samples:
        reason, detail = s.reason, s.detail
        caption, url = None, None
        if reason is None and s.image is None:
            reason, detail = "missing_image", "no image file in the sample"
        if reason is None and s.image is not None and not s.image:
            reason, detail = "empty_image", "the image file is empty"
        if reason is None and s.caption is not None:
            try:
                caption = s.caption.decode("utf-8")
            except UnicodeDecodeError as e:
                reason, detail = "invalid_utf8", f"caption is not UTF-8: {e.reason} at {e.start}"
        if reason is None and s.meta is not None:
            try:
                meta = json.loads(s.meta.decode("utf-8"))
                if isinstance(meta, dict) and isinstance(meta.get("url"), str):
                    url = meta["url"]
                if caption is None and isinstance(meta, dict) and isinstance(meta.get("caption"), str):
                    caption = meta["caption"]
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                reason, detail = "invalid_json", f"metadata JSON does not parse: {e}"
        keys.append(record_key(s.identity))
        urls.append(url)
        captions.append(caption)
        images.append(s.image if reason is None else None)
        exts.append(s.image_ext)
        sources.append(s.identity)
        reasons.append(reason)
        details.append(detail)
    table = pa.table(
        {
            "key": pa.array(keys, pa.string()),
            "url": pa.array(urls, pa.string()),
            "caption": pa.array(captions, pa.string()),
            "image": pa.array(images, pa.binary()),
            "source_ext": pa.array(exts, pa.string()),
            "source": pa.array(sources, pa.string()),
        }
    )
    return mark_read_rejects(table, reasons, details)
