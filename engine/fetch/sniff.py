"""What a body really is: its format from magic bytes, its pixel size from the header alone.

Nothing here decodes pixel data, so a decompression bomb is measured before it can expand.
"""

from __future__ import annotations

import io
import struct
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
    ``fmt``, the sniffed format, lets Pillow go straight to its plugin (a plain JPEG header is
    read by :func:`jpeg_size` instead, which gives Pillow's answer at a tenth of the cost)."""
    size = jpeg_size(data) if fmt == "jpeg" else None
    if size is not None:
        width, height = size
        bomb = Image.MAX_IMAGE_PIXELS  # Image.open raises DecompressionBombError past twice it
        if bomb and max(1, width) * max(1, height) > 2 * bomb:
            raise FetchError("too_many_pixels", f"{width}x{height} pixels > {2 * bomb}, "
                             "could be a decompression bomb")
    else:
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


# JPEG segments whose content Pillow's JPEG plugin only skips or stores; APPn payloads
# (0xE0-0xEF) are checked by _app_ok where Pillow reads into them unguarded.
_SKIPPED = frozenset({0xC4, 0xCC, 0xDC, 0xDD, 0xDF, 0xFE})
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_SEGMENT = struct.Struct(">BBH").unpack_from  # 0xFF, marker, length (which counts itself)


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a plain JPEG, walking its segments up to the start of scan; None when
    anything is unusual, and then the caller asks Pillow.

    Own code, kept because it is measurably cheaper: Pillow's ``Image.open`` also parses the
    quantisation tables, EXIF and APP payloads, 25-45 us a small image against ~3 us here, the
    largest single cost of a fetch on a fast network (``bench/fetch_loops.py``). As safe: it
    returns a size only where Pillow's JPEG plugin would open the file and report that same
    size (one SOF frame of 8-bit samples and 1, 3 or 4 components, every segment complete, the
    quantisation tables well formed, no MPO index); any other file goes to Pillow.
    ``tests/unit/test_fetch_sniff.py`` compares both on Pillow's test images and on every
    truncation and on random byte flips of a JPEG header.
    """
    end = len(data)
    pos = 2  # after SOI (the caller sniffed FF D8 FF)
    size = None
    while pos + 4 <= end:
        ff, marker, length = _SEGMENT(data, pos)
        body, pos = pos + 4, pos + 2 + length
        if ff != 0xFF or length < 2 or pos > end:
            return None
        if marker in _SKIPPED:
            continue
        if marker == 0xDA:  # start of scan: the header is complete
            return size
        if marker == 0xDB:  # quantisation tables: one byte of precision/id, 64 values of 1 or 2
            while body < pos:
                body += 65 if data[body] < 16 else 129
            if body != pos:
                return None
        elif marker in _SOF:
            if size is not None or length < 8 or data[body] != 8 or data[body + 5] not in (1, 3, 4):
                return None
            size = (data[body + 3] << 8 | data[body + 4], data[body + 1] << 8 | data[body + 2])
        elif marker == 0xE0 and data.startswith(b"JFIF", body, pos):  # _app_ok's first case
            if length < 9:
                return None
        elif not (0xE0 <= marker < 0xF0 and _app_ok(marker, data[body:pos])):
            return None
    return None


def _app_ok(marker: int, payload: bytes) -> bool:
    """For an APPn segment (``marker`` 0xE0-0xEF): False for the payloads Pillow would fail on
    or treats specially (short JFIF, Adobe and ICC headers, Photoshop blocks, an MPO index)."""
    if marker == 0xE0 and payload.startswith(b"JFIF"):
        return len(payload) >= 7
    if marker == 0xEE and payload.startswith(b"Adobe"):
        return len(payload) >= 7
    if marker == 0xE2:
        return not payload.startswith(b"MPF\0") and (
            not payload.startswith(b"ICC_PROFILE\0") or len(payload) >= 14)
    return not (marker == 0xED and payload.startswith(b"Photoshop 3.0\0"))
