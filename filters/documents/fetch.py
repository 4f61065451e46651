"""FetchDocumentImages: download the images of kept documents and join them back in place.

Every image position's URL goes through the safe fetcher (one :class:`engine.fetch.Fetcher` per
worker, so the stage runs as an actor pool; per-host politeness holds for the whole job); bodies
are resized and stored in ``images`` at their position, with the real
``image_widths``/``image_heights``. An image that fails (blocked address, robots.txt,
X-Robots-Tag, HTTP error, undecodable) is removed from its position and its reason recorded in
``metadata.removed_images``. A document left with no image although it had
some follows ``all_failed``: ``keep_text_only`` (the default) or ``reject``
(reason ``all_images_failed``).
"""

from __future__ import annotations

import threading
from typing import Any

import pyarrow as pa

from engine.fetch import FetchPolicy, FetchResult
from engine.stage import Resources, set_columns
from filters.documents.positions import LIST_COLUMNS, image_positions, remove_positions
from filters.images.fetch_base import FetchingFilter
from filters.images.resize import ResizeError
from filters.provenance.doc_images import annotate, read_image_rights

POLICIES = ("keep_text_only", "reject")


class FetchDocumentImages(FetchingFilter):
    """Fetch, resize and place each document's images (see the module docstring)."""

    name = "doc_fetch"
    resources = Resources(num_cpus=1, batch_size=32)

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        all_failed: str = "keep_text_only",
        image_size: int = 512,
        resize_mode: str = "keep_ratio",
        resize_only_if_bigger: bool = True,
        encode_format: str = "jpg",
        encode_quality: int = 90,
        concurrency: int = 64,
        name: str | None = None,
        resources: Resources | None = None,
    ):
        super().__init__(policy, image_size=image_size, resize_mode=resize_mode,
                         resize_only_if_bigger=resize_only_if_bigger, encode_format=encode_format,
                         encode_quality=encode_quality, concurrency=concurrency, name=name,
                         resources=resources)
        if all_failed not in POLICIES:
            raise ValueError(f"all_failed={all_failed!r} is not one of {', '.join(POLICIES)}")
        self.all_failed = all_failed

    def __call__(self, batch: pa.Table) -> pa.Table:
        names = [*LIST_COLUMNS, "metadata"]
        rows = batch.select(names).to_pylist()
        wanted = [(d, p) for d, row in enumerate(rows) if row["texts"] is not None
                  for p in image_positions(row)]
        resized: dict[int, Any] = {}
        rights: dict[int, Any] = {}  # what each original's XMP/C2PA said
        failures: dict[int, str] = {}
        lock = threading.Lock()

        def on_result(i: int, result: FetchResult) -> None:
            if result.content is None:
                return
            data, result.content = result.content, None  # originals are not kept
            found = read_image_rights(data)  # before any re-encoding
            try:
                out = self._resizer(data)
            except ResizeError as exc:
                with lock:
                    failures[i] = str(exc)
                return
            with lock:
                resized[i], rights[i] = out, found

        results = self.fetcher().fetch_all([rows[d]["image_urls"][p] for d, p in wanted],
                                          self.concurrency, on_result)
        removals: dict[int, dict[int, tuple[str, str | None]]] = {}
        placed: dict[int, dict[int, tuple]] = {}
        for i, ((d, p), result) in enumerate(zip(wanted, results, strict=True)):
            row = rows[d]
            if row["images"] is None:
                row["images"] = [None] * len(row["texts"])
            if i in resized:
                row["images"][p] = resized[i].data
                row["image_widths"][p] = resized[i].width
                row["image_heights"][p] = resized[i].height
                placed.setdefault(d, {})[p] = (rights[i], result.extra)
            elif result.reason is not None:
                removals.setdefault(d, {})[p] = (result.reason, result.detail)
            else:
                removals.setdefault(d, {})[p] = (ResizeError.reason, failures.get(i))
        for d, positions in placed.items():
            annotate(rows[d], positions)  # licence, AI provenance, data mining per image
        reasons: list[str | None] = [None] * len(rows)
        for d, positions in removals.items():
            had = len(image_positions(rows[d]))
            rows[d] = remove_positions(rows[d], positions, self.name)
            if had and not image_positions(rows[d]) and self.all_failed == "reject":
                reasons[d] = "all_images_failed"
        batch = set_columns(batch, {n: pa.array([r[n] for r in rows], batch.schema.field(n).type)
                                    for n in names})
        return self.verdict(batch, reasons)
