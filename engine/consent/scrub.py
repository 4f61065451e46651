"""No personal metadata in stored images: EXIF (GPS, camera serial numbers, owner names), XMP,
IPTC, comments and text chunks are removed; the pixels are untouched.

Two tools: :func:`clean_info` empties a Pillow image's ``info`` before it is saved (Pillow
copies a JPEG comment from it into the output), and :func:`strip_metadata` removes metadata
from encoded bytes losslessly by walking the container: JPEG segments (APP1..APP15 but the
ICC profile and Adobe's colour-transform APP14, and COM), PNG chunks (``tEXt``, ``zTXt``,
``iTXt``, ``eXIf``, ``tIME``) and WebP RIFF chunks (``EXIF``, ``XMP ``). No library strips
all three losslessly (piexif handles EXIF in JPEG only), so this small walker is our own; it
copies the bytes it keeps and costs one pass over the headers, not a decode.
Orientation must be applied to the pixels first (``ImageOps.exif_transpose``): stripping EXIF
drops the Orientation tag with the rest.
"""

from __future__ import annotations

import struct

from PIL import Image

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
    if data[:2] == b"\xff\xd8":
        return _strip_jpeg(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _strip_png(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _strip_webp(data)
    return data


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    if marker == 0xFE:  # COM
        return False
    if marker == 0xE0:  # APP0: JFIF/JFXX (a JFXX thumbnail aside, nothing personal)
        return payload.startswith(b"JFIF\x00")
    if marker == 0xE2:
        return payload.startswith(b"ICC_PROFILE\x00")
    if marker == 0xEE:
        return payload.startswith(b"Adobe")  # colour transform: needed to decode CMYK right
    return not 0xE1 <= marker <= 0xEF


def _strip_jpeg(data: bytes) -> bytes:
    out = [data[:2]]
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break  # not a marker: keep the rest as it is
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:  # scan data (and everything after) is kept
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[pos:pos + 2])
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        segment = data[pos:pos + 2 + length]
        if _keep_jpeg_segment(marker, segment[4:]):
            out.append(segment)
        pos += 2 + length
    out.append(data[pos:])
    return b"".join(out)


def _strip_png(data: bytes) -> bytes:
    out = [data[:8]]
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if kind not in _PNG_DROP:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    out.append(data[pos:])
    return b"".join(out)


def _strip_webp(data: bytes) -> bytes:
    chunks = []
    pos = 12
    while pos + 8 <= len(data):
        kind, length = struct.unpack("<4sI", data[pos:pos + 8])
        end = pos + 8 + length + (length & 1)
        chunk = data[pos:end]
        if kind == b"VP8X" and len(chunk) > 8:
            flags = chunk[8] & ~(_VP8X_EXIF | _VP8X_XMP)
            chunk = chunk[:8] + bytes([flags]) + chunk[9:]
        if kind not in _RIFF_DROP:
            chunks.append(chunk)
        pos = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
