"""Invariant 1 (accounting) and 7 (bad input recorded) on planted faults and hostile images."""

import io
import tarfile

import pyarrow.parquet as pq
import pytest

from engine.output.verify import verify_output
from tests.conftest import corpus
from tests.integration.runs import all_keys, demo_corpus, run_demo

pytestmark = pytest.mark.integration


def test_every_planted_fault_ends_in_rejects_with_its_reason(tmp_path, ray_local):
    inputs = demo_corpus(tmp_path / "in")
    manifest = run_demo([inputs], tmp_path / "out")
    totals = manifest["totals"]
    assert totals["inputs"] == 120 == totals["kept"] + totals["rejected"]
    planted = {}
    for f in sorted(inputs.glob("*.parquet")):
        t = pq.read_table(f)
        planted.update({i + 50 * int(f.stem[-3:]): k for i, k in enumerate(t.column("planted").to_pylist())})
    rejects = [
        r for p in sorted((tmp_path / "out" / "rejects").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    by_seq = {r["seq"]: r for r in rejects}
    expected = {"corrupt": {"decode_error"}, "truncated": {"truncated_image", "decode_error"},
                "tiny": {"too_small"}, "empty_caption": {"empty_caption"}, "junk_filename": {"filename_caption"},
                "junk_url": {"url_caption"}, "junk_repeated": {"repeated_chars"}, "duplicate": {"duplicate"},
                "wide": {"aspect_ratio"}, "missing_image": {"missing_image"}, "one_word": {"too_few_words"}}
    for seq, kind in planted.items():
        if kind == "good":
            assert seq not in by_seq, f"good record {seq} was rejected: {by_seq.get(seq)}"
        else:
            assert by_seq[seq]["reason"] in expected[kind], (kind, by_seq[seq])
    dup = next(r for r in rejects if r["reason"] == "duplicate")
    kept, _ = all_keys(tmp_path / "out")
    assert dup["dup_of"] in kept
    stages = manifest["stages"]
    assert list(stages) == ["read", "probe_image", "image_size", "aspect_ratio", "caption_junk",
                            "caption_length", "exact_duplicates"]
    for name, s in stages.items():
        assert s["in"] == s["kept"] + s["rejected"] == s["kept"] + sum(s["reasons"].values()), name
    assert verify_output(tmp_path / "out") == []


def test_hostile_image_corpus_is_fully_accounted_for(tmp_path, ray_local):
    files = sorted(p for p in corpus("pillow-images").iterdir() if p.is_file())
    shard = tmp_path / "in" / "pillow.tar"
    shard.parent.mkdir()
    with tarfile.open(shard, "w") as tar:
        for i, path in enumerate(files):
            for name, data in ((f"s{i:05d}.{path.suffix.lstrip('.').lower() or 'bin'}", path.read_bytes()),
                               (f"s{i:05d}.txt", f"a test picture called {path.stem}".encode())):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    manifest = run_demo([shard], tmp_path / "out", unit_size=200, min_side=1, max_aspect=1000)
    totals = manifest["totals"]
    assert totals["inputs"] == totals["kept"] + totals["rejected"]
    kept, rejected = all_keys(tmp_path / "out")
    assert len(kept) + len(rejected) == totals["inputs"] and not set(kept) & set(rejected)
    assert totals["kept"] > 100 and totals["rejected"] > 50
    assert verify_output(tmp_path / "out") == []
