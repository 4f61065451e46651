"""FetchImages: download each pair's image safely, resize it, and record what happened.

Each worker keeps one :class:`engine.fetch.Fetcher` from ``setup()`` on, so the stage runs as an
actor pool; per-host limits, Retry-After pauses and robots.txt hold for the whole job (the
job's host gate, see :class:`filters.images.fetch_base.FetchingFilter`). A batch's URLs are
fetched concurrently; each body is resized in a worker thread as soon as it arrives.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import pyarrow as pa

from engine.fetch import FetchPolicy, FetchResult
from engine.stage import Resources, Verdicts, set_columns
from filters.images.fetch_base import FetchingFilter
from filters.images.resize import ResizeError
from filters.provenance.pair_columns import rights_arrays, rights_row


class FetchImages(FetchingFilter):
    """Fetch ``url``, resize, and fill ``image`` (re-encoded bytes), ``image_format``,
    ``width``/``height``, ``orig_width``/``orig_height``, ``sha256`` (of the original bytes),
    ``http_status``, ``content_type``, ``final_url``, ``fetch_attempts`` and the consent evidence
    ``x_robots_tag`` and ``robots_txt``, and the rights columns of
    filters/provenance/pair_columns.py (``license``, ``ai_generated``, ``data_mining``, ``tdm``,
    ``rights_evidence``). A URL that fails is rejected with the fetcher's reason
    (``blocked_address``, ``robots_txt``, ``http_404``, ``too_many_pixels``, ...)."""

    name = "fetch"
    # Mostly waiting on the network: half a CPU each, so that an actor pool as large as the
    # worker count still leaves CPUs for reading, the cheap filters and writing. The whole
    # unit is one batch, so all its URLs are in flight together.
    resources = Resources(num_cpus=0.5, batch_size=None)

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        image_size: int = 256,
        resize_mode: str = "border",
        resize_only_if_bigger: bool = False,
        encode_format: str = "jpg",
        encode_quality: int = 95,
        concurrency: int = 64,
        name: str | None = None,
        resources: Resources | None = None,
    ):
        super().__init__(policy, image_size=image_size, resize_mode=resize_mode,
                         resize_only_if_bigger=resize_only_if_bigger, encode_format=encode_format,
                         encode_quality=encode_quality, concurrency=concurrency, name=name,
                         resources=resources)

    def __call__(self, batch: pa.Table) -> pa.Table:
        urls = [u or "" for u in batch.column("url").to_pylist()]
        n = len(urls)
        rows: list[dict[str, Any] | None] = [None] * n
        failures: dict[int, str] = {}
        lock = threading.Lock()

        def on_result(i: int, result: FetchResult) -> None:
            if result.content is None:
                return
            original = result.content
            result.content = None  # the original bytes are not kept past this point
            rights = rights_row(original)  # XMP and C2PA: read before any re-encoding
            try:
                resized = self._resizer(original)
            except ResizeError as exc:
                with lock:
                    failures[i] = str(exc)
                return
            rows[i] = {
                "image": resized.data,
                "image_format": resized.format,
                "width": resized.width,
                "height": resized.height,
                "orig_width": resized.orig_width,
                "orig_height": resized.orig_height,
                "sha256": hashlib.sha256(original).hexdigest(),
                "md5": hashlib.md5(original, usedforsecurity=False).hexdigest(),
                **rights,
            }

        results = self.fetcher().fetch_all(urls, self.concurrency, on_result)
        verdicts = Verdicts()
        for i, result in enumerate(results):
            if result.reason is not None:
                verdicts.reject(result.reason, detail=result.detail)
            elif i in failures:
                verdicts.reject(ResizeError.reason, detail=failures[i])
            else:
                verdicts.keep()
        return self.verdict(_with_columns(batch, results, rows), **verdicts.columns())


def _with_columns(batch: pa.Table, results: list[FetchResult], rows) -> pa.Table:
    def col(key: str) -> list:
        return [r[key] if r is not None else None for r in rows]

    new = {
        "image": pa.array(col("image"), pa.binary()),
        "image_format": pa.array(col("image_format"), pa.string()),
        "width": pa.array(col("width"), pa.int32()),
        "height": pa.array(col("height"), pa.int32()),
        "orig_width": pa.array(col("orig_width"), pa.int32()),
        "orig_height": pa.array(col("orig_height"), pa.int32()),
        "sha256": pa.array(col("sha256"), pa.string()),
        "md5": pa.array(col("md5"), pa.string()),
        "http_status": pa.array([r.status for r in results], pa.int32()),
        "content_type": pa.array([r.content_type for r in results], pa.string()),
        "final_url": pa.array([r.final_url for r in results], pa.string()),
        "fetch_attempts": pa.array([r.attempts for r in results], pa.int32()),
        "x_robots_tag": pa.array([r.x_robots_tag for r in results], pa.string()),
        "robots_txt": pa.array([r.robots for r in results], pa.string()),
        **rights_arrays(rows, [r.extra for r in results]),  # licence, TDMRep, AI provenance
    }
    return set_columns(batch, new)
