"""One HTTP/1.1 exchange over an already-connected (and already-checked) stream, on h11.

Bodies are read with two caps: the bytes on the wire and the bytes after Content-Encoding is
undone (gzip/deflate), so a small compressed bomb cannot expand past ``max_bytes`` in memory.
"""

from __future__ import annotations

import asyncio
import zlib

import h11

from engine.fetch.resolve import FetchError

READ_CHUNK = 1 << 16


class Decoder:
    """Undoes a Content-Encoding while capping the decoded size at ``cap`` bytes."""

    def __init__(self, encoding: str, cap: int):
        self.cap = cap
        self.size = 0
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self._z = zlib.decompressobj(47)  # 32+15: zlib or gzip header, detected
        else:
            raise FetchError("decode_error", f"unsupported Content-Encoding {encoding!r}")
        self.encoding = encoding

    def feed(self, data: bytes) -> bytes:
        if self._z is None:
            return self._count(data)
        out = []
        try:
            while data:
                chunk = self._z.decompress(data, self.cap - self.size + 1)
                out.append(self._count(chunk))
                data = self._z.unconsumed_tail
        except zlib.error as exc:
            raise FetchError("decode_error", f"bad {self.encoding} body: {exc}") from None
        return b"".join(out)

    def flush(self) -> bytes:
        if self._z is None:
            return b""
        try:
            return self._count(self._z.flush())
        except zlib.error as exc:
            raise FetchError("decode_error", f"bad {self.encoding} body: {exc}") from None

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.cap:
            what = "decoded body" if self._z is not None else "body"
            raise FetchError("too_large", f"{what} passed {self.cap} bytes")
        return data


class Exchange:
    """Send one request and read its response head, then (optionally) its body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.conn = h11.Connection(our_role=h11.CLIENT, max_incomplete_event_size=64 * 1024)

    async def send(self, target: str, headers: list[tuple[str, str]]) -> None:
        try:
            data = self.conn.send(h11.Request(method="GET", target=target, headers=headers))
            data += self.conn.send(h11.EndOfMessage())
        except h11.LocalProtocolError as exc:
            raise FetchError("bad_url", f"cannot form the request: {exc}") from None
        try:
            self.writer.write(data)
            await self.writer.drain()
        except OSError as exc:
            raise FetchError("connection_error", f"sending the request: {exc}") from None

    async def _next_event(self):
        while True:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise FetchError("protocol_error", str(exc)) from None
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await self.reader.read(READ_CHUNK)
            except OSError as exc:
                raise FetchError("connection_error", str(exc)) from None
            self.conn.receive_data(data)

    async def response(self) -> h11.Response:
        """The final response head (1xx informational answers are skipped)."""
        while True:
            event = await self._next_event()
            if isinstance(event, h11.Response):
                return event
            if isinstance(event, h11.ConnectionClosed):
                raise FetchError("connection_error", "closed before a response")

    async def body(self, max_bytes: int, encoding: str) -> bytes:
        """The body, decoded, refused past ``max_bytes`` on the wire or after decoding."""
        decoder = Decoder(encoding, max_bytes)
        wire = 0
        parts: list[bytes] = []
        while True:
            event = await self._next_event()
            if isinstance(event, h11.Data):
                wire += len(event.data)
                if wire > max_bytes:
                    raise FetchError("too_large", f"body passed {max_bytes} bytes")
                parts.append(decoder.feed(bytes(event.data)))
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                parts.append(decoder.flush())
                return b"".join(parts)

    def close(self) -> None:
        self.writer.close()


def header(response: h11.Response, name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), decoded as Latin-1."""
    values = headers_all(response, name)
    return values[0] if values else None


def headers_all(response: h11.Response, name: str) -> list[str]:
    key = name.lower().encode()
    return [v.decode("latin-1") for k, v in response.headers if k == key]
