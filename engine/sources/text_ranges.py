"""Lines of a byte range of a text file: the grain on which JSONL, CSV, TSV and TXT lists are cut.

A line belongs to the range in which it starts: a reader starting at byte ``start > 0`` skips to
just past the first newline at or after ``start - 1``, and reads on past ``stop`` only to finish
the line that starts before it. So ranges partition the lines exactly, whatever the cut points,
and nothing is counted on the driver.
"""

from __future__ import annotations

import fsspec

from engine.sources.base import END

SAMPLE_BYTES = 1 << 16  # bytes read from a file's start to guess its bytes per line
BLOCK = 1 << 16


def lines_in_range(path: str, start: int, stop: int) -> list[tuple[int, bytes]]:
    """``(offset, line)`` for each line that starts in ``[start, stop)``, newline stripped.
    Cost: the range's bytes, plus the rest of its last line and one byte before it."""
    with fsspec.open(path, "rb") as f:
        first = 0 if start == 0 else _after_newline(f, start - 1, stop)
        if first is None or first >= stop:
            return []
        f.seek(first)
        data = f.read() if stop == END else f.read(stop - first)
        if len(data) == stop - first and not data.endswith(b"\n"):
            data += f.readline()  # finish the line that starts before stop
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # what follows the final newline is not a line
    out, pos = [], first
    for line in lines:
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _after_newline(f, pos: int, stop: int) -> int | None:
    """The offset just past the first newline at or after ``pos``, looking no further than
    ``stop - 1`` (a line that starts later is not this range's); None if there is none."""
    f.seek(pos)
    while pos < stop:
        block = f.read(min(BLOCK, stop - pos))
        if not block:
            return None
        cut = block.find(b"\n")
        if cut != -1:
            return pos + cut + 1
        pos += len(block)
    return None


def header_line(path: str) -> bytes:
    """The file's first line (a CSV header), newline stripped."""
    with fsspec.open(path, "rb") as f:
        return f.readline().rstrip(b"\r\n")


def bytes_per_line(path: str) -> float:
    """Mean bytes per line over the file's first :data:`SAMPLE_BYTES` (at least 1): a guess that
    sizes byte ranges and estimates their records. Cost: one read of that many bytes."""
    with fsspec.open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    return max(1.0, len(sample) / max(1, sample.count(b"\n")))
