"""WarcSource over the shared WARC/ARC corpus (malformed files included): no crash, and every
record is either an input row (kept or rejected with a reason) or counted as skipped."""

import collections

import pytest
from warcio.archiveiterator import ArchiveIterator

from engine.sources.warc import WarcSource
from tests.conftest import corpus

MALFORMED = {
    "example-wrong-chunks.warc.gz": {"incomplete_payload", "malformed_archive"},
    "bad.arc": {"malformed_http_headers"},
}


def _files():
    return sorted(p for p in corpus("warc").iterdir() if not p.name.startswith("LICENSE"))


def _warcio_count(path) -> int | None:
    """Records warcio iterates in the file, or None if it stops on an error part-way."""
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in ArchiveIterator(f, arc2warc=True))
    except Exception:  # noqa: BLE001 - we only want to know whether it reads to the end
        return None


def _read_all(source: WarcSource, unit_size: int):
    units = source.plan(unit_size)
    return units, [source.read(u) for u in units]


@pytest.mark.parametrize("unit_size", [1, 3])
def test_every_record_of_every_file_is_accounted_for(unit_size):
    source = WarcSource([str(p) for p in _files()])
    units, tables = _read_all(source, unit_size)
    rows = collections.defaultdict(list)
    for unit, table in zip(units, tables, strict=True):
        assert unit.by_bytes and unit.size >= 1  # an estimate: records are counted as read
        assert all(len(k) == 24 for k in table.column("key").to_pylist())
        for row in table.to_pylist():
            rows[unit.path].append(row)
    for path in _files():
        inputs = rows.get(str(path), [])
        skipped = sum(source.skipped.get(str(path), {}).values())
        expected = _warcio_count(path)
        reasons = {r["_reject_reason"] for r in inputs if r["_reject_reason"]}
        if path.name in MALFORMED:
            assert MALFORMED[path.name] <= reasons, (path.name, reasons)
        elif expected is not None:
            assert len(inputs) + skipped == expected, path.name
        for row in inputs:  # a live row has its page; a rejected one has a reason and no page
            assert (row["html"] is not None) == (row["_reject_reason"] is None), row
            if row["_reject_reason"]:
                assert row["_reject_stage"] == "read"


def test_html_responses_are_read_with_provenance():
    source = WarcSource([str(corpus("warc") / "example.warc.gz")])
    (unit,) = source.plan(10)
    row = source.read(unit).to_pylist()[0]
    assert row["url"] == "http://example.com/"
    assert row["http_status"] == 200 and row["content_type"].startswith("text/html")
    assert row["warc_record_id"].startswith("<urn:uuid:") and row["warc_date"]
    assert b"Example Domain" in row["html"]
    assert source.skipped[str(corpus("warc") / "example.warc.gz")] == {
        "request": 2, "revisit": 1, "warcinfo": 2}
    assert any("skipped" in n for n in source.notes())


def test_plain_gzip_and_arc_give_the_same_page():
    pages = {}
    for name in ("example.warc", "example.warc.gz", "example.arc", "example.arc.gz",
                 "example-bad-non-chunked.warc.gz"):
        source = WarcSource([str(corpus("warc") / name)])
        (unit,) = source.plan(10)
        pages[name] = source.read(unit).column("html").to_pylist()[0]
    assert len(set(pages.values())) == 1, "all five hold the same example.com page"


def test_path_list_resolves_against_prefix(tmp_path):
    listing = tmp_path / "warc.paths"
    listing.write_text("example.warc.gz\nexample.arc\n")
    source = WarcSource([str(listing)], path_prefix=str(corpus("warc")), listed_file_bytes=0)
    assert [p.rsplit("/", 1)[-1] for p in source.files()] == ["example.arc", "example.warc.gz"]
    units = source.plan(5)
    assert len(units) == 2  # listed files are not stat'ed: one unit each here
    assert sum(source.read(u).num_rows for u in units) == 2


def test_garbage_file_is_one_reject_not_a_crash(tmp_path):
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"\x1f\x8b\x08\x00not really gzip at all" * 10)
    source = WarcSource([str(junk)])
    (unit,) = source.plan(10)
    table = source.read(unit)
    (reason,) = table.column("_reject_reason").to_pylist()
    assert reason in {"malformed_archive", "malformed_http_headers"}


def test_truncated_gzip_member_becomes_a_reject(tmp_path):
    data = (corpus("warc") / "example.warc.gz").read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[:1200])  # ends inside the gzip member of the response record
    source = WarcSource([str(cut)])
    tables = [source.read(u) for u in source.plan(10)]
    reasons = [r for t in tables for r in t.column("_reject_reason").to_pylist()]
    assert reasons and all(reasons), reasons


def test_fsspec_url_input():
    import fsspec

    data = (corpus("warc") / "example.warc.gz").read_bytes()
    with fsspec.open("memory://crawl/one.warc.gz", "wb") as f:
        f.write(data)
    source = WarcSource(["memory://crawl/"])
    (path,) = source.files()
    assert path.startswith("memory://") and path.endswith("/crawl/one.warc.gz")
    (unit,) = source.plan(10)
    assert source.read(unit).column("url").to_pylist() == ["http://example.com/"]


def test_single_gzip_stream_is_read_and_its_cut_tail_accounted(tmp_path):
    import gzip

    raw = (corpus("warc") / "example.warc").read_bytes()
    whole, cut = tmp_path / "whole.warc.gz", tmp_path / "cut.warc.gz"
    whole.write_bytes(gzip.compress(raw))  # one gzip stream, not one member per record
    cut.write_bytes(gzip.compress(raw)[:900])
    source = WarcSource([str(whole), str(cut)])
    rows = [r for u in source.plan(10) for r in source.read(u).to_pylist()]
    by_file = collections.defaultdict(list)
    for row in rows:
        by_file[row["warc_file"].rsplit("/", 1)[-1]].append(row["_reject_reason"])
    assert by_file["whole.warc.gz"] == [None]
    assert by_file["cut.warc.gz"][-1] == "malformed_archive" and all(by_file["cut.warc.gz"])
