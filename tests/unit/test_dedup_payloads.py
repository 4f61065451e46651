"""A near-duplicate record's payload travels once (``NearDuplicates.split_payloads``): band rows
without payloads give candidate pairs, and those pairs checked on the payloads joined back
(engine/runner/global_verify.py) are exactly the edges the bands with payloads give, bucket by
bucket, for text (MinHash and exact shingle sets) and embedding signals; the decisions too."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from engine import columns as C
from engine.runner.components import owner
from engine.runner.global_verify import _attach_payload, _distinct
from engine.runner.partition_files import payload_file, read_ipc, write_payloads
from filters.dedup.near_duplicates import NearDupConfig, NearDuplicates
from tests.unit.test_dedup_near_duplicates import _planted


def _batches(docs: list[str]) -> list[pa.Table]:
    rng = np.random.default_rng(3)
    base = rng.standard_normal((40, 16)).astype(np.float32)
    vectors = base[np.arange(len(docs)) % 40] + 0.01 * rng.standard_normal((len(docs), 16)).astype(np.float32)
    keys = [f"{i:024x}" for i in range(len(docs))]
    half = len(docs) // 2
    return [pa.table({"key": keys[lo:hi], C.SEQ: pa.array(range(lo, hi), pa.int64()), "caption": docs[lo:hi],
                      "emb": pa.array(vectors[lo:hi].tolist(), pa.list_(pa.float32()))})
            for lo, hi in ((0, half), (half, len(docs)))]


def _stage(verify, buckets: int) -> NearDuplicates:
    stage = NearDuplicates(text_column="caption", image=False, embedding_column="emb",
                           config=NearDupConfig(threshold=0.7, verify=verify, buckets=buckets))
    stage.plan_buckets(0)
    return stage


@pytest.mark.parametrize("verify", [True, "exact"])
@pytest.mark.parametrize("buckets", [1, 7, 40])
def test_pairs_checked_on_payloads_sent_once_are_the_edges_of_bands_with_payloads(verify, buckets):
    docs, _ = _planted(n=300)
    stage = _stage(verify, buckets)
    inline = pa.concat_tables([stage.signature(b) for b in _batches(docs)])
    bands, payloads = stage.split_payloads(inline)
    assert "payload" not in bands.column_names and bands.num_rows == inline.num_rows
    # one payload row per record and signal: the text payload was in each of its 16 bands
    pairs = list(zip(payloads[C.SEQ].to_pylist(), payloads["signal"].to_pylist(), strict=True))
    assert len(pairs) == len(set(pairs)) == len(docs) * 2
    text = pc.equal(inline["signal"], "text")
    sent = pc.sum(pc.binary_length(inline.filter(text)["payload"])).as_py()
    once = pc.sum(pc.binary_length(payloads.filter(pc.equal(payloads["signal"], "text"))["payload"])).as_py()
    assert sent == stage._signals["text"].bands * once
    edges, checked = [], []
    for bucket in range(stage.bucket_count):
        edges.append(stage.decide(inline.filter(pc.equal(inline["bucket"], bucket))))
        candidates = stage.decide(bands.filter(pc.equal(bands["bucket"], bucket)))
        assert "similarity" not in candidates.column_names
        halves = [payloads.slice(0, payloads.num_rows // 2), payloads.slice(payloads.num_rows // 2)]
        joined = _attach_payload(candidates, halves, "seq", "payload")  # as two units' files
        checked.append(stage.check_pairs(_attach_payload(joined, halves, "other_seq", "other_payload")))
        assert checked[-1].to_pylist() == edges[-1].to_pylist()  # same edges, same order
    assert sum(t.num_rows for t in edges) > 100
    assert {e["signal"] for t in edges for e in t.to_pylist()} == {"text", "embedding"}
    assert stage.combine(checked).to_pylist() == stage.combine(edges).to_pylist()


def test_a_pair_found_in_several_bands_is_checked_once():
    docs, _ = _planted(n=300)
    stage = _stage(True, 1)
    bands, _ = stage.split_payloads(pa.concat_tables([stage.signature(b) for b in _batches(docs)]))
    candidates = pa.concat_tables([stage.decide(bands.filter(pc.equal(bands["band"], band)))
                                   for band in range(16)])  # one band per "bucket"
    distinct = _distinct(candidates)
    assert distinct.num_rows < candidates.num_rows
    seen = set(zip(distinct["seq"].to_pylist(), distinct["other_seq"].to_pylist(),
                   distinct["signal"].to_pylist(), strict=True))
    assert len(seen) == distinct.num_rows
    assert seen == set(zip(candidates["seq"].to_pylist(), candidates["other_seq"].to_pylist(),
                           candidates["signal"].to_pylist(), strict=True))


def test_a_candidate_without_its_payload_is_an_error_not_a_silent_miss():
    pairs = pa.table({"seq": pa.array([1], pa.int64()), "signal": ["text"]})
    payloads = pa.table({C.SEQ: pa.array([2], pa.int64()), "signal": ["text"], "payload": [b"x"]})
    with pytest.raises(RuntimeError, match="without a payload"):
        _attach_payload(pairs, [payloads], "seq", "payload")
    with pytest.raises(RuntimeError, match="without a payload"):
        _attach_payload(pairs, [], "seq", "payload")


@pytest.mark.parametrize("parts", [1, 5, 16])
def test_payload_files_hold_each_record_once_in_its_seq_partition(tmp_path, parts):
    seq = np.random.default_rng(parts).permutation(500).astype(np.int64)
    table = pa.table({C.SEQ: seq, "signal": ["text"] * 500, "payload": [bytes([s % 256]) * 4 for s in seq.tolist()]})
    written = write_payloads(table, tmp_path, parts)
    assert sorted(written) == sorted(set(owner(seq, parts).tolist()))
    back = []
    for q in range(parts):
        path = payload_file(tmp_path, q)
        if q not in written:
            assert not path.exists()
            continue
        part = read_ipc(path)
        assert (owner(part[C.SEQ].to_numpy(), parts) == q).all()
        assert part[C.SEQ].to_pylist() == sorted(part[C.SEQ].to_pylist())
        back += part.to_pylist()
    assert sorted(back, key=lambda r: r[C.SEQ]) == sorted(table.to_pylist(), key=lambda r: r[C.SEQ])
