"""What a body really is: its format from magic bytes, its pixel size from the header alone.

Nothing here decodes pixel data, so a decompression bomb is measured before it can expand.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

from engine.fetch.resolve import FetchError

# The pixel count is checked explicitly (max_pixels), so Pillow's own warning is noise. Set once
# here rather than with catch_warnings(), which is not thread-safe.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

IMAGE_FORMATS = ("jpeg", "png", "webp", "gif", "bmp", "tiff")


def sniff_format(data: bytes) -> str | None:
    """The image format named by the first bytes of ``data``, or None."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"mif1", b"msf1"):
            return "heif"
    if head.startswith((b"\x00\x00\x00\x0cjP  ", b"\xff\x4f\xff\x51")):
        return "jpeg2000"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "ico"
    if head.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
        return "html/xml"
    return None


# Pillow's plugin for a sniffed format: opening with it alone skips trying the others first.
_PILLOW_FORMATS = {"jpeg": ("JPEG",), "png": ("PNG",), "gif": ("GIF",), "webp": ("WEBP",),
                   "bmp": ("BMP",), "tiff": ("TIFF",)}


def header_size(data: bytes, max_pixels: int, fmt: str | None = None) -> tuple[int, int]:
    """(width, height) read from the image header; refuses more than ``max_pixels`` pixels.
    ``fmt``, the sniffed format, lets Pillow go straight to its plugin."""
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS.get(fmt or "")) as im:
            width, height = im.size
    except Image.DecompressionBombError as exc:
        raise FetchError("too_many_pixels", str(exc)) from None
    except Exception as exc:  # Pillow raises many types for malformed headers
        detail = f"unreadable image header: {type(exc).__name__}: {exc}"
        raise FetchError("decode_error", detail) from None
    if width <= 0 or height <= 0:
        raise FetchError("decode_error", f"image header gives size {width}x{height}")
    if width * height > max_pixels:
        raise FetchError(
            "too_many_pixels", f"{width}x{height} = {width * height} pixels > {max_pixels}"
        )
    return width, height
