"""DocumentSink: one WebDataset sample per document, byte-identical across runs; and the
extraction stage feeding it from WARC-shaped rows."""

import hashlib
import io
import json
import tarfile

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from engine import columns as C
from engine.html.stage import ExtractDocuments
from engine.sinks.documents import DocumentSink, unpack_images
from engine.sources.warc import WARC_SCHEMA
from schemas.document import DOCUMENT_SCHEMA, OBELICS_SCHEMA, check_interleaving
from schemas.validate import validate_table

PARA = "Enough words in this paragraph to make the extractor keep it as main text content. "


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


def warc_rows() -> pa.Table:
    page = (f"<html><head><meta name='robots' content='noimageai'></head><body><article>"
            f"<p>{PARA * 3}</p><img src='/a.jpg' alt='A'><p>{PARA * 3}</p></article></body></html>")
    rows = [
        {"key": "a" * 24, "url": "https://example.org/x", "html": page.encode(),
         "content_type": "text/html", "x_robots_tag": None, "warc_record_id": "<urn:uuid:1>",
         "warc_date": "2024-01-01T00:00:00Z", "warc_file": "f.warc.gz", "warc_offset": 0,
         "http_status": 200},
        {"key": "b" * 24, "url": "https://example.org/y", "html": b"<html></html>",
         "content_type": "text/html", "x_robots_tag": None, "warc_record_id": "<urn:uuid:2>",
         "warc_date": None, "warc_file": "f.warc.gz", "warc_offset": 10, "http_status": 200},
    ]
    return pa.Table.from_pylist(rows, schema=WARC_SCHEMA)


def test_extraction_stage_builds_documents_and_rejects_empty_pages():
    out = ExtractDocuments()(warc_rows())
    rows = out.to_pylist()
    assert rows[0][C.REJECT_REASON] is None and rows[1][C.REJECT_REASON] == "no_main_content"
    doc = rows[0]
    assert check_interleaving(doc["texts"], doc["image_urls"]) is None
    assert "https://example.org/a.jpg" in doc["image_urls"]
    meta = json.loads(doc["metadata"])
    assert meta["warc_record_id"] == "<urn:uuid:1>" and meta["fetch_time"].startswith("2024")
    assert meta["consent"]["noimageai"] is True
    position = doc["image_urls"].index("https://example.org/a.jpg")
    assert meta["image_info"][position] == {"alt": "A"}
    assert out.column("html").null_count == out.num_rows
    validate_table(out.filter(pa.array([True, False])), DOCUMENT_SCHEMA)


def test_sink_writes_obelics_json_and_one_images_member_deterministically(tmp_path):
    docs = ExtractDocuments()(warc_rows()).slice(0, 1)
    docs = docs.drop_columns([c for c in docs.column_names if C.is_internal(c)])
    urls = docs.column("image_urls").to_pylist()[0]
    position = urls.index("https://example.org/a.jpg")
    images = [None] * len(docs.column("texts").to_pylist()[0])
    images[position] = jpeg()
    docs = docs.set_column(docs.schema.get_field_index("images"), "images",
                           pa.array([images], pa.list_(pa.binary())))
    digests = []
    for run in ("one", "two"):
        folder = tmp_path / run
        folder.mkdir()
        (part,) = DocumentSink().write(docs, str(folder))
        digests.append(hashlib.sha256((folder / part.tar).read_bytes()).hexdigest())
        with tarfile.open(folder / part.tar) as tar:
            names = tar.getnames()
            sample = json.loads(tar.extractfile(f"{'a' * 24}.json").read())
            packed = tar.extractfile(f"{'a' * 24}.images.mp").read()
        # one fixed member set per document, whatever its number of images
        assert names == [f"{'a' * 24}.json", f"{'a' * 24}.images.mp"]
        assert unpack_images(packed) == {position: images[position]}
        # OBELICS: images are URLs, metadata a JSON list per position, general_metadata a JSON doc
        assert sample["images"] == urls and sample["texts"][position] is None
        per_position = json.loads(sample["metadata"])
        assert len(per_position) == len(urls) and per_position[position]["alt_text"] == "A"
        assert per_position[position]["src"] == "https://example.org/a.jpg"
        assert per_position[position]["document_url"] == "https://example.org/x"
        assert all(m is None for i, m in enumerate(per_position) if i != position)
        general = json.loads(sample["general_metadata"])
        assert general["url"] == "https://example.org/x" and general["warc_filename"] == "f.warc.gz"
        assert general["warc_record_offset"] == 0 and general["consent"]["noimageai"] is True
        sidecar = pq.read_table(folder / part.parquet)
        assert sidecar.schema.names[:4] == OBELICS_SCHEMA.names and sidecar.num_rows == 1
        validate_table(sidecar, OBELICS_SCHEMA)
        assert "image_urls" not in sidecar.column_names
    assert digests[0] == digests[1]
