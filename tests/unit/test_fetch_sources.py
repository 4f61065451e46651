"""UrlListSource over every list format, and the duplicate-URL decision."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine import columns as C
from engine.keys import url_key
from engine.sources.urls import UrlListSource
from filters.url_dedup import DuplicateUrls, RejectDuplicateUrls

URLS = ["http://a.test/1.jpg", "http://a.test/2.jpg", "http://b.test/3.jpg"]


def read_all(source, unit_size=2):
    units = source.plan(unit_size)
    return units, pa.concat_tables([source.read(u) for u in units], promote_options="default")


def test_parquet_laion_columns_are_found_and_carried(tmp_path):
    path = tmp_path / "laion.parquet"
    pq.write_table(pa.table({"URL": URLS, "TEXT": ["a", "b", "c"], "WIDTH": [1, 2, 3],
                             "similarity": [0.3, 0.2, 0.1], "sha256": ["x", "y", "z"]}),
                   path, row_group_size=1)
    units, table = read_all(UrlListSource([str(path)]))
    assert [u.size for u in units] == [2, 1]
    assert table.column("url").to_pylist() == URLS
    assert table.column("caption").to_pylist() == ["a", "b", "c"]
    assert table.column("key").to_pylist() == [url_key(u) for u in URLS]
    assert table.column("WIDTH").to_pylist() == [1, 2, 3]
    assert table.column("src_sha256").to_pylist() == ["x", "y", "z"]  # renamed: ours is computed
    assert table.column(C.REJECT_STAGE).null_count == 3


def test_csv_tsv_jsonl_and_text(tmp_path):
    (tmp_path / "a.csv").write_text('url,caption,extra\n"http://a.test/1.jpg","hi, there",1\n'
                                    'http://a.test/2.jpg,,2\n')
    (tmp_path / "b.tsv").write_text("link\ttitle\nhttp://b.test/3.jpg\tx\n")
    (tmp_path / "c.jsonl").write_text(json.dumps({"url": "http://c.test/4.jpg", "caption": "d",
                                                  "uid": "u4"}) + "\n\n{broken\n")
    (tmp_path / "d.txt").write_text("# my list\nhttp://d.test/5.jpg\n\nhttp://d.test/6.jpg\r\n")
    units, table = read_all(UrlListSource([str(tmp_path)]), unit_size=10)
    assert table.num_rows == 7
    rows = table.to_pylist()
    assert [r["url"] for r in rows] == ["http://a.test/1.jpg", "http://a.test/2.jpg",
                                        "http://b.test/3.jpg", "http://c.test/4.jpg", None,
                                        "http://d.test/5.jpg", "http://d.test/6.jpg"]
    assert rows[0]["caption"] == "hi, there" and rows[2]["caption"] == "x"
    assert rows[3]["uid"] == "u4"
    assert rows[4][C.REJECT_REASON] == "invalid_json" and rows[4][C.REJECT_STAGE] == "read"


def test_invalid_rows_are_read_rejects(tmp_path):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({
        "url": pa.array([b"http://a.test/ok.jpg", b"\xff\xfe", None, b"  ", b"http://x.test/"]),
        "caption": pa.array([b"fine", b"ok", b"ok", b"ok", b"\xc3\x28"]),
    }), path)
    _, table = read_all(UrlListSource([str(path)]), unit_size=10)
    assert table.column(C.REJECT_REASON).to_pylist() == [
        None, "invalid_utf8", "missing_url", "missing_url", "invalid_utf8"]
    assert len(set(table.column("key").to_pylist())) == 5  # rejected rows keep distinct keys


def test_explicit_columns_and_missing_column_error(tmp_path):
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"img": URLS, "alt": ["a", "b", "c"]}), path)
    _, table = read_all(UrlListSource([str(path)], url_col="img", caption_col="alt"))
    assert table.column("url").to_pylist() == URLS
    with pytest.raises(ValueError, match="no url column"):
        read_all(UrlListSource([str(path)], url_col="nope"))


def test_no_lists_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        UrlListSource([str(tmp_path)])


def test_duplicate_urls_keep_the_first_by_sequence():
    keys = [url_key(u) for u in ["http://a/1", "http://A/1", "http://a/2", "http://a/1#frag"]]
    assert keys[0] == keys[1] == keys[3]
    stage = DuplicateUrls(buckets=4)
    batch = pa.table({"key": keys, C.SEQ: pa.array([10, 3, 4, 7], pa.int64())})
    sig = stage.signature(batch)
    assert set(sig.column("bucket").to_pylist()) <= set(range(4))
    decided = stage.decide(sig)
    assert decided.to_pylist() == [
        {"key": keys[0], "reason": None, "url_first_seq": 3, "url_copies": 3}]
    joined = batch.append_column("url_first_seq", pa.array([3, 3, None, 3], pa.int64()))
    out = RejectDuplicateUrls()(joined)
    assert out.column(C.REJECT_REASON).to_pylist() == ["duplicate_url", None, None,
                                                       "duplicate_url"]
    assert out.column(C.DUP_OF).to_pylist() == [keys[0], None, None, keys[0]]
