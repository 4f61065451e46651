"""The WebDataset sink writes the same bytes for the same records."""

import hashlib
import tarfile

import pyarrow as pa
import pyarrow.parquet as pq

from engine.sinks import WebDatasetSink


def records(n):
    return pa.table({"key": [f"{i:024x}" for i in range(n)], "caption": [f"caption {i}" for i in range(n)],
                     "image": [b"\xff\xd8" + bytes([i]) * 10 for i in range(n)],
                     "image_format": ["jpeg"] * (n - 1) + ["png"], "score": [i / 10 for i in range(n)]})


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_parts_are_cut_by_samples_per_shard_and_are_deterministic(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    sink = WebDatasetSink(samples_per_shard=4)
    parts_a = sink.write(records(10), str(tmp_path / "a"))
    sink.write(records(10), str(tmp_path / "b"))
    assert [p.samples for p in parts_a] == [4, 4, 2]
    for p in parts_a:
        assert digest(tmp_path / "a" / p.tar) == digest(tmp_path / "b" / p.tar)
        assert digest(tmp_path / "a" / p.parquet) == digest(tmp_path / "b" / p.parquet)
    with tarfile.open(tmp_path / "a" / parts_a[2].tar) as tar:
        names = tar.getnames()
        assert all(m.mtime == 0 and m.uid == 0 for m in tar.getmembers())
    key = f"{9:024x}"
    assert names[-3:] == [f"{key}.png", f"{key}.txt", f"{key}.json"]
    sidecar = pq.read_table(tmp_path / "a" / parts_a[0].parquet)
    assert "image" not in sidecar.column_names and sidecar.num_rows == 4


def test_member_extension_follows_the_bytes_when_the_format_is_unknown():
    from engine.sinks.webdataset import image_extension

    assert image_extension(b"RIFF\x00\x00\x00\x00WEBPVP8 ", None) == "webp"
    assert image_extension(b"\x89PNG\r\n\x1a\n....", None) == "png"
    assert image_extension(b"\xff\xd8\xff\xe0", "png") == "png"  # a declared format wins
