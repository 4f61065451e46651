"""WARC byte ranges: the union of the records read over any cut of a file is a whole-file read,
each record exactly once, in file order, and planning opens no archive."""

import gzip
import io
import logging
import zlib

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from engine.sources.base import END, Unit
from engine.sources.warc import WarcSource
from tests.conftest import corpus


def write_archive(path, pages: int = 40) -> None:
    """A WARC of one gzip member per record: HTML responses, requests, images, a warcinfo."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record("x.warc.gz", {"software": "test"}))
        for i in range(pages):
            url = f"http://site{i % 5}.test/page/{i}"
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            kind = "image/png" if i % 7 == 3 else "text/html"
            body = (f"<html><p>page {i}</p>" + "x" * (i * 37 % 900) + "</html>").encode()
            http = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=http))


def rows_of(source, units):
    return [(r["key"], r["warc_offset"], r["_reject_reason"], r["html"])
            for u in units for r in source.read(u).to_pylist()]


def read_cut(path, points):
    """(rows, skipped records by kind) of ``path`` read in ranges cut at ``points``."""
    source = WarcSource([str(path)])
    return rows_of(source, cut_at(path, points)), source.skipped


def cut_at(path, points):
    """Units of ``path`` whose ranges start at 0 and at each of ``points``."""
    bounds = [0, *points, END]
    pairs = zip(bounds[:-1], bounds[1:], strict=True)
    return [Unit(i, str(path), a, b, i << 32, True, 1) for i, (a, b) in enumerate(pairs)]


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "many.warc.gz"
    write_archive(path)
    return path


def test_every_cut_reads_each_record_once(archive):
    source = WarcSource([str(archive)])
    whole = rows_of(source, cut_at(archive, []))
    assert len(whole) == 40 - 6 and all(r[2] is None for r in whole)  # 6 of 40 are images
    for span in (29, 100, 517, 4096):
        planned = WarcSource([str(archive)], record_bytes=span).plan(1)
        assert len(planned) == -(-archive.stat().st_size // span)
        assert rows_of(source, planned) == whole, span


def test_every_split_point_of_real_corpus_files():
    for name in ("example.warc.gz", "example-wget-bad-target-uri.warc.gz", "post-test.warc.gz",
                 "example-wrong-chunks.warc.gz", "example-bad-non-chunked.warc.gz"):
        path = corpus("warc") / name
        whole = read_cut(path, [])
        assert whole[0] or whole[1], name
        for point in range(1, path.stat().st_size, 7):
            assert read_cut(path, [point]) == whole, (name, point)


def test_corrupt_member_is_one_reject_and_reading_goes_on(archive, tmp_path):
    data = bytearray(archive.read_bytes())
    offsets = []
    pos = 0
    while pos < len(data):  # member boundaries, by decompressing member after member
        offsets.append(pos)
        unzip = zlib.decompressobj(31)
        unzip.decompress(bytes(data[pos:]))
        pos = len(data) - len(unzip.unused_data)
    victim = offsets[20]
    data[victim + 30: victim + 60] = b"\x00" * 30  # inside the deflate data of one member
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(bytes(data))
    source = WarcSource([str(broken)])
    whole = rows_of(source, cut_at(broken, []))
    reasons = [r[2] for r in whole]
    assert reasons.count("malformed_archive") == 1
    clean = rows_of(WarcSource([str(archive)]), cut_at(archive, []))
    assert len(whole) >= len(clean) - 1 and whole[-1] == clean[-1]  # records after the damage
    for point in range(victim - 50, victim + 200, 7):
        assert rows_of(source, cut_at(broken, [point])) == whole, point


def test_garbage_between_members_is_a_reject(archive, tmp_path):
    data = archive.read_bytes()
    cut = len(data) // 2
    while not data[cut:].startswith(b"\x1f\x8b\x08"):
        cut += 1
    dirty = tmp_path / "dirty.warc.gz"
    dirty.write_bytes(data[:cut] + b"junk that is not gzip" * 5 + data[cut:])
    source = WarcSource([str(dirty)])
    whole = rows_of(source, cut_at(dirty, []))
    assert [r[2] for r in whole].count("malformed_archive") == 1
    assert len(whole) == len(rows_of(WarcSource([str(archive)]), cut_at(archive, []))) + 1
    for point in range(cut - 40, cut + 140, 5):
        assert rows_of(source, cut_at(dirty, [point])) == whole, point


def test_one_gzip_stream_is_read_whole_by_the_range_holding_its_start(archive, tmp_path, caplog):
    plain = gzip.decompress(archive.read_bytes())
    stream = tmp_path / "stream.warc.gz"
    stream.write_bytes(gzip.compress(plain))  # one member around every record
    source = WarcSource([str(stream)], record_bytes=500)
    units = source.plan(1)
    assert len(units) > 3
    with caplog.at_level(logging.WARNING, logger="loomery"):
        tables = [source.read(u) for u in units]
    assert tables[0].num_rows == 34 and all(t.num_rows == 0 for t in tables[1:])
    assert [r[0] for r in rows_of(source, units)] == [r[0] for r in rows_of(source, cut_at(archive, []))]
    assert "cannot be cut" in caplog.text


def test_planning_opens_no_archive(tmp_path):
    listing = tmp_path / "warc.paths.gz"
    names = [f"crawl/segment/{i:05d}.warc.gz" for i in range(2000)]
    listing.write_bytes(gzip.compress("\n".join(names).encode()))
    source = WarcSource([str(listing)], path_prefix=str(tmp_path / "nowhere"),
                        listed_file_bytes=10 * 25_000 * 3)
    units = source.plan(10)  # the archives do not exist: planning must not touch them
    assert len(units) == 2000 * 3
    assert units[0].path.endswith("crawl/segment/00000.warc.gz") and units[2].stop == END
    assert {u.first_seq for u in units} == {u.index << 32 for u in units}
    table = source.read(units[0])  # reading one says it cannot
    assert table.column("_reject_reason").to_pylist() == ["unreadable_file"]
    assert source.read(units[1]).num_rows == 0  # and only the unit at the file's start says so
