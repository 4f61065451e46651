"""Documents in the OBELICS schema (schemas/document.py OBELICS_SCHEMA), built by the documents
sink from a run's document records, with our own fields beside.

OBELICS (HuggingFaceM4/OBELICS) names and types: ``images`` is a list of image URLs (null at text
positions), ``texts`` a list of texts (null at image positions), ``metadata`` a JSON string
holding a list with one object per image position (``document_url``, ``unformatted_src``,
``src``, ``formatted_filename``, ``alt_text``, ``original_width``, ``original_height``; null at
text positions) and ``general_metadata`` a JSON string about the page (``url``,
``warc_filename``, ``warc_record_offset``, ``warc_record_length``). Our per-image description
(title, figcaption, declared size) stays in each position's object beside OBELICS' keys, and our
document metadata (WARC record id, fetch time, consent evidence, removed images, ...) in
``general_metadata`` beside OBELICS' keys.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa

from schemas.document import OBELICS_SCHEMA

# Run-side columns replaced by their OBELICS form: image bytes go to their own tar member,
# image_urls becomes ``images``, the document JSON becomes ``general_metadata``.
REPLACED = ("images", "image_urls", "metadata", "html")


def _filename(url: str | None) -> str | None:
    if not url:
        return None
    name = posixpath.basename(unquote(urlsplit(url).path))
    return posixpath.splitext(name)[0] or None


def position_metadata(row: dict[str, Any], doc_meta: dict[str, Any]) -> list[dict | None]:
    """OBELICS ``metadata`` of one document: an object per image position, None at texts."""
    urls = row.get("image_urls") or [None] * len(row.get("texts") or [])  # no texts: a bare record
    info = doc_meta.get("image_info") or [None] * len(urls)
    widths = row.get("image_widths") or [None] * len(urls)
    heights = row.get("image_heights") or [None] * len(urls)
    out: list[dict | None] = []
    for pos, url in enumerate(urls):
        if url is None:
            out.append(None)
            continue
        described = dict(info[pos] or {}) if pos < len(info) else {}
        alt = described.pop("alt", None)
        entry = {"document_url": row.get("url"), "unformatted_src": described.pop("src", url),
                 "src": url, "formatted_filename": _filename(url), "alt_text": alt,
                 "original_width": widths[pos], "original_height": heights[pos]}
        entry.update({f"declared_{k}" if k in ("width", "height") else k: v
                      for k, v in described.items()})
        out.append(entry)
    return out


def general_metadata(row: dict[str, Any], doc_meta: dict[str, Any]) -> dict[str, Any]:
    """OBELICS ``general_metadata`` of one document, our document metadata beside its keys."""
    rest = {k: v for k, v in doc_meta.items() if k != "image_info"}
    return {"url": row.get("url"), "warc_filename": rest.pop("warc_file", None),
            "warc_record_offset": rest.pop("warc_offset", None),
            "warc_record_length": rest.pop("warc_length", None), **rest}


def to_obelics(records: pa.Table) -> pa.Table:
    """``records`` (schemas/document.py DOCUMENT_SCHEMA, plus stage columns) as written: the
    OBELICS columns first, then ``key``, ``url`` and every other column, no image bytes."""
    rows = records.select([c for c in ("key", "url", "texts", "image_urls", "image_widths",
                                       "image_heights", "metadata") if c in records.column_names]
                          ).to_pylist()
    images, metadata, general = [], [], []
    for row in rows:
        try:
            doc_meta = json.loads(row.get("metadata") or "{}")
        except ValueError:  # not JSON: kept whole rather than lost
            doc_meta = {"metadata": row.get("metadata")}
        doc_meta = doc_meta if isinstance(doc_meta, dict) else {"metadata": doc_meta}
        images.append(row.get("image_urls") or [None] * len(row["texts"] or []))
        metadata.append(json.dumps(position_metadata(row, doc_meta), ensure_ascii=False))
        general.append(json.dumps(general_metadata(row, doc_meta), ensure_ascii=False,
                                  sort_keys=True))
    columns = {"images": pa.array(images, pa.list_(pa.string())),
               "metadata": pa.array(metadata, pa.string()),
               "general_metadata": pa.array(general, pa.string()),
               "texts": records.column("texts")}
    fields = [pa.field(f.name, f.type) for f in OBELICS_SCHEMA]
    arrays = [columns[f.name] for f in OBELICS_SCHEMA]
    for name in records.column_names:
        if name not in columns and name not in REPLACED:
            fields.append(records.schema.field(name))
            arrays.append(records.column(name))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=records.schema.metadata))
