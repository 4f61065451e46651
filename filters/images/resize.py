"""Decode, orient, convert and resize one image, with img2dataset's resize modes.

Modes (``image_size`` = S): ``no`` keeps the size; ``keep_ratio`` makes the smaller side S;
``keep_ratio_largest`` makes the larger side S; ``center_crop`` makes the smaller side S then
crops the centre S x S; ``border`` makes the larger side S then pads with black to S x S.
Downscaling uses area (box) filtering, upscaling Lanczos, as img2dataset does. Before resizing,
the EXIF orientation is applied (so ``orig_width``/``orig_height`` are the upright size), alpha
is matted onto white, and CMYK, 16-bit, float, palette and grey images become 8-bit RGB. JPEGs
are decoded at a reduced scale (``draft``) when the target is small enough, to save time. The
output carries no EXIF, XMP, comment or text chunk, whatever the mode (engine/consent/scrub.py).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

import engine.fetch.sniff  # noqa: F401 - silences Pillow's bomb warning (we check pixels)
from engine.consent.scrub import clean_info, strip_metadata

MODES = ("no", "border", "keep_ratio", "keep_ratio_largest", "center_crop")
FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
_ROTATES = (5, 6, 7, 8)  # EXIF orientations that swap width and height


class ResizeError(Exception):
    """The image could not be decoded or converted; ``reason`` is ``decode_error``."""

    reason = "decode_error"


@dataclass(frozen=True)
class Resized:
    data: bytes
    format: str  # jpg, png or webp
    width: int
    height: int
    orig_width: int
    orig_height: int


class Resizer:
    """Callable ``Resizer(...)(data) -> Resized``; settings as img2dataset names them."""

    def __init__(
        self,
        image_size: int = 256,
        resize_mode: str = "border",
        resize_only_if_bigger: bool = False,
        encode_format: str = "jpg",
        encode_quality: int = 95,
        max_pixels: int = 89_478_485,
    ):
        if resize_mode not in MODES:
            raise ValueError(f"resize_mode {resize_mode!r} is not one of {', '.join(MODES)}")
        if encode_format not in FORMATS:
            raise ValueError(f"encode_format {encode_format!r} is not jpg, png or webp")
        self.image_size = image_size
        self.resize_mode = resize_mode
        self.resize_only_if_bigger = resize_only_if_bigger
        self.encode_format = "jpg" if encode_format == "jpeg" else encode_format
        self.encode_quality = encode_quality
        self.max_pixels = max_pixels

    def __call__(self, data: bytes) -> Resized:
        try:
            return self._resize(data)
        except ResizeError:
            raise
        except Image.DecompressionBombError as exc:
            raise ResizeError(f"too many pixels: {exc}") from None
        except Exception as exc:  # Pillow raises many types for corrupt data
            raise ResizeError(f"{type(exc).__name__}: {exc}") from None

    def _resize(self, data: bytes) -> Resized:
        im = Image.open(io.BytesIO(data))
        w, h = im.size
        if w * h > self.max_pixels:
            raise ResizeError(f"{w}x{h} is more than {self.max_pixels} pixels")
        orientation = im.getexif().get(0x0112, 1) if im.format in ("JPEG", "WEBP", "TIFF",
                                                                    "PNG") else 1
        if orientation in _ROTATES:
            w, h = h, w
        target = self.target_size(w, h)
        if im.format == "JPEG" and self.resize_mode != "no":
            draft = target if orientation not in _ROTATES else (target[1], target[0])
            im.draft(im.mode, draft)
        im.load()
        im = ImageOps.exif_transpose(im) or im
        im = to_rgb(im)
        im = clean_info(self._apply_mode(im, target))  # no personal metadata in shards
        out = io.BytesIO()
        fmt = FORMATS[self.encode_format]
        if fmt == "PNG":
            im.save(out, fmt, compress_level=min(9, max(0, self.encode_quality)))
        else:
            im.save(out, fmt, quality=self.encode_quality)
        return Resized(strip_metadata(out.getvalue()), self.encode_format, im.width, im.height, w, h)

    def target_size(self, w: int, h: int) -> tuple[int, int]:
        """The size the image is scaled to before any crop or border."""
        s = self.image_size
        mode = self.resize_mode
        if mode == "no":
            return w, h
        small_side = mode in ("keep_ratio", "center_crop")
        side = min(w, h) if small_side else max(w, h)
        if self.resize_only_if_bigger and side <= s:
            return w, h
        scale = s / side
        return max(1, round(w * scale)), max(1, round(h * scale))

    def _apply_mode(self, im: Image.Image, target: tuple[int, int]) -> Image.Image:
        if self.resize_mode == "no":
            return im
        if im.size != target:
            down = target[0] * target[1] < im.width * im.height
            method = Image.Resampling.BOX if down else Image.Resampling.LANCZOS
            im = im.resize(target, method)
        s = self.image_size
        if self.resize_mode == "center_crop" and (im.width > s or im.height > s):
            left, top = (im.width - s) // 2, (im.height - s) // 2
            im = im.crop((left, top, left + min(s, im.width), top + min(s, im.height)))
        elif self.resize_mode == "border" and (im.width < s or im.height < s):
            canvas = Image.new("RGB", (max(s, im.width), max(s, im.height)), (0, 0, 0))
            canvas.paste(im, ((canvas.width - im.width) // 2, (canvas.height - im.height) // 2))
            im = canvas
        return im


def to_rgb(im: Image.Image) -> Image.Image:
    """8-bit RGB: alpha matted on white, 16-bit/float scaled, CMYK/palette/grey converted."""
    if getattr(im, "n_frames", 1) > 1:
        im.seek(0)
    mode = im.mode
    if mode == "RGB":
        return im
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        top = arr.max() if arr.size else 0
        if mode == "F" and top <= 1.0:
            arr = arr * 255.0
        elif top > 255:
            arr = arr / (257.0 if top <= 65535 else top / 255.0)
        return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L").convert("RGB")
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode in ("LA", "PA", "La", "RGBa"):
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        background = Image.new("RGB", im.size, (255, 255, 255))
        background.paste(im, mask=im.getchannel("A"))
        return background
    return im.convert("RGB")
