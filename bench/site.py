"""A loopback image site for benches: one asyncio HTTP server in its own process.

It serves either a folder of ``*.jpg`` files (held in memory, by file name) or a *pack* of many
small generated images (``pack-NNN.bin`` + ``pack-NNN.idx`` offsets, memory-mapped, by number:
``/img/123.jpg``). Packs are made once per count and cached, so that serving costs a lookup and
a socket write, and the server is never the bottleneck of a crawl bench. Connections are kept
alive (HTTP/1.1) unless the client asks to close; with ``--cert``/``--key`` it serves HTTPS.

    python bench/site.py --serve FOLDER --port-file FILE [--cert PEM --key PEM]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import mmap
import random
import ssl
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

PACK = 10_000  # images per pack file
VERSION = 1  # bump when the images or captions change, so caches are rebuilt


def small_image(i: int) -> bytes:
    """Image ``i``: a square JPEG of 96-256 px, a random 8-16 cell colour grid smoothed up to size.

    Its low frequencies are random, so perceptual hashes spread almost like random bits (measured:
    no pair within 12 bits among 2,000). Square, because letterbox bars of the pipeline's border
    resize are shared by images of one aspect ratio and pull their hashes together."""
    rng = np.random.default_rng([VERSION, i])
    side = int(rng.integers(96, 257))
    cells = (int(rng.integers(8, 17)), int(rng.integers(8, 17)), 3)
    image = Image.fromarray(rng.integers(0, 256, cells, dtype=np.uint8)).resize((side, side), Image.BICUBIC)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=int(rng.integers(70, 93)))
    return out.getvalue()


_VOCABULARY = """
adj: red|blue|green|yellow|small|large|old|new|wooden|stone|bright|dark|quiet|busy|empty|crowded|golden|silver|
  rusty|painted|tiny|huge|narrow|wide|ancient|modern|snowy|sunny|rainy|foggy|striped|spotted|shiny|soft|pale
noun: dog|cat|horse|bicycle|car|boat|house|bridge|tree|flower|mountain|river|lake|street|market|kitchen|garden|
  chair|table|lamp|window|door|train|bus|tower|castle|beach|forest|field|cup|bottle|book|guitar|piano|clock|
  umbrella|kite|balloon|owl|fox|deer|rabbit|sheep|cow|tractor|lighthouse|fountain|statue|bench|fence|barn|tent|
  canoe|sailboat|airplane
verb: standing|sitting|resting|parked|floating|leaning|hanging|lying|waiting|glowing
prep: near|beside|behind|under|above|across|along|inside|outside|beyond
place: city|village|harbor|valley|desert|park|station|square|hills|coast|island|farm|museum|campus|airport|
  old town|train yard|riverbank
time: at dawn|at noon|at dusk|at night|in winter|in spring|in summer|in autumn|after the rain|before the storm|
  on a cloudy day|under a clear sky
kind: a photo of|an image of|a picture of|a close-up of|a wide shot of|a painting of|a sketch of|a view of|
  a snapshot of|an illustration of
"""
_WORDS = {key: words.split("|") for key, words in
          (line.split(": ", 1) for line in _VOCABULARY.replace("\n  ", "").strip().split("\n"))}


def caption(i: int) -> str:
    """Caption ``i``: a sentence drawn from small vocabularies, so that no two are near-duplicates
    (5-word shingles of two draws rarely overlap at all), and plain enough for every text filter."""
    rng = random.Random(f"{VERSION}-{i}")
    w = {k: (lambda v=v: rng.choice(v)) for k, v in _WORDS.items()}
    place = w["place"]()
    when = " ".join(rng.sample(_WORDS["time"], 2))
    shapes = [
        f"{w['kind']()} a {w['adj']()} {w['noun']()} {w['verb']()} {w['prep']()} a {w['adj']()} {w['noun']()}",
        f"{w['adj']()} {w['noun']()} and {w['adj']()} {w['noun']()} {w['prep']()} the {place} {when}",
        f"{w['kind']()} the {place} with a {w['adj']()} {w['noun']()} and {rng.randint(2, 40)} {w['noun']()}s",
        f"a {w['adj']()} {w['adj']()} {w['noun']()} {w['verb']()} {w['prep']()} the {w['noun']()} {when}",
    ]
    first, second = rng.sample(shapes, 2)
    return first if rng.random() < 0.6 else f"{first}, {second}"


def _write_pack(folder: str, k: int, count: int) -> None:
    start, end = k * PACK, min((k + 1) * PACK, count)
    blobs = [small_image(i) for i in range(start, end)]
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in blobs], out=offsets[1:])
    base = Path(folder) / f"pack-{k:03d}"
    base.with_suffix(".bin").write_bytes(b"".join(blobs))
    np.save(base.with_suffix(".idx.tmp.npy"), offsets)
    base.with_suffix(".idx.tmp.npy").rename(base.with_suffix(".idx.npy"))


def make_pack(folder: Path, count: int, processes: int = 2) -> Path:
    """Images ``0..count-1`` as pack files in ``folder`` (reused when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    packs = (count + PACK - 1) // PACK
    todo = [k for k in range(packs)
            if not (folder / f"pack-{k:03d}.idx.npy").exists()
            or len(np.load(folder / f"pack-{k:03d}.idx.npy")) - 1 < min(PACK, count - k * PACK)]
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_write_pack, [str(folder)] * len(todo), todo, [count] * len(todo)))
    return folder


class _Pack:
    """Image bytes by number from memory-mapped pack files."""

    def __init__(self, folder: Path):
        self.maps, self.offsets = [], []
        for idx in sorted(folder.glob("pack-*.idx.npy")):
            with open(idx.with_name(idx.name.replace(".idx.npy", ".bin")), "rb") as f:
                self.maps.append(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
            self.offsets.append(np.load(idx))

    def get(self, name: str) -> bytes | None:
        stem = name.removesuffix(".jpg")
        if not stem.isdigit():
            return None
        k, j = divmod(int(stem), PACK)
        if k >= len(self.maps) or j >= len(self.offsets[k]) - 1:
            return None
        return self.maps[k][int(self.offsets[k][j]):int(self.offsets[k][j + 1])]


def serve(folder: str, port_file: str, cert: str | None = None, key: str | None = None) -> None:
    """Serve ``folder`` on 127.0.0.1 (a free port, written to ``port_file``) until killed;
    over TLS with ``cert`` and ``key``."""
    root = Path(folder)
    if any(root.glob("pack-*.idx.npy")):
        lookup = _Pack(root).get
    else:
        lookup = {p.name: p.read_bytes() for p in root.glob("*.jpg")}.get

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # one request after another on the connection (keep-alive)
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode().split("?", 1)[0]
                close = b"connection: close" in head.lower()
                body = lookup(target.rsplit("/", 1)[-1])
                ending = b"Connection: close\r\n\r\n" if close else b"\r\n"
                if body is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" + ending)
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                 + str(len(body)).encode() + b"\r\n" + ending + body)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        tls = None
        if cert:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(cert, key)
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024, ssl=tls)
        Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class LoopbackServer:
    """:func:`serve` in a child process (so it shares no GIL with a crawler); ``.port``, ``.close()``."""

    def __init__(self, folder: Path, work: Path, tls: tuple[Path, Path] | None = None):
        port_file = work / ("port-tls" if tls else "port")
        port_file.unlink(missing_ok=True)
        extra = ["--cert", str(tls[0]), "--key", str(tls[1])] if tls else []
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(folder),
                                      "--port-file", str(port_file), *extra])
        for _ in range(600):
            if port_file.exists() and port_file.read_text():
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"the loopback server exited with {self.proc.returncode}")
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serve", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    serve(args.serve, args.port_file, args.cert, args.key)
