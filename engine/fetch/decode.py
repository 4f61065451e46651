"""Undo a Content-Encoding while capping the decoded size, so a small compressed bomb cannot
expand past ``max_bytes`` in memory.

gzip (every member of a multi-member body, RFC 1952 §2.2), deflate (zlib-wrapped as RFC 9110
says, or raw as servers often send it; browsers accept both), br (``brotli``) and zstd
(``zstandard``, every frame). Each decoder is fed the wire bytes as they arrive and never holds
more than the cap plus one step of output.
"""

from __future__ import annotations

import zlib

import brotli
import zstandard

from engine.fetch.resolve import FetchError

ACCEPT_ENCODING = "gzip, deflate, br, zstd"
STEP = 1 << 16  # the most output one decompression call may add beyond what was counted


class _Counter:
    """Collects decoded bytes, refusing past ``cap``."""

    def __init__(self, cap: int):
        self.cap = cap
        self.size = 0
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.cap:
            raise FetchError("too_large", f"decoded body passed {self.cap} bytes")
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts = []
        return out


class _Zlib:
    """gzip members one after another, or deflate with or without its zlib wrapper."""

    def __init__(self, name: str, out: _Counter):
        self.name = name
        self.out = out
        self.head = b""  # deflate: the first bytes, until the wrapper is recognised
        self.z = zlib.decompressobj(31) if name == "gzip" else None

    def feed(self, data: bytes) -> None:
        if self.z is None:
            self.head += data
            if len(self.head) < 2:
                return
            b0, b1 = self.head[0], self.head[1]
            wrapped = b0 & 0x0F == 8 and (b0 << 8 | b1) % 31 == 0
            self.z = zlib.decompressobj(15 if wrapped else -15)
            data, self.head = self.head, b""
        while data:
            if self.z.eof:
                if self.name != "gzip" or not data.startswith(b"\x1f\x8b"):
                    return  # bytes after the stream that open no member: ignored, as browsers do
                self.z = zlib.decompressobj(31)  # the next gzip member
            try:
                self.out.write(self.z.decompress(data, STEP))
            except zlib.error as exc:
                raise FetchError("decode_error", f"bad {self.name} body: {exc}") from None
            data = self.z.unconsumed_tail or self.z.unused_data

    def finish(self) -> None:
        if self.z is None:
            raise FetchError("truncated", f"{self.name} body ends before its header")
        try:
            self.out.write(self.z.flush())  # at most one back-reference of pending output
        except zlib.error as exc:
            raise FetchError("decode_error", f"bad {self.name} body: {exc}") from None
        if not self.z.eof:
            raise FetchError("truncated", f"{self.name} stream ends early")


class _Brotli:
    def __init__(self, out: _Counter):
        self.out = out
        self.d = brotli.Decompressor()

    def feed(self, data: bytes) -> None:
        try:
            self.out.write(self.d.process(data, output_buffer_limit=STEP))
            while not self.d.can_accept_more_data():
                self.out.write(self.d.process(b"", output_buffer_limit=STEP))
        except brotli.error as exc:
            raise FetchError("decode_error", f"bad br body: {exc}") from None

    def finish(self) -> None:
        if not self.d.is_finished():
            raise FetchError("truncated", "br stream ends early")


class _Zstd:
    """zstandard's stream writer hands output to the counter in STEP pieces, so the cap stops
    a bomb between two pieces; concatenated frames are all decoded."""

    def __init__(self, out: _Counter):
        self.out = out
        self.w = zstandard.ZstdDecompressor().stream_writer(out, write_size=STEP,
                                                             closefd=False)

    def feed(self, data: bytes) -> None:
        try:
            self.w.write(data)
        except zstandard.ZstdError as exc:
            raise FetchError("decode_error", f"bad zstd body: {exc}") from None

    def finish(self) -> None:
        self.w.flush()


class Decoder:
    """Undoes the Content-Encoding list ``encoding`` (applied in order, undone in reverse),
    refusing more than ``cap`` decoded bytes (``too_large``) and bad streams (``decode_error``);
    a compressed stream cut short is ``truncated``."""

    def __init__(self, encoding: str, cap: int):
        names = [e.strip().lower() for e in encoding.split(",") if e.strip()]
        names = [n for n in names if n != "identity"]
        if len(names) > 2:
            raise FetchError("decode_error", f"{len(names)} stacked Content-Encodings")
        self.encoding = ", ".join(names) or "identity"
        self.out = _Counter(cap)
        self.stages = []
        sink = self.out
        for name in names:  # the first stage built writes to the counter: the last applied
            self.stages.insert(0, stage := _stage(name, sink))
            sink = _Forward(stage)

    def feed(self, data: bytes) -> bytes:
        """Decoded bytes of the next wire chunk ``data``."""
        if not self.stages:
            self.out.write(data)
        else:
            self.stages[0].feed(data)
        return self.out.take()

    def flush(self) -> bytes:
        """The rest, once the wire body has ended."""
        for stage in self.stages:
            stage.finish()
        return self.out.take()


class _Forward:
    """Feeds one stage's output into the next stage."""

    def __init__(self, stage):
        self.stage = stage

    def write(self, data: bytes) -> int:
        self.stage.feed(bytes(data))
        return len(data)


def _stage(name: str, out):
    if name in ("gzip", "x-gzip"):
        return _Zlib("gzip", out)
    if name == "deflate":
        return _Zlib("deflate", out)
    if name == "br":
        return _Brotli(out)
    if name == "zstd":
        return _Zstd(out)
    raise FetchError("decode_error", f"unsupported Content-Encoding {name!r}")
