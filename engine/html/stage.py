"""The extraction stage: WARC rows (``html`` bytes) -> interleaved document columns."""

from __future__ import annotations

import json

import pyarrow as pa

from engine.consent.page_hook import add_page_rights
from engine.html.extract import ExtractionError, extract_document
from engine.stage import Filter, Resources, Verdicts, set_columns
from schemas.document import DOCUMENT_SCHEMA

# the columns a document adds to its WARC row, typed as schemas/document.py says
DOCUMENT_COLUMNS = {f.name: f.type for f in DOCUMENT_SCHEMA if f.name not in ("key", "url")}
_PROVENANCE = ("warc_record_id", "warc_date", "warc_file", "warc_offset", "http_status",
               "content_type")


class ExtractDocuments(Filter):
    """Extract each page's main content as an OBELICS-style document (schemas/document.py).

    Adds ``texts``/``images``/``image_urls``/``image_widths``/``image_heights`` (parallel lists,
    one item per position; ``images`` holds no bytes until images are fetched, so before that the
    sequence is ``texts`` against ``image_urls``) and ``metadata`` (JSON: WARC provenance, fetch
    time, title, charset and ``decoding`` (WHATWG encoding, codec, what decided it,
    U+FFFD count), consent evidence, ``rights`` (licence and TDMRep, engine/consent), and per
    position the image's alt, title, figcaption and declared size). A page with nothing to keep
    is rejected (``empty_page``, ``no_main_content``, ``unparseable_html``). The ``html`` column
    is emptied afterwards.
    """

    name = "extract"
    resources = Resources(num_cpus=1.0, batch_size=64)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rights = ["rights_headers"] if "rights_headers" in batch.schema.names else []
        rows = batch.select(["url", "html", "content_type", "x_robots_tag", *_PROVENANCE, *rights]
                            ).to_pylist()
        out = {name: [] for name in DOCUMENT_COLUMNS}
        verdicts = Verdicts()
        for row in rows:
            try:
                doc = extract_document(row["html"] or b"", row["url"],
                                       content_type=row["content_type"],
                                       x_robots_tag=row["x_robots_tag"])
            except ExtractionError as err:
                for values in out.values():
                    values.append(None)
                verdicts.reject(err.reason, detail=err.detail or None)
                continue
            out["texts"].append(doc.texts)
            out["images"].append([None] * len(doc.texts))
            out["image_urls"].append(doc.image_urls)
            out["image_widths"].append([im.width if im else None for im in doc.images])
            out["image_heights"].append([im.height if im else None for im in doc.images])
            meta = {k: row[k] for k in _PROVENANCE if row[k] is not None}
            meta.update(
                fetch_time=row["warc_date"],
                title=doc.title,
                charset=doc.charset,
                decoding=doc.decoding,
                consent=doc.consent.to_dict(),
                image_info=[_info(im) for im in doc.images],
                removed_images=[],
            )
            add_page_rights(meta, row["html"], row["url"], row.get("rights_headers"),
                            doc.image_urls)  # licence and TDMRep of the page and its images
            out["metadata"].append(json.dumps(meta, ensure_ascii=False, sort_keys=True))
            verdicts.keep()
        columns = {n: pa.array(v, DOCUMENT_COLUMNS[n]) for n, v in out.items()}
        columns["html"] = pa.nulls(batch.num_rows, pa.binary())
        return self.verdict(set_columns(batch, columns), **verdicts.columns())


def _info(image) -> dict | None:
    if image is None:
        return None
    info = image.to_dict()
    info.pop("url", None)
    return info
