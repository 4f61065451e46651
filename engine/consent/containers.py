"""Walking an encoded image's container without decoding it: JPEG marker segments, PNG chunks
and RIFF (WebP) chunks, as ``(tag, start, end)`` byte spans.

The C2PA scan (:mod:`engine.consent.c2pa_read`) and the metadata scrubber
(:mod:`engine.consent.scrub`) both walk these headers; the walk lives here once. Each walk costs
one step per segment or chunk, never a pass over the pixel data, ; a span cut short by the end
of ``data`` is yielded clipped and ends the walk (a truncated file never raises).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def container_of(data: bytes) -> str | None:
    """``"jpeg"``, ``"png"``, ``"webp"``, or None for anything else."""
    if data[:2] == b"\xff\xd8":
        return "jpeg"
    if data[:8] == PNG_SIGNATURE:
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """``(marker, start, end)`` of each segment after SOI, up to (not including) the start of
    scan or end of image: everything from there on is entropy-coded data. Standalone markers
    (RSTn, TEM) span their two bytes; fill bytes (0xFF 0xFF) are stepped over."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD9, 0xDA):
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            yield marker, pos, pos + 2
            pos += 2
            continue
        length = data[pos + 2] << 8 | data[pos + 3]  # big-endian, as struct ">H" reads it
        yield marker, pos, min(len(data), pos + 2 + length)
        pos += 2 + length


def png_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """``(kind, start, end)`` of each chunk after the signature, IEND included."""
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = min(len(data), pos + 12 + length)
        yield kind, pos, end
        if kind == b"IEND":
            return
        pos = end


def riff_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """``(kind, start, end)`` of each chunk of a RIFF/WebP file (``end`` includes the pad byte)."""
    pos = 12
    while pos + 8 <= len(data):
        kind, length = struct.unpack("<4sI", data[pos:pos + 8])
        end = min(len(data), pos + 8 + length + (length & 1))
        yield kind, pos, end
        pos = end
