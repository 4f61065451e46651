"""MinHash signatures equal datasketch's; shingling; LSH parameters equal datasketch's."""

import numpy as np
import pytest

datasketch = pytest.importorskip("datasketch")
from datasketch.lsh import _optimal_param  # noqa: E402

from filters.dedup.lsh import band_hashes, candidate_pairs, group_pairs, optimal_param  # noqa: E402
from filters.dedup.minhash import (  # noqa: E402
    MinHasher,
    char_shingles,
    normalize_text,
    sha1_hash32_many,
    word_shingles,
)


def _docs(n=60, seed=3):
    rng = np.random.default_rng(seed)
    vocab = [f"wörd{i}" for i in range(400)] + ["naïve", "ﬁne", "東京", "Straße"]
    return [" ".join(rng.choice(vocab, rng.integers(0, 80))) for _ in range(n)]


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 42), (256, 7)])
def test_signatures_equal_datasketch(scheme, num_perm, seed):
    token_lists = [word_shingles(d, 3) for d in _docs()] + [[], [b"x"], [b"a", b"a", b"b"]]
    ours = MinHasher(num_perm, seed, scheme).signatures(token_lists)
    for tokens, row in zip(token_lists, ours, strict=True):
        m = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
        m.update_batch(tokens)
        assert np.array_equal(m.hashvalues.astype(np.uint64), row.astype(np.uint64))


def test_signatures_equal_datasketch_for_large_documents():
    """A document longer than one permutation block is reduced across blocks correctly."""
    tokens = [f"t{i}".encode() for i in range(10_000)]
    ours = MinHasher(128, 1).signatures([[b"z"], tokens, [b"y"]])
    m = datasketch.MinHash(num_perm=128, seed=1)
    m.update_batch(tokens)
    assert np.array_equal(m.hashvalues, ours[1])


def test_sha1_hash32_matches_datasketch():
    tokens = [b"", b"a", "é".encode(), b"x" * 1000]
    expected = [datasketch.hashfunc.sha1_hash32(t) for t in tokens]
    assert sha1_hash32_many(tokens).tolist() == expected


def test_normalisation_folds_case_unicode_punctuation_and_spaces():
    assert normalize_text("  Hello,\tWORLD!!  ﬁne—ok ") == "hello world fine ok"
    assert word_shingles("A b, c. D", 2) == [b"a b", b"b c", b"c d"]
    assert word_shingles("one two", 5) == [b"one two"]
    assert word_shingles(" ... ", 5) == []
    assert char_shingles("AbCd", 3) == [b"abc", b"bcd"]


@pytest.mark.parametrize("num_perm", [32, 128, 256])
@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.85, 0.9])
def test_optimal_param_equals_datasketch(num_perm, threshold):
    assert optimal_param(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def test_optimal_param_with_weights_equals_datasketch():
    assert optimal_param(0.8, 128, 0.2, 0.8) == _optimal_param(0.8, 128, 0.2, 0.8)


def test_band_hashes_equal_exactly_when_bands_equal():
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, (4, 12), dtype=np.uint64).astype(np.uint32)
    sig[1, :4] = sig[0, :4]  # band 0 shared
    sig[2, 8:] = sig[0, 8:]  # band 2 shared
    h = band_hashes(sig, 3, 4)
    assert h[1, 0] == h[0, 0] and h[1, 1] != h[0, 1] and h[1, 2] != h[0, 2]
    assert h[2, 2] == h[0, 2] and h[2, 0] != h[0, 0]
    assert len(set(h[3].tolist()) & set(h[0].tolist())) == 0


def test_candidate_and_group_pairs():
    band = np.array([0, 0, 0, 1, 1, 1, 0])
    bh = np.array([5, 5, 5, 9, 9, 3, 7], dtype=np.uint64)
    ids = np.array([3, 1, 2, 3, 4, 5, 6])
    assert candidate_pairs(band, bh, ids).tolist() == [[1, 2], [1, 3], [3, 4]]
    assert group_pairs(band, bh, ids).tolist() == [[1, 2], [1, 3], [2, 3], [3, 4]]
    assert group_pairs(band, bh, ids, max_group=2).tolist() == [[1, 2], [1, 3], [3, 4]]
