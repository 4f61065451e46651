"""FetchDocumentImages against a loopback server: fetched images land at their positions, a
failed one leaves its position with its reason, and the all-failed policy applies."""

import json
import zlib

import pyarrow as pa

from engine import columns as C
from engine.fetch import FetchPolicy
from engine.html.stage import DOCUMENT_COLUMNS
from filters.documents.fetch import FetchDocumentImages
from schemas.document import check_interleaving
from tests.integration.fetch_servers import Server, make_jpeg, reply


def serve(h) -> None:
    if h.path.startswith("/ok/"):
        reply(h, 200, make_jpeg(640, 480, seed=zlib.crc32(h.path.encode()) % 5),
              {"Content-Type": "image/jpeg"})
    elif h.path.startswith("/junk/"):
        reply(h, 200, b"\xff\xd8\xff\xe0 not a jpeg at all", {"Content-Type": "image/jpeg"})
    else:
        reply(h, 404, b"")


def batch(*docs) -> pa.Table:
    cols = {name: [] for name in DOCUMENT_COLUMNS}
    for items in docs:
        cols["texts"].append([None if i.startswith("http") else i for i in items])
        cols["images"].append([None] * len(items))
        cols["image_urls"].append([i if i.startswith("http") else None for i in items])
        cols["image_widths"].append([None] * len(items))
        cols["image_heights"].append([None] * len(items))
        cols["metadata"].append(json.dumps({"image_info": [None] * len(items),
                                            "removed_images": []}))
    return pa.table({n: pa.array(v, DOCUMENT_COLUMNS[n]) for n, v in cols.items()})


def test_images_fetched_in_place_and_failures_recorded():
    with Server("127.0.0.1", serve) as site:
        table = batch(["intro", site.url("/ok/a.jpg"), "middle", site.url("/missing.jpg"),
                       site.url("/junk/b.jpg"), "end"],
                      ["only text"],
                      ["text", site.url("/missing2.jpg")])
        stage = FetchDocumentImages(FetchPolicy(allow_hosts=("127.0.0.1",), retries=0),
                                    image_size=128, all_failed="reject")
        try:
            out = stage(table).to_pylist()
        finally:
            stage.close()
    first = out[0]
    assert first["texts"] == ["intro", None, "middle", "end"]
    assert check_interleaving(first["texts"], first["images"]) is None
    assert first["images"][1].startswith(b"\xff\xd8")
    assert (first["image_widths"][1], first["image_heights"][1]) == (171, 128)  # keep_ratio
    removed = json.loads(first["metadata"])["removed_images"]
    assert [r["reason"] for r in removed] == ["http_404", "decode_error"]
    assert all(r["stage"] == "doc_fetch" and r["url"] for r in removed)
    assert first[C.REJECT_REASON] is None
    assert out[1][C.REJECT_REASON] is None  # had no images: the policy does not apply
    assert out[2][C.REJECT_REASON] == "all_images_failed"


def test_private_addresses_refused_without_allowlist():
    with Server("127.0.0.1", serve) as site:
        table = batch(["text", site.url("/ok/a.jpg")])
        stage = FetchDocumentImages(FetchPolicy(retries=0))  # default: loopback refused
        try:
            out = stage(table).to_pylist()[0]
        finally:
            stage.close()
        assert site.requests == []
    assert out["texts"] == ["text"] and out[C.REJECT_REASON] is None  # keep_text_only
    assert json.loads(out["metadata"])["removed_images"][0]["reason"] == "blocked_address"
