"""Sources: units, keys, and malformed members turned into rejects with reasons."""

import io
import json
import tarfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine import columns as C
from engine.sources import FolderSource, ParquetSource, WebDatasetSource, open_source
from engine.sources.base import cut_units


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def reasons(table):
    return dict(zip(table.column("source").to_pylist(), table.column(C.REJECT_REASON).to_pylist(), strict=True))


def test_cut_units_spans_files_without_crossing_them():
    units = cut_units([("a", 5), ("b", 3)], 2)
    assert [(u.path, u.start, u.stop, u.first_seq) for u in units] == [
        ("a", 0, 2, 0), ("a", 2, 4, 2), ("a", 4, 5, 4), ("b", 0, 2, 5), ("b", 2, 3, 7)]
    assert [u.index for u in units] == list(range(5))


def test_webdataset_source_marks_each_malformed_sample(tmp_path):
    path = tmp_path / "shard.tar"
    with tarfile.open(path, "w") as tar:
        add(tar, "good.jpg", b"\xff\xd8jpegbytes")
        add(tar, "good.txt", b"a caption")
        add(tar, "good.json", json.dumps({"url": "http://x/y.jpg"}).encode())
        add(tar, "nocap.png", b"pngbytes")
        add(tar, "orphan.txt", b"caption without image")
        add(tar, "badutf.jpg", b"img")
        add(tar, "badutf.txt", b"\xff\xfe bad")
        add(tar, "badjson.jpg", b"img")
        add(tar, "badjson.json", b"{not json")
        add(tar, "empty.jpg", b"")
    source = WebDatasetSource([str(path)])
    [unit] = source.plan(100)
    assert (unit.start, unit.by_bytes) == (0, True)  # the whole tar, planned from its size
    table = source.read(unit)
    assert table.num_rows == 6
    got = reasons(table)
    assert got == {"shard.tar#good": None, "shard.tar#nocap": None, "shard.tar#orphan": "missing_image",
                   "shard.tar#badutf": "invalid_utf8", "shard.tar#badjson": "invalid_json",
                   "shard.tar#empty": "empty_image"}
    good = table.to_pylist()[0]
    assert good["url"] == "http://x/y.jpg" and good["caption"] == "a caption"
    assert len(set(table.column("key").to_pylist())) == 6


def test_truncated_tar_keeps_what_it_can_and_accounts_for_the_rest(tmp_path):
    path = tmp_path / "cut.tar"
    with tarfile.open(path, "w") as tar:
        for i in range(3):
            add(tar, f"s{i}.jpg", b"x" * 3000)
            add(tar, f"s{i}.txt", b"words here")
    data = path.read_bytes()
    path.write_bytes(data[: 512 * 12 + 100])  # cut inside the fifth member
    source = WebDatasetSource([str(path)])
    units = source.plan(2)
    table = pa.concat_tables([source.read(u) for u in units])
    got = list(reasons(table).values())
    assert got[-1] == "corrupt_tar" and table.num_rows == 3  # s0, s1 (its image cut), the rest


def test_parquet_source_reads_row_ranges_and_rejects_missing_images(tmp_path):
    rows = 25
    table = pa.table({"image": [(b"img%d" % i if i != 12 else b"") if i % 7 else None for i in range(rows)],
                      "caption": [f"caption {i}" for i in range(rows)],
                      "extra": list(range(rows))})
    pq.write_table(table, tmp_path / "a.parquet", row_group_size=4)
    source = ParquetSource([str(tmp_path)])
    units = source.plan(10)
    assert [u.size for u in units] == [10, 10, 5]
    middle = source.read(units[1])
    assert middle.column("extra").to_pylist() == list(range(10, 20))
    assert middle.column(C.REJECT_REASON).to_pylist()[4] == "missing_image"  # row 14: null
    assert middle.column(C.REJECT_REASON).to_pylist()[2] == "missing_image"  # row 12: no bytes
    keys = [k for u in units for k in source.read(u).column("key").to_pylist()]
    assert len(set(keys)) == rows


def test_parquet_caption_bytes_that_are_not_utf8(tmp_path):
    pq.write_table(pa.table({"image": [b"i", b"j"], "caption": pa.array([b"ok", b"\xc3\x28"], pa.binary())}),
                   tmp_path / "b.parquet")
    source = ParquetSource([str(tmp_path / "b.parquet")])
    table = source.read(source.plan(10)[0])
    assert table.column(C.REJECT_REASON).to_pylist() == [None, "invalid_utf8"]


def test_folder_source_with_sidecars_and_orphans(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.jpg").write_bytes(b"jpeg")
    (tmp_path / "sub" / "a.txt").write_text("a caption")
    (tmp_path / "b.png").write_bytes(b"png")
    (tmp_path / "c.txt").write_text("orphan caption")
    (tmp_path / "notes.md").write_text("ignored")
    source = FolderSource([str(tmp_path)])
    table = source.read(source.plan(10)[0])
    rows = {r["source"]: r for r in table.to_pylist()}
    assert rows["sub/a.jpg"]["caption"] == "a caption"
    assert rows["b.png"]["caption"] is None and rows["b.png"][C.REJECT_REASON] is None
    assert rows["c.txt"][C.REJECT_REASON] == "missing_image"


def test_fsspec_urls_are_read(tmp_path):
    pq.write_table(pa.table({"image": [b"i"], "caption": ["c"]}), tmp_path / "x.parquet")
    source = open_source([f"file://{tmp_path}/x.parquet"])
    assert isinstance(source, ParquetSource)
    assert source.read(source.plan(5)[0]).num_rows == 1


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ParquetSource([str(tmp_path / "nope.parquet")])
