"""The demo's web site: the generated corpus served on 127.0.0.1, with the faults a crawler
meets (missing pages, an opted-out folder, broken images), and the URL list that points at it."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from loomery.demo.corpus import DemoRecord

OPTED_OUT = "noai"  # files under /noai/ are served with `X-Robots-Tag: noai`


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        if self.path.startswith(f"/{OPTED_OUT}/"):
            self.send_header("X-Robots-Tag", "noai, noimageai")
        super().end_headers()

    def log_message(self, *args) -> None:  # the demo's console is for the run's stats
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 at an ephemeral port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_site(records: list[DemoRecord], folder: Path) -> list[tuple[str, str | None, str]]:
    """Write the records' images under ``folder``; return (path, caption, kind) per URL to crawl.

    Every fifth fault is served as a 404, opted out by X-Robots-Tag, or listed twice.
    """
    (folder / "img").mkdir(parents=True, exist_ok=True)
    (folder / OPTED_OUT).mkdir(exist_ok=True)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    entries = []
    for i, record in enumerate(records):
        kind = record.kind
        if kind == "missing_image":
            entries.append((f"/img/{i:05d}-gone.jpg", record.caption, "http_404"))
            continue
        where = OPTED_OUT if i % 50 == 9 else "img"
        path = f"/{where}/{i:05d}.jpg"
        (folder / path.lstrip("/")).write_bytes(record.image)
        entries.append((path, record.caption, "opted_out" if where == OPTED_OUT else kind))
        if i % 60 == 1:
            entries.append((path, record.caption, "duplicate_url"))
    return entries


def write_url_list(entries: list[tuple[str, str | None, str]], base_url: str, path: Path) -> Path:
    """The URL list (Parquet: url, caption, planted) for the site served at ``base_url``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({
        "url": [base_url + p for p, _, _ in entries],
        "caption": [c for _, c, _ in entries],
        "planted": [k for _, _, k in entries],
    }), path)
    return path
