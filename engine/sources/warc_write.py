"""Write HTML pages as a WARC file of response records (for demos, tests and fixtures)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def write_warc(
    pages: Iterable[tuple[str, bytes] | tuple[str, bytes, list[tuple[str, str]]]],
    path: str,
    *,
    gzip: bool = True,
) -> int:
    """Write ``(url, html[, extra HTTP headers])`` pages to ``path`` as ``response`` records,
    one gzip member per record when ``gzip``; return how many were written."""
    count = 0
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=gzip)
        for page in pages:
            url, body = page[0], page[1]
            headers = [("Content-Type", "text/html; charset=utf-8"), *(page[2] if len(page) > 2
                                                                       else [])]
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                               http_headers=http)
            writer.write_record(record)
            count += 1
    return count
