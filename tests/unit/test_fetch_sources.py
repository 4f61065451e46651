"""UrlListSource over every list format, and the duplicate-URL decision."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine import columns as C
from engine.keys import url_key
from engine.sources.urls import UrlListSource
from filters.dedup.urls import DuplicateUrls, RejectDuplicateUrls

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


def _cut(path, points):
    from engine.sources.base import END, Unit

    bounds = [0, *points, END]
    pairs = zip(bounds[:-1], bounds[1:], strict=True)
    return [Unit(i, str(path), a, b, i << 32, True, 1) for i, (a, b) in enumerate(pairs)]


def _rows(source, units):
    return [(r["key"], r["url"], r["caption"], r["source"], r[C.REJECT_REASON])
            for u in units for r in source.read(u).to_pylist()]


LISTS = {
    "l.jsonl": '{"url": "http://a.test/1.jpg", "caption": "one"}\n\n{"url": "http://a.test/2.jpg"}\n'
               '{broken\n{"url": "http://a.test/\\u00e9.jpg", "caption": "x\\ny"}',
    "l.csv": 'url,caption,n\n"http://a.test/1.jpg","hi, there",1\r\nhttp://a.test/2.jpg,,2\n\n'
             'http://a.test/3.jpg,"said ""no""",3\nhttp://a.test/4.jpg,"two\nlines",4\nonly-one-field\n',
    "l.tsv": "link\ttitle\nhttp://b.test/3.jpg\tx\nhttp://b.test/4.jpg\ty\n",
    "l.txt": "# my list\nhttp://d.test/5.jpg\n\n   \nhttp://d.test/6.jpg\r\nhttp://d.test/7.jpg",
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_text_lists_cut_at_every_byte_read_each_line_once(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(LISTS[name].encode())
    source = UrlListSource([str(path)])
    whole = _rows(source, _cut(path, []))
    assert whole and len({r[3] for r in whole}) == len(whole)
    size = path.stat().st_size
    for point in range(1, size):
        assert _rows(source, _cut(path, [point])) == whole, point
    for a in range(1, size, 5):
        assert _rows(source, _cut(path, [a, a + 2, a + 9])) == whole, a
    planned = source.plan(1)  # a unit per line or so, from a guess of bytes per line
    assert len(planned) > 1 and all(u.by_bytes for u in planned)
    assert _rows(source, planned) == whole


def test_csv_line_that_cannot_stand_alone_is_rejected_not_merged(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(LISTS["l.csv"].encode())
    rows = _rows(UrlListSource([str(path)]), _cut(path, []))
    assert [(r[1], r[2], r[4]) for r in rows] == [
        ("http://a.test/1.jpg", "hi, there", None), ("http://a.test/2.jpg", None, None),
        ("http://a.test/3.jpg", 'said "no"', None), (None, None, "malformed_csv_line"),
        (None, None, "malformed_csv_line"), (None, None, "malformed_csv_row")]
    assert [r[3] for r in rows][:2] == ["l.csv@14", "l.csv@51"]  # the line's byte offset


def test_text_list_planning_counts_no_lines(tmp_path):
    path = tmp_path / "big.jsonl"
    line = json.dumps({"url": "http://a.test/x.jpg", "caption": "c"}) + "\n"
    path.write_text(line * 20_000)
    units = UrlListSource([str(path)]).plan(1000)
    assert 15 <= len(units) <= 25 and units[-1].stop > path.stat().st_size
    assert sum(u.size for u in units) == pytest.approx(20_000, rel=0.05)  # estimated from bytes
