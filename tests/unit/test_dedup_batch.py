"""Batch shingling and SHA-1 equal the per-text path (and so datasketch); Parquet row ranges; the
text signal's exact and MinHash verification find exactly the pairs at the threshold."""

import hashlib
import pickle
import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine import columns as C
from engine.sources.parquet_rows import read_rows
from filters.dedup import NearDupConfig, NearDuplicates
from filters.dedup.lsh import group_pairs
from filters.dedup.minhash import MinHasher, exact_jaccard, sha1_hash32_many, word_shingles
from filters.dedup.sha1_batch import sha1_hash32_spans
from filters.dedup.shingle_batch import word_shingle_hashes, word_shingle_spans


def test_sha1_spans_equal_hashlib_across_block_sizes():
    rng = random.Random(1)
    sizes = [0, 1, 3, 4, 30, 54, 55, 56, 57, 63, 64, 65, 119, 120, 183, 184, 247, 248, 249, 400]
    tokens = [bytes(rng.randrange(256) for _ in range(rng.choice(sizes))) for _ in range(600)]
    buf = np.frombuffer(b"".join(tokens), np.uint8)
    lengths = np.array([len(t) for t in tokens])
    starts = np.cumsum(lengths) - lengths
    expected = [int.from_bytes(hashlib.sha1(t).digest()[:4], "little") for t in tokens]
    assert sha1_hash32_spans(buf, starts, lengths).tolist() == expected
    # Overlapping spans and spans that end at the buffer's last byte.
    starts, lengths = np.array([0, 5, len(buf) - 3, 2]), np.array([10, 60, 3, len(buf) - 2])
    expected = [int.from_bytes(hashlib.sha1(buf[s : s + n].tobytes()).digest()[:4], "little")
                for s, n in zip(starts, lengths, strict=True)]
    assert sha1_hash32_spans(buf, starts, lengths).tolist() == expected


TEXTS = [None, "", " ", "...", "a", "a b", "a b c d e", "a b c d e f", " A  b\tC ", "Hello, WORLD!! fine—ok",
         "ΑΣ ΒΣ γ", "naïve ﬁne Straße 東京 x", "a_b\x1ec\u2028d  e", "İstanbul İzmir", "x" * 300 + " y z"]


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_word_shingle_spans_equal_word_shingles(n):
    rng = random.Random(n)
    vocab = ["wörd", "naïve", "ﬁne", "東京", "Straße", "ΑΣ", "abc", "Hello,", "x", "--", "  ", "\t", "İ", "123"]
    texts = TEXTS + [" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 12))) for _ in range(300)]
    buf, starts, lengths, counts = word_shingle_spans(texts, n)
    raw = buf.tobytes()
    expected = [word_shingles(t, n) if t else [] for t in texts]
    assert counts.tolist() == [len(e) for e in expected]
    assert [raw[s : s + k] for s, k in zip(starts.tolist(), lengths.tolist(), strict=True)] == [
        s for e in expected for s in e
    ]
    hashes, counts = word_shingle_hashes(texts, n)
    assert np.array_equal(hashes, sha1_hash32_many([s for e in expected for s in e]))


def test_batch_signatures_equal_datasketch():
    datasketch = pytest.importorskip("datasketch")
    texts = TEXTS + [" ".join(f"w{i % 37} v{i % 11}" for i in range(k)) for k in range(0, 400, 7)]
    hashes, counts = word_shingle_hashes(texts, 5)
    sigs = MinHasher(128, 1).signatures_from_hashes(hashes, counts)
    for text, row in zip(texts, sigs, strict=True):
        m = datasketch.MinHash(num_perm=128, seed=1)
        m.update_batch(word_shingles(text) if text else [])
        assert np.array_equal(m.hashvalues, row)


@pytest.mark.parametrize("row_group_size", [10_000, 3000, 777])
def test_parquet_row_ranges_read_through_their_row_groups(tmp_path, row_group_size):
    n = 10_000
    path = str(tmp_path / "t.parquet")
    pq.write_table(pa.table({"id": list(range(n)), "text": [f"doc {i}" for i in range(n)]}), path,
                   row_group_size=row_group_size)
    for spans in ([(0, 2500), (2500, 5000), (5000, n)], [(100, 200)], [(2999, 3001), (6000, 9999)]):
        parts = [read_rows(pq.ParquetFile(path), a, b, ["text", "id"]) for a, b in spans]
        assert [p["id"].to_pylist() for p in parts] == [list(range(a, b)) for a, b in spans]
        assert all(p["text"].to_pylist() == [f"doc {i}" for i in range(a, b)]
                   for p, (a, b) in zip(parts, spans, strict=True))
        assert all(p.column_names == ["text", "id"] for p in parts)


def test_group_pairs_marks_star_pairs_of_large_groups():
    band = np.array([0, 0, 0, 1, 1, 1, 0])
    bh = np.array([5, 5, 5, 9, 9, 3, 7], dtype=np.uint64)
    ids = np.array([3, 1, 2, 3, 4, 5, 6])
    pairs, star = group_pairs(band, bh, ids, max_group=2, with_star=True)
    assert pairs.tolist() == [[1, 2], [1, 3], [3, 4]] and star.tolist() == [True, True, False]
    pairs, star = group_pairs(band, bh, ids, with_star=True)
    assert pairs.tolist() == [[1, 2], [1, 3], [2, 3], [3, 4]] and not star.any()


def _corpus(seed=5, n=400):
    rng = random.Random(seed)
    vocab = [f"v{i}" for i in range(3000)]
    docs = [" ".join(rng.choices(vocab, k=rng.randint(40, 90))) for _ in range(n)]
    for _ in range(80):  # copies with 0..8 words substituted, some of copies
        words = docs[rng.randrange(len(docs))].split()
        for _ in range(rng.choice([0, 1, 2, 4, 8])):
            words[rng.randrange(len(words))] = rng.choice(vocab)
        docs.append(" ".join(words))
    return docs


@pytest.mark.parametrize("verify", ["exact", "exact-store", "minhash"])
def test_text_signal_verifies_pairs_exactly_at_the_threshold(verify, tmp_path):
    docs = _corpus()
    store = str(tmp_path / "shingles") if verify == "exact-store" else None
    verify = verify.removesuffix("-store")
    stage = NearDuplicates(text_column="text", image=False, config=NearDupConfig(
        threshold=0.7, verify=verify, buckets=1, records_per_bucket=None, shingle_dir=store))
    batch = pa.table({"key": [str(i) for i in range(len(docs))], "text": docs,
                      C.SEQ: pa.array(range(len(docs)), pa.int64())})
    signatures = pa.concat_tables([stage.signature(batch.slice(first, 150)) for first in range(0, len(docs), 150)])
    if store:  # the band rows carry seqs (8 bytes), the sets are in the store, once per batch
        assert set(signatures["payload"].to_pylist()[:3]) <= {int(q).to_bytes(8, "little") for q in range(len(docs))}
        assert len(list((tmp_path / "shingles").iterdir())) == -(-len(docs) // 150)
        stage = pickle.loads(pickle.dumps(stage))  # as a worker receives it
    edges = stage.decide(signatures)
    pairs = [(min(a, b), max(a, b)) for a, b in zip(edges["seq"].to_pylist(), edges["other_seq"].to_pylist(),
                                                      strict=True)]
    assert len(pairs) == len(set(pairs)) > 30
    shingles = [set(word_shingles(d)) for d in docs]
    sims = dict(zip(pairs, edges["similarity"].to_pylist(), strict=True))
    if verify == "exact":
        truth = {(a, b) for a in range(len(docs)) for b in range(a + 1, len(docs))
                 if len(shingles[a] & shingles[b]) >= 0.7 * len(shingles[a] | shingles[b])}
        assert set(pairs) == truth
        assert all(sims[p] == pytest.approx(exact_jaccard(shingles[p[0]], shingles[p[1]])) for p in pairs)
    else:
        sigs = MinHasher(128, 1).signatures([word_shingles(d) for d in docs])
        estimate = {(a, b): np.mean(sigs[a] == sigs[b]) for a in range(len(docs)) for b in range(a + 1, len(docs))}
        assert set(pairs) == {p for p, e in estimate.items() if e >= 0.7}
        assert all(sims[p] == pytest.approx(estimate[p]) for p in pairs)
