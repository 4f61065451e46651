"""Hash and URL blocklists: every kind of entry matches, and a reject never carries the bytes."""

import hashlib
import io
import logging

import pyarrow as pa
import pytest
from PIL import Image

from engine import columns as C
from filters.dedup.phash import phash_bytes
from filters.safety.blocklist import Blocklist, read_list
from tests.conftest import corpus


def _img(name: str) -> bytes:
    return (corpus("pillow-images") / name).read_bytes()


def _resized(data: bytes, size=(100, 100)) -> bytes:
    buf = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").resize(size).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def test_each_list_kind_matches_and_others_pass(tmp_path, caplog):
    hopper, flower, flower2 = _img("hopper.jpg"), _img("flower.jpg"), _img("flower2.jpg")
    sha_file = tmp_path / "sha256.txt"
    sha_file.write_text(f"# known bad\n{hashlib.sha256(hopper).hexdigest().upper()}\n\n")
    stage = Blocklist(
        sha256=sha_file,
        md5=[hashlib.md5(flower2).hexdigest()],
        phash=[f"{phash_bytes(flower):016x}"],
        urls=["HTTP://Bad.Example.com:80/x.jpg"],
        domains=["evil.test"],
    )
    batch = pa.table(
        {
            "key": [f"{i:024x}" for i in range(7)],
            "url": [
                "https://ok.test/1.jpg",
                "https://ok.test/2.jpg",
                "https://ok.test/3.jpg",
                "http://bad.example.com/x.jpg",
                "https://cdn.evil.test/a.png",
                "https://ok.test/6.jpg",
                "https://notevil.test/7.jpg",
            ],
            "image": [hopper, flower2, _resized(flower), None, None, _img("hopper.png"), None],
        }
    )
    with caplog.at_level(logging.INFO):
        out = stage(batch)
    assert out.column(C.REJECT_REASON).to_pylist() == [
        "blocklist_sha256",
        "blocklist_md5",
        "blocklist_phash",
        "blocklist_url",
        "blocklist_domain",
        None,  # the same picture as a PNG is not the listed bytes, and no pHash of it is listed
        None,  # a domain that merely ends with the listed name's letters
    ]
    assert out.column(C.REJECT_SCORE)[2].as_py() <= 4  # the resized copy's pHash distance
    for detail in out.column(C.REJECT_DETAIL).to_pylist():
        assert detail is None or (detail.isascii() and len(detail) < 40)
    assert caplog.records == []  # the filter logs nothing (Pillow's chunk-level DEBUG aside)
    assert read_list(sha_file) == [hashlib.sha256(hopper).hexdigest().upper()]
    assert "sha256=1" in stage.config()["list_sizes"]


def test_documents_are_rejected_when_any_image_is_listed():
    hopper = _img("hopper.jpg")
    stage = Blocklist(sha256=[hashlib.sha256(hopper).hexdigest()], image_column="images")
    docs = pa.table(
        {"images": pa.array([[None, _img("flower.jpg"), hopper], [_img("flower.jpg")]], pa.list_(pa.binary()))}
    )
    out = stage(docs)
    assert out.column(C.REJECT_REASON).to_pylist() == ["blocklist_sha256", None]
    assert out.column(C.REJECT_DETAIL)[0].as_py() == "sha256 list (image 2)"


@pytest.mark.parametrize("bad", ["zz", "1" * 17, "g" * 16])
def test_malformed_phash_entries_fail_at_construction(bad):
    with pytest.raises(ValueError, match="16 hex digits"):
        Blocklist(phash=[bad])
