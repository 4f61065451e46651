"""Signals a duplicate graph is built from: band rows per record, and pair checks per bucket.

Every signal turns a batch into *band rows* (record index, band number, 64-bit band hash and a
payload to verify with). Two records are candidates when they share a band hash in the same
band of the same signal; a candidate pair becomes an edge when the signal's check passes:

- ``text``: MinHash LSH over caption shingles; payload = the full signature (uint32 bytes);
  check = estimated Jaccard >= threshold (or no check: every LSH candidate is an edge). With
  ``verify="exact"`` the payload is instead the record's distinct shingle hashes (a
  variable-width payload, one per band row) and the check their exact Jaccard; with a
  :class:`~filters.dedup.shingle_store.ShingleStore` the sets are saved once per text and the
  payload is the text's seq.
- ``image``: 64-bit perceptual hash split into ``max_bits + 1`` bands (pigeonhole: two hashes
  within ``max_bits`` bits agree exactly on at least one band); payload = the hash; check =
  Hamming distance <= ``max_bits``.
- ``embedding``: random-hyperplane LSH over L2-normalised vectors; payload = the vector
  (float32 bytes); check = cosine similarity >= threshold.
- ``urlset``: documents' sets of image URLs; one band, the hash of the sorted set; no check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from filters.dedup.lsh import band_hashes, group_pairs, lsh_param
from filters.dedup.minhash import MinHasher, jaccard_estimate, sha1_hash32_many
from filters.dedup.shingle_batch import shingle_hashes
from filters.dedup.shingle_store import ShingleStore, distinct_sets


@dataclass
class BandRows:
    """Band rows of one batch for one signal: parallel arrays, one entry per (record, band)."""

    row: np.ndarray  # index of the record in the batch
    band: np.ndarray
    band_hash: np.ndarray
    # What the check compares: (rows, width) uint8 (width 0: no check), or for a signal with
    # ``variable_payload`` a binary Arrow array.
    payload: np.ndarray | pa.Array


TEXT_VERIFY = (True, False, "minhash", "exact", "none")


class TextSignal:
    """Caption/text near-duplicates by MinHash LSH at a Jaccard ``threshold``.

    ``verify``: ``True``/``"minhash"`` checks candidates by the MinHash estimate, ``"exact"`` by
    the exact Jaccard of their shingle sets, ``False``/``"none"`` not at all."""

    name = "text"

    def __init__(
        self,
        threshold: float = 0.8,
        num_perm: int = 128,
        seed: int = 1,
        ngram: int = 5,
        unit: str = "word",
        verify: bool | str = True,
        store: str | None = None,
    ):
        if verify not in TEXT_VERIFY:
            raise ValueError(f"verify must be one of {TEXT_VERIFY}, not {verify!r}")
        self.exact = verify == "exact"
        self.verify = verify not in (False, "none")
        self.store = ShingleStore(store) if store and self.exact else None
        self.variable_payload = self.exact and self.store is None
        self.threshold, self.ngram, self.unit = threshold, ngram, unit
        self.hasher = MinHasher(num_perm, seed)
        self.bands, self.rows = lsh_param(threshold, num_perm, self.verify)

    def signatures(self, texts: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
        """(signatures, has_shingles) of the texts; texts without shingles get no band rows."""
        hv, counts = shingle_hashes(texts, self.ngram, self.unit)
        sigs = self.hasher.signatures_from_hashes(hv, counts)
        return sigs, np.asarray(counts) > 0

    def band_rows(self, texts: list[str | None], seqs: np.ndarray | None = None) -> BandRows:
        """Band rows of the texts; with a store, their shingle sets are saved under ``seqs``
        (the texts' numbers) and each band row's payload is its text's seq."""
        hv, counts = shingle_hashes(texts, self.ngram, self.unit)
        sigs = self.hasher.signatures_from_hashes(hv, counts)
        idx = np.flatnonzero(np.asarray(counts) > 0)
        hashes = band_hashes(sigs[idx], self.bands, self.rows)
        row = np.repeat(idx, self.bands)
        band = np.tile(np.arange(self.bands, dtype=np.int32), len(idx))
        if self.store is not None:
            seqs = np.asarray(seqs, np.int64)
            self.store.save(seqs, hv, np.asarray(counts))
            payload = seqs[row].view(np.uint8).reshape(len(row), 8)
        elif self.exact:
            payload = _shingle_sets(hv, np.asarray(counts), row)
        else:
            width = sigs.shape[1] * 4 if self.verify else 0
            payload = sigs[row].view(np.uint8)[:, :width]
        return BandRows(row, band, hashes.reshape(-1), payload)

    def check(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Similarity of each pair: exact or estimated Jaccard; 1.0 when not verifying."""
        if not self.verify:
            return np.ones(len(a))
        if self.store is not None:
            return self.store.jaccard(a.view(np.int64).ravel(), b.view(np.int64).ravel())
        if self.exact:
            return np.array([_exact_jaccard(x, y) for x, y in zip(a, b, strict=True)], np.float64)
        return jaccard_estimate(a.view(np.uint32), b.view(np.uint32))

    def passes(self, similarity: np.ndarray) -> np.ndarray:
        return similarity >= self.threshold if self.verify else np.ones(len(similarity), bool)


def _shingle_sets(hv: np.ndarray, counts: np.ndarray, row: np.ndarray) -> pa.Array:
    """Binary values, one per entry of ``row``: the sorted distinct shingle hashes (uint32) of
    text ``row[i]``, whose hashes are ``hv`` cut by ``counts``. Arrow's take repeats each text's
    set for its band rows."""
    values, sizes = distinct_sets(hv, counts)
    offsets = (np.r_[0, np.cumsum(sizes)] * 4).astype(np.int32)
    sets = pa.Array.from_buffers(pa.binary(), len(counts), [None, pa.py_buffer(offsets),
                                                            pa.py_buffer(values.tobytes())])
    return sets.take(pa.array(row, pa.int64()))


def _exact_jaccard(a: bytes, b: bytes) -> float:
    """Jaccard similarity of two sets of distinct uint32 shingle hashes."""
    both = np.concatenate((np.frombuffer(a, np.uint32), np.frombuffer(b, np.uint32)))
    both.sort()
    inter = np.count_nonzero(both[1:] == both[:-1])  # each set holds distinct hashes
    return inter / (len(both) - inter)


class ImageSignal:
    """Image near-duplicates: perceptual hashes within ``max_bits`` Hamming distance.

    The 64 bits are cut into ``max_bits + 1`` bands, so every pair within ``max_bits`` agrees
    on a whole band (pigeonhole) and no such pair is missed. Bands narrow as ``max_bits`` grows
    (12 bits: 13 bands of about 5 bits), and a band group then holds about n / 2**5 images,
    every pair of which is checked: about ``bands * n**2 / 2**(band_bits + 1)`` checks, quadratic
    in n. A group above ``max_group`` is checked as a star only (a warning says so). The default,
    4 bits (5 bands of 12-13 bits), costs about 15M checks for 200k images and 350M for 1M (spread
    over the buckets, whose number the runner raises with n), and random pairs within the distance are
    improbable (about 4e-14 per pair); 6 bits already costs 270M checks at 200k, 12 bits 8G.
    pHash moves 0-2 bits under resizing and re-encoding and 4-14 bits under 2-5% crops: raise
    ``max_bits`` for crops on small collections only.
    """

    name = "image"
    max_group = 4096  # every pair of a band group is checked (vectorised) up to this size

    def __init__(self, max_bits: int = 4):
        if not 0 <= max_bits < 64:
            raise ValueError("max_bits must be in [0, 64)")
        self.max_bits = max_bits
        self.threshold = float(max_bits)
        edges = np.linspace(0, 64, max_bits + 2).round().astype(int)
        self.spans = list(zip(edges[:-1], edges[1:], strict=True))

    def band_rows_from_hashes(self, hashes: np.ndarray, valid: np.ndarray) -> BandRows:
        idx = np.flatnonzero(valid)
        h = hashes[idx].astype(np.uint64)
        parts = []
        for lo, hi in self.spans:
            mask = np.uint64(((1 << (hi - lo)) - 1) << lo)
            parts.append((h & mask) >> np.uint64(lo))
        values = np.stack(parts, axis=1) if parts else np.zeros((len(idx), 0), np.uint64)
        row = np.repeat(idx, len(self.spans))
        band = np.tile(np.arange(len(self.spans), dtype=np.int32), len(idx))
        payload = hashes[row].astype("<u8").reshape(-1, 1).view(np.uint8)
        return BandRows(row, band, values.reshape(-1), payload)

    def check(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Hamming distance of each pair of hashes."""
        return hamming(a.view("<u8")[:, 0], b.view("<u8")[:, 0]).astype(np.float64)

    def passes(self, distance: np.ndarray) -> np.ndarray:
        return distance <= self.max_bits


class EmbeddingSignal:
    """Embedding near-duplicates: cosine similarity >= ``threshold`` found by random-hyperplane
    LSH (``bands`` bands of ``rows`` sign bits), verified on the vectors themselves."""

    name = "embedding"

    def __init__(self, threshold: float = 0.95, bands: int = 16, rows: int = 8, seed: int = 0):
        self.threshold, self.bands, self.rows, self.seed = threshold, bands, rows, seed
        self._planes: dict[int, np.ndarray] = {}

    def band_rows_from_vectors(self, vectors: np.ndarray, valid: np.ndarray) -> BandRows:
        idx = np.flatnonzero(valid)
        v = normalise(vectors[idx].astype(np.float32))
        dim = v.shape[1]
        if dim not in self._planes:
            gen = np.random.default_rng(self.seed)
            planes = gen.standard_normal((dim, self.bands * self.rows))
            self._planes[dim] = planes.astype(np.float32)
        bits = (v @ self._planes[dim]) > 0
        weights = (1 << np.arange(self.rows)).astype(np.uint64)
        values = bits.reshape(len(idx), self.bands, self.rows).astype(np.uint64) @ weights
        row = np.repeat(idx, self.bands)
        band = np.tile(np.arange(self.bands, dtype=np.int32), len(idx))
        payload = np.repeat(v, self.bands, axis=0).view(np.uint8)
        return BandRows(row, band, values.reshape(-1).astype(np.uint64), payload)

    def check(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Cosine similarity of each pair of unit vectors."""
        return np.sum(a.view(np.float32) * b.view(np.float32), axis=1).astype(np.float64)

    def passes(self, cosine: np.ndarray) -> np.ndarray:
        return cosine >= self.threshold


def normalise(v: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norm == 0, 1, norm)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bit distance between two arrays of 64-bit hashes."""
    x = np.bitwise_xor(a.astype(np.uint64), b.astype(np.uint64))
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def verified_pairs(
    signal,
    band: np.ndarray,
    band_hash: np.ndarray,
    ids: np.ndarray,
    payload: np.ndarray,
    max_group: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """(id pairs, similarity) of the candidate pairs (records sharing a band hash in a band)
    that pass the signal's check. ``payload[i]`` belongs to the record ``ids[i]``."""
    pairs = candidate_pairs(signal, band, band_hash, ids, max_group)
    if not len(pairs):
        return pairs, np.zeros(0)
    uniq, first = np.unique(ids, return_index=True)
    pa_ = payload[first[np.searchsorted(uniq, pairs[:, 0])]]
    pb_ = payload[first[np.searchsorted(uniq, pairs[:, 1])]]
    ok, sim = checked(signal, pa_, pb_)
    return pairs[ok], sim[ok]


def candidate_pairs(signal, band: np.ndarray, band_hash: np.ndarray, ids: np.ndarray,
                    max_group: int = 64) -> np.ndarray:
    """The sorted id pairs that share a band hash in a band (star pairs in groups above
    ``max_group``), to be checked by :func:`checked`."""
    pairs, star = group_pairs(band, band_hash, ids, max_group=max_group, with_star=True)
    if star.any() and signal.name == "image":
        # equal image bands are chance collisions, not duplicates: a star can miss real pairs
        logging.getLogger(__name__).warning(
            "image near-duplicates: band groups above %d images were checked as stars only (%d pairs); "
            "lower the distance (dedup_image_bits)", max_group, int(star.sum()))
    return pairs


def checked(signal, a, b) -> tuple[np.ndarray, np.ndarray]:
    """(passes, similarity) of each pair of payloads ``a[i]``, ``b[i]``."""
    sim = signal.check(np.ascontiguousarray(a), np.ascontiguousarray(b))
    return signal.passes(sim), sim


class UrlSetSignal:
    """OBELICS' "same set of image URLs": documents whose sets of image URLs are equal (and not
    empty) are duplicates. One band whose hash is a hash of the sorted URL set; no check."""

    name = "urlset"
    threshold = 1.0

    def band_rows_from_lists(self, url_lists: list[list[str] | None]) -> BandRows:
        rows, hashes = [], []
        for i, urls in enumerate(url_lists):
            found = sorted({u for u in urls or [] if u})
            if found:
                rows.append(i)
                hashes.append("\n".join(found).encode())
        h = sha1_hash32_many(hashes).astype(np.uint64)
        h2 = sha1_hash32_many([b"#" + x for x in hashes]).astype(np.uint64)
        row = np.asarray(rows, np.int64)
        band_hash = (h << np.uint64(32)) | h2
        return BandRows(row, np.zeros(len(row), np.int32), band_hash, np.zeros((len(row), 0), np.uint8))

    def check(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.ones(len(a))

    def passes(self, similarity: np.ndarray) -> np.ndarray:
        return np.ones(len(similarity), bool)
