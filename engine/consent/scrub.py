"""No personal metadata in stored images: EXIF (GPS, camera serial numbers, owner names), XMP,
IPTC, comments and text chunks are removed; the pixels are untouched.

Two tools: :func:`clean_info` empties a Pillow image's ``info`` before it is saved (Pillow
copies a JPEG comment from it into the output), and :func:`strip_metadata` removes metadata
from encoded bytes losslessly by walking the container: JPEG segments (APP1..APP15 but the
ICC profile and Adobe's colour-transform APP14, and COM), PNG chunks (``tEXt``, ``zTXt``,
``iTXt``, ``eXIf``, ``tIME``) and WebP RIFF chunks (``EXIF``, ``XMP ``). No library strips
all three losslessly (piexif handles EXIF in JPEG only), so this small walker is our own (over
:mod:`engine.consent.containers`); it copies the bytes it keeps and costs one pass over the
headers, not a decode.
Orientation must be applied to the pixels first (``ImageOps.exif_transpose``): stripping EXIF
drops the Orientation tag with the rest.
"""

from __future__ import annotations

import struct

from PIL import Image

from engine.consent.containers import container_of, jpeg_segments, png_chunks, riff_chunks

_KEEP_INFO = ("icc_profile",)  # colour, not about a person
_PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}
_RIFF_DROP = {b"EXIF", b"XMP "}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def needs_transpose(im: Image.Image) -> int:
    """The EXIF orientation of ``im`` when it is not upright (2..8), else 0."""
    try:
        orientation = im.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block: nothing to apply
        return 0
    return orientation if orientation in range(2, 9) else 0


def clean_info(im: Image.Image) -> Image.Image:
    """``im`` with every ``info`` entry but the ICC profile removed (in place)."""
    im.info = {k: v for k, v in im.info.items() if k in _KEEP_INFO}
    return im


def strip_metadata(data: bytes) -> bytes:
    """``data`` without its metadata segments/chunks; unknown formats come back unchanged."""
    kind = container_of(data)
    if kind == "jpeg":
        return _strip_jpeg(data)
    if kind == "png":
        return _strip_png(data)
    if kind == "webp":
        return _strip_webp(data)
    return data


def _keep_jpeg_segment(marker: int, data: bytes, start: int, end: int) -> bool:
    """Whether the segment at ``data[start:end]`` stays (its payload begins at ``start + 4``)."""
    if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # RSTn, TEM: no payload
        return True
    if marker == 0xFE:  # COM
        return False
    if marker == 0xE0:  # APP0: JFIF/JFXX (a JFXX thumbnail aside, nothing personal)
        return data.startswith(b"JFIF\x00", start + 4, end)
    if marker == 0xE2:
        return data.startswith(b"ICC_PROFILE\x00", start + 4, end)
    if marker == 0xEE:
        return data.startswith(b"Adobe", start + 4, end)  # colour transform: needed to decode CMYK right
    return not 0xE1 <= marker <= 0xEF


def _strip_jpeg(data: bytes) -> bytes:
    kept, pos, unchanged = [(0, 2)], 2, True
    for marker, start, end in jpeg_segments(data):
        if _keep_jpeg_segment(marker, data, start, end):
            kept.append((start, end))
            unchanged = unchanged and start == pos  # fill bytes between segments are dropped
        else:
            unchanged = False
        pos = end
    if unchanged:  # most images: nothing to drop, so no copy (~7 us a record less)
        return data
    kept.append((pos, len(data)))  # the scan data and everything after it, as it is
    return b"".join(data[a:b] for a, b in kept)


def _strip_png(data: bytes) -> bytes:
    out, pos = [data[:8]], 8
    for kind, start, end in png_chunks(data):
        if kind not in _PNG_DROP:
            out.append(data[start:end])
        pos = end
    out.append(data[pos:])
    return b"".join(out)


def _strip_webp(data: bytes) -> bytes:
    chunks = []
    for kind, start, end in riff_chunks(data):
        chunk = data[start:end]
        if kind == b"VP8X" and len(chunk) > 8:
            flags = chunk[8] & ~(_VP8X_EXIF | _VP8X_XMP)
            chunk = chunk[:8] + bytes([flags]) + chunk[9:]
        if kind not in _RIFF_DROP:
            chunks.append(chunk)
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
