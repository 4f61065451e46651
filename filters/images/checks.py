"""Image checks: decode safety (format, pixel count from the header, truncation), size, aspect."""

from __future__ import annotations

import hashlib
import io
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.consent.scrub import clean_info, needs_transpose, strip_metadata
from engine.stage import Filter, Resources, Verdicts, set_columns

# Formats that training loaders decode by extension; others are re-encoded to PNG.
SHARD_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}
DEFAULT_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO")


class ProbeImage(Filter):
    """Checks that each image is safe and whole, and records what it is.

    Reads the format and pixel count from the header and refuses, before decoding, formats
    outside ``formats`` (``unsupported_format``) and images over ``max_pixels``
    (``too_many_pixels``: decompression bombs); then decodes (with ``draft`` where it can) to
    catch ``truncated_image`` and ``decode_error``. Adds ``sha256`` (of the bytes as received),
    ``width``, ``height``, ``orig_width``, ``orig_height``, ``image_format``. Images in formats a
    training loader may not read (GIF, BMP, TIFF) are re-encoded to PNG, first frame only.
    Stored bytes carry no personal metadata: kept bytes are stripped losslessly, and an image
    with an EXIF rotation is re-encoded upright (engine/consent/scrub.py).
    With ``shard_format`` (``jpeg``, ``png`` or ``webp``) every image not already in that format
    is re-encoded to it, so that each shard holds one image extension, as loaders expect.
    """

    name = "probe_image"

    def __init__(self, *, max_pixels: int = 89_478_485, formats=DEFAULT_FORMATS,
                 shard_format: str | None = None, quality: int = 95, **kw):
        super().__init__(**kw)
        self.max_pixels = max_pixels
        self.formats = tuple(f.upper() for f in formats)
        if shard_format is not None and shard_format.lower() not in SHARD_FORMATS.values():
            raise ValueError(f"shard_format must be one of {sorted(SHARD_FORMATS.values())}")
        self.shard_format = shard_format.lower() if shard_format else None
        self.quality = quality

    def __call__(self, batch: pa.Table) -> pa.Table:
        images = batch.column("image").to_pylist()
        n = len(images)
        out = {k: [None] * n for k in ("sha256", "width", "height", "image_format")}
        new_bytes, reasons, details, scores = list(images), [None] * n, [None] * n, [None] * n
        # Pillow's bomb warning raised as an error, set once per batch: entering catch_warnings
        # and setting a filter cost ~5 µs a record (~1 CPU-s at 200k records)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            for i, data in enumerate(images):
                if not data:
                    reasons[i], details[i] = "missing_image", "no image bytes"
                    continue
                out["sha256"][i] = hashlib.sha256(data).hexdigest()
                result = self._probe(data)
                if isinstance(result, tuple) and isinstance(result[0], str):
                    reasons[i], details[i], scores[i] = result
                    continue
                (w, h, fmt, reencoded) = result
                out["width"][i], out["height"][i], out["image_format"][i] = w, h, fmt
                if reencoded is not None:
                    new_bytes[i] = reencoded
        widths = pa.array(out["width"], pa.int32())
        heights = pa.array(out["height"], pa.int32())
        batch = set_columns(batch, {
            "image": pa.array(new_bytes, pa.binary()),
            "sha256": pa.array(out["sha256"], pa.string()),
            "image_format": pa.array(out["image_format"], pa.string()),
            "width": widths, "height": heights, "orig_width": widths, "orig_height": heights,
        })
        thresholds = [float(self.max_pixels) if r == "too_many_pixels" else None for r in reasons]
        return self.verdict(batch, reasons, scores=scores, thresholds=thresholds, details=details)

    def _probe(self, data: bytes):
        """Check one image; run under ``__call__``'s filter that raises Pillow's
        DecompressionBombWarning as an error."""
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            return "too_many_pixels", str(e)[:200], None
        except UnidentifiedImageError:
            return "decode_error", "not a recognised image format", None
        except Exception as e:  # noqa: BLE001 - any parser failure is this record's reason
            return "decode_error", f"{type(e).__name__}: {e}"[:200], None
        fmt = (image.format or "").upper()
        if fmt not in self.formats:
            return "unsupported_format", f"format {fmt or 'unknown'} is not allowed", None
        w, h = image.size
        if w < 1 or h < 1:
            return "decode_error", f"image claims size {w}x{h}", None
        if w * h > self.max_pixels:
            return "too_many_pixels", f"{w}x{h} = {w * h} pixels", float(w * h)
        target = self.shard_format or SHARD_FORMATS.get(fmt, "png")
        # kept bytes lose their EXIF, so an image that needs rotating is re-encoded upright
        upright = needs_transpose(image)
        keep_bytes = SHARD_FORMATS.get(fmt) == target and not upright
        try:
            if fmt == "JPEG" and keep_bytes:  # only checking: a reduced decode is enough
                image.draft("RGB", (max(1, w // 8), max(1, h // 8)))
            image.load()
            # no personal metadata in shards: kept bytes are stripped losslessly
            reencoded = strip_metadata(data) if keep_bytes else _encode(image, target, self.quality)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            return "too_many_pixels", str(e)[:200], None
        except OSError as e:
            reason = "truncated_image" if "truncated" in str(e).lower() else "decode_error"
            return reason, f"{type(e).__name__}: {e}"[:200], None
        except Exception as e:  # noqa: BLE001 - decoder failures on hostile input
            return "decode_error", f"{type(e).__name__}: {e}"[:200], None
        if upright in (5, 6, 7, 8):  # a quarter turn: the upright size swaps
            w, h = h, w
        return w, h, target, reencoded


def _encode(image: Image.Image, target: str, quality: int) -> bytes:
    """The first frame of ``image``, upright (EXIF orientation applied), in ``target`` format,
    with no metadata; transparency over white for JPEG."""
    image.seek(0)
    image = ImageOps.exif_transpose(image) or image
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    frame = image.convert("RGBA" if has_alpha else "RGB")
    if target == "jpeg" and has_alpha:
        background = Image.new("RGB", frame.size, (255, 255, 255))
        background.paste(frame, mask=frame.getchannel("A"))
        frame = background
    buffer = io.BytesIO()
    clean_info(frame).save(buffer, format=target.upper(), **({} if target == "png" else {"quality": quality}))
    return strip_metadata(buffer.getvalue())


def original_size(batch: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Width and height of the images as received (``orig_*``, set by fetch/probe before any
    resize), falling back to ``width``/``height``; NaN where unknown."""
    sides = []
    for name in ("width", "height"):
        column = pc.cast(batch.column(name), pa.float64())
        if f"orig_{name}" in batch.column_names:
            column = pc.coalesce(pc.cast(batch.column(f"orig_{name}"), pa.float64()), column)
        sides.append(column.to_numpy(zero_copy_only=False).astype(float))
    return sides[0], sides[1]


class ImageSize(Filter):
    """Rejects images whose shorter side is under ``min_side`` (``too_small``) or whose longer
    side is over ``max_side`` (``too_big``), judged on the image as received (before resize)."""

    score_columns = {"min_side": (0.0, 2048.0)}

    def __init__(self, *, min_side: int = 0, max_side: int | None = None, **kw):
        super().__init__(resources=Resources(num_cpus=0.5), **kw)
        self.min_side, self.max_side = min_side, max_side

    def __call__(self, batch: pa.Table) -> pa.Table:
        w, h = original_size(batch)
        short, long = np.fmin(w, h), np.fmax(w, h)
        verdicts = Verdicts()
        for s, lg in zip(short, long, strict=True):
            if not np.isfinite(s):
                verdicts.reject("no_size")
            elif s < self.min_side:
                verdicts.reject("too_small", s, self.min_side)
            elif self.max_side is not None and lg > self.max_side:
                verdicts.reject("too_big", lg, self.max_side)
            else:
                verdicts.keep()
        batch = set_columns(batch, {"min_side": pa.array(short, pa.float64())})
        return self.verdict(batch, **verdicts.columns())


class AspectRatio(Filter):
    """Rejects images whose long side over short side exceeds ``max`` (``aspect_ratio``),
    judged on the image as received (before resize)."""

    score_columns = {"aspect_ratio": (1.0, 6.0)}

    def __init__(self, *, max: float = 3.0, **kw):  # noqa: A002 - the issue's spelling
        super().__init__(resources=Resources(num_cpus=0.5), **kw)
        self.max = max

    def __call__(self, batch: pa.Table) -> pa.Table:
        w, h = original_size(batch)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.fmax(w, h) / np.fmin(w, h)
        reasons = ["no_size" if not np.isfinite(r) else ("aspect_ratio" if r > self.max else None)
                   for r in ratio]
        batch = set_columns(batch, {"aspect_ratio": pa.array(ratio, pa.float64(), from_pandas=True)})
        return self.verdict(batch, reasons, scores=ratio, thresholds=self.max)
