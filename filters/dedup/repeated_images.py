"""Boilerplate images of interleaved documents: image URLs that repeat across many documents.

OBELICS removes images whose URL appears in more than N documents (logos, icons, banners).
``RepeatedImageUrls`` is the global stage that counts, per URL, the documents that hold it: its
signature rows are (document, URL) pairs bucketed by URL, so each bucket counts its own URLs in
parallel; ``combine`` returns, for each affected document, the list of its repeated URLs in the
column ``repeated_image_urls`` (no document is rejected). ``DropRepeatedImages`` then removes
those positions from the document's parallel lists.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.keys import normalize_url
from engine.stage import GlobalStage, Stage, set_columns
from filters.dedup.minhash import sha1_hash32_many

COLUMN = "repeated_image_urls"
PARALLEL = ("texts", "images", "image_urls", "image_widths", "image_heights")


class RepeatedImageUrls(GlobalStage):
    """Finds image URLs present in more than ``max_docs`` documents (normalised URLs)."""

    name = "repeated_image_urls"

    def __init__(self, *, column: str = "image_urls", max_docs: int = 10, buckets: int = 16, name: str | None = None):
        super().__init__(name=name)
        self.column, self.max_docs, self.buckets = column, max_docs, buckets

    def signature(self, batch: pa.Table) -> pa.Table:
        keys, urls = [], []
        for key, values in zip(batch["key"].to_pylist(), batch[self.column].to_pylist(), strict=True):
            for url in sorted({normalize_url(u) for u in values or [] if u}):
                keys.append(key)
                urls.append(url)
        h = sha1_hash32_many([u.encode() for u in urls]).astype(np.int64)
        return pa.table(
            {
                "key": pa.array(keys, pa.string()),
                "url": pa.array(urls, pa.string()),
                "bucket": pa.array(h % self.bucket_count, pa.int64()),
            }
        )

    def decide(self, signatures: pa.Table) -> pa.Table:
        """(key, url) for every document holding a URL seen in more than ``max_docs`` docs."""
        counts = signatures.group_by("url").aggregate([("key", "count_distinct")])
        repeated = counts.filter(pc.greater(counts["key_count_distinct"], self.max_docs))["url"]
        hits = signatures.filter(pc.is_in(signatures["url"], value_set=repeated))
        return hits.select(["key", "url"])

    def combine(self, decisions: list[pa.Table]) -> pa.Table:
        tables = [t for t in decisions if t.num_rows and "url" in t.column_names]
        if not tables:
            return pa.table(
                {
                    "key": pa.array([], pa.string()),
                    "reason": pa.array([], pa.string()),
                    COLUMN: pa.array([], pa.list_(pa.string())),
                }
            )
        grouped = pa.concat_tables(tables).group_by("key").aggregate([("url", "list")])
        lists = [sorted(v) for v in grouped["url_list"].to_pylist()]
        return pa.table(
            {
                "key": grouped["key"],
                "reason": pa.nulls(grouped.num_rows, pa.string()),
                COLUMN: pa.array(lists, pa.list_(pa.string())),
            }
        )


class DropRepeatedImages(Stage):
    """Removes from each document the positions whose image URL is in ``repeated_image_urls``
    (every parallel list loses that position, so texts and images stay aligned)."""

    name = "drop_repeated_images"

    def __call__(self, batch: pa.Table) -> pa.Table:
        if COLUMN not in batch.column_names:
            return batch
        drops = batch[COLUMN].to_pylist()
        if not any(drops):
            return batch
        urls = batch["image_urls"].to_pylist()
        present = [c for c in PARALLEL if c in batch.column_names]
        new = {}
        for column in present:
            values = batch[column].to_pylist()
            out = []
            for row, drop, row_urls in zip(values, drops, urls, strict=True):
                if not drop or row is None:
                    out.append(row)
                    continue
                banned = set(drop)
                out.append(
                    [v for v, u in zip(row, row_urls or [], strict=False) if not (u and normalize_url(u) in banned)]
                )
            new[column] = pa.array(out, batch.schema.field(column).type)
        removed = [
            sum(1 for u in (r or []) if u and normalize_url(u) in set(d or []))
            for r, d in zip(urls, drops, strict=True)
        ]
        new["repeated_images_removed"] = pa.array(removed, pa.int32())
        return set_columns(batch, new)
