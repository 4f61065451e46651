"""Loopback HTTP servers for the crawl tests: a hostile one with scripted routes, and a static
one over a folder. Each records the paths it was asked for."""

from __future__ import annotations

import contextlib
import gzip
import io
import mimetypes
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image


def make_jpeg(width: int = 320, height: int = 240, seed: int = 0, quality: int = 85) -> bytes:
    """A photo-like JPEG: a gradient, a few shapes and noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width * 255, y / height * 255, (x + y) / (width + height) * 255], -1)
    for _ in range(4):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(10, width / 4)
        mask = (x - cx) ** 2 + (y - cy) ** 2 < r * r
        base[mask] = rng.uniform(0, 255, 3)
    base += rng.normal(0, 12, base.shape)
    im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality)
    return out.getvalue()


class Server:
    """A threaded HTTP server on ``host`` (ephemeral port) answering through ``handle``."""

    def __init__(self, host: str, handle, tls=None):
        self.requests: list[str] = []
        self.host = host
        self.scheme = "https" if tls is not None else "http"
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server.requests.append(self.path)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    handle(self)

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        if tls is not None:  # an ssl.SSLContext for the server side
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(h, status: int, body: bytes = b"", headers: dict | list | None = None) -> None:
    h.send_response(status)
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    names = set()
    for k, v in items:
        h.send_header(k, v)
        names.add(k.lower())
    if "content-length" not in names:
        h.send_header("Content-Length", str(len(body)))
    h.send_header("Connection", "close")
    h.end_headers()
    if body:
        h.wfile.write(body)


class HostileSite:
    """The routes of the hostile server. ``other`` is the base URL of a second server (on
    127.0.0.2) that redirects point at."""

    def __init__(self, other_base: str = ""):
        self.jpeg = make_jpeg()
        self.other_base = other_base
        self.counts: dict[str, int] = {}
        self.bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)

    def __call__(self, h) -> None:
        full, path = h.path, h.path.split("?", 1)[0]
        self.counts[full] = self.counts.get(full, 0) + 1
        jpeg = {"Content-Type": "image/jpeg"}
        if path == "/robots.txt":
            reply(h, 200, b"User-agent: *\nDisallow: /private/\nAllow: /private/ok\n",
                  {"Content-Type": "text/plain"})
        elif path.startswith(("/ok", "/private/")):
            reply(h, 200, self.jpeg, jpeg)
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            target = "/ok.jpg" if n == 0 else f"/chain/{n - 1}"
            reply(h, 302, headers={"Location": target})
        elif path in ("/loop/a", "/loop/b"):
            reply(h, 301, headers={"Location": "/loop/b" if path.endswith("a") else "/loop/a"})
        elif path == "/to-other":
            reply(h, 302, headers={"Location": self.other_base + "/ok.jpg"})
        elif path == "/to-metadata":
            reply(h, 302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-file":
            reply(h, 302, headers={"Location": "file:///etc/passwd"})
        elif path == "/drip.jpg":
            h.send_response(200)
            h.send_header("Content-Type", "image/jpeg")
            h.send_header("Content-Length", str(len(self.jpeg)))
            h.end_headers()
            for byte in self.jpeg[:200]:  # about 20 s if nobody gave up
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(0.1)
        elif path == "/endless.jpg":
            h.send_response(200)
            h.send_header("Content-Type", "image/jpeg")
            h.end_headers()  # no length: the body runs until the connection closes
            h.wfile.write(self.jpeg)
            chunk = b"\0" * 65536
            for _ in range(2000):  # bounded: 128 MiB at most
                h.wfile.write(chunk)
        elif path == "/bomb.jpg":
            reply(h, 200, self.bomb, {"Content-Type": "image/jpeg", "Content-Encoding": "gzip"})
        elif path == "/gzip-ok.jpg":
            reply(h, 200, gzip.compress(self.jpeg),
                  {"Content-Type": "image/jpeg", "Content-Encoding": "gzip"})
        elif path == "/wrong-type.jpg":
            reply(h, 200, self.jpeg, {"Content-Type": "text/html"})
        elif path == "/html-as.jpg":
            reply(h, 200, b"<!doctype html><html><body>not an image</body></html>", jpeg)
        elif path == "/empty.jpg":
            reply(h, 200, b"", jpeg)
        elif path == "/once-429.jpg":
            if self.counts[full] == 1:
                reply(h, 429, b"slow down", {"Retry-After": "1"})
            else:
                reply(h, 200, self.jpeg, jpeg)
        elif path == "/once-503-date.jpg":
            if self.counts[full] == 1:
                reply(h, 503, b"busy", {"Retry-After": formatdate(time.time() + 1, usegmt=True)})
            else:
                reply(h, 200, self.jpeg, jpeg)
        elif path == "/429-long.jpg":
            reply(h, 429, b"go away", {"Retry-After": "3600"})
        elif path == "/always-503.jpg":
            reply(h, 503, b"down")
        elif path.startswith("/status/"):
            reply(h, int(path.rsplit("/", 1)[1]), b"nope")
        elif path.startswith("/xr/"):
            reply(h, 200, self.jpeg, [("Content-Type", "image/jpeg")] + X_ROBOTS[path[4:]])
        else:
            reply(h, 404, b"not found")


X_ROBOTS = {
    "noai": [("X-Robots-Tag", "noai")],
    "noimageai": [("X-Robots-Tag", "noimageai")],
    "noindex": [("X-Robots-Tag", "noindex, nofollow")],
    "noimageindex": [("X-Robots-Tag", "noimageindex")],
    "none": [("X-Robots-Tag", "none")],
    "ours": [("X-Robots-Tag", "loomery: noai")],
    "other-bot": [("X-Robots-Tag", "otherbot: noai, noimageai")],
    "scoped-list": [("X-Robots-Tag", "otherbot: noindex, loomery: noimageai")],
    "several": [("X-Robots-Tag", "nofollow"), ("X-Robots-Tag", "noimageai")],
    "harmless": [("X-Robots-Tag", "nofollow, max-image-preview: large")],
}


def robots_500(h) -> None:
    """A site whose robots.txt answers 500 (so nothing may be fetched from it)."""
    if h.path == "/robots.txt":
        reply(h, 500, b"oops")
    else:
        reply(h, 200, make_jpeg(seed=1), {"Content-Type": "image/jpeg"})


def static_folder(root: Path):
    """Serves the files under ``root`` by relative path, typed by extension."""

    def handle(h) -> None:
        path = (root / h.path.lstrip("/").split("?", 1)[0]).resolve()
        if h.path == "/robots.txt" or root.resolve() not in path.parents or not path.is_file():
            reply(h, 404, b"")
            return
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        reply(h, 200, path.read_bytes(), {"Content-Type": ctype})

    return handle
