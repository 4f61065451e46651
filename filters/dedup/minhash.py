"""MinHash signatures, vectorised over whole batches, equal to datasketch's.

``MinHasher(num_perm, seed).signatures(token_lists)`` returns, for each list of byte tokens, the
same hash values as ``datasketch.MinHash(num_perm, seed)`` updated with those tokens (datasketch
2.0.0; its default ``affine32`` scheme, or ``scheme="legacy"`` for the pre-2.0 Mersenne-prime
scheme). The tokens of a whole batch are hashed in one pass (SHA-1, first four bytes little
endian, as ``datasketch.hashfunc.sha1_hash32``), permuted with numpy and reduced with a segmented
minimum per document, instead of one numpy call chain per document.

Shingles are word or character n-grams of the normalised text (:func:`normalize_text`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from operator import methodcaller

import numpy as np

MERSENNE_PRIME = np.uint64((1 << 61) - 1)
MAX_HASH32 = np.uint64((1 << 32) - 1)
SCHEMES = ("affine32", "legacy")
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
_NON_WORD = re.compile(r"[\W_]+")
# ASCII characters that _NON_WORD matches, mapped to a space.
_ASCII_FOLD = str.maketrans({chr(c): " " for c in range(128) if _NON_WORD.match(chr(c))})
_DIGEST = methodcaller("digest")
try:  # CPython's built-in SHA-1: same digests, less overhead per call on short inputs than OpenSSL's
    from _sha1 import sha1 as _sha1
except ImportError:  # pragma: no cover - builds without the module
    _sha1 = hashlib.sha1
_ROWS_PER_BLOCK = 1 << 13  # shingles permuted at once: a buffer that stays in cache


def normalize_text(text: str) -> str:
    """Unicode NFKC, lowercase, punctuation and runs of whitespace folded into one space."""
    if text.isascii():  # fast path, same result: NFKC is the identity on ASCII
        return " ".join(text.lower().translate(_ASCII_FOLD).split())
    text = unicodedata.normalize("NFKC", text).lower()
    return _NON_WORD.sub(" ", text).strip()


def word_shingles(text: str, n: int = 5) -> list[bytes]:
    """Word n-grams of the normalised text, UTF-8 encoded, words joined by one space. A text
    shorter than ``n`` words is one shingle; an empty text has none."""
    words = normalize_text(text).encode().split()
    if len(words) <= n:
        return [b" ".join(words)] if words else []
    if n == 1:
        return words
    return list(map(b" ".join, zip(*(words[i:] for i in range(n)), strict=False)))


def char_shingles(text: str, n: int = 5) -> list[bytes]:
    """Character n-grams of the normalised text, UTF-8 encoded (one shingle if shorter)."""
    norm = normalize_text(text)
    if len(norm) <= n:
        return [norm.encode()] if norm else []
    return [norm[i : i + n].encode() for i in range(len(norm) - n + 1)]


def shingle(text: str | None, n: int = 5, unit: str = "word") -> list[bytes]:
    """Shingles of ``text`` by ``unit`` ("word" or "char"); None and empty text have none."""
    if not text:
        return []
    if unit == "word":
        return word_shingles(text, n)
    if unit == "char":
        return char_shingles(text, n)
    raise ValueError(f"shingle unit must be 'word' or 'char', not {unit!r}")


def sha1_hash32_many(tokens: Sequence[bytes]) -> np.ndarray:
    """``datasketch.hashfunc.sha1_hash32`` of every token, as uint32, in one pass."""
    if not tokens:
        return np.zeros(0, np.uint32)
    digests = b"".join(map(_DIGEST, map(_sha1, tokens)))
    return np.frombuffer(digests, dtype="<u4").reshape(-1, 5)[:, 0].astype(np.uint32)


def _fmix32(hv: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2 = _FMIX32
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s1)


class MinHasher:
    """Computes datasketch-equal MinHash signatures for many documents at once."""

    def __init__(self, num_perm: int = 128, seed: int = 1, scheme: str = "affine32"):
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, not {scheme!r}")
        if num_perm < 1:
            raise ValueError("num_perm must be positive")
        self.num_perm, self.seed, self.scheme = num_perm, seed, scheme
        gen = np.random.RandomState(seed)
        if scheme == "legacy":
            pairs = [
                (
                    gen.randint(1, MERSENNE_PRIME, dtype=np.uint64),
                    gen.randint(0, MERSENNE_PRIME, dtype=np.uint64),
                )
                for _ in range(num_perm)
            ]
            self.a, self.b = np.array(pairs, dtype=np.uint64).T
            self.empty = np.uint32(MAX_HASH32)
        else:
            a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
            b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
            self.a, self.b = a, b
            self.empty = np.uint32(MAX_HASH32)

    def _premix(self, hv: np.ndarray) -> np.ndarray:
        """Token hashes as the permutation step takes them (fmix32 for affine32)."""
        if self.scheme == "legacy":
            return hv.astype(np.uint64)
        return _fmix32(hv.astype(np.uint32))

    def _permute_into(self, h: np.ndarray, buf: np.ndarray) -> np.ndarray:
        """Permuted values of the premixed hashes ``h`` as a (num_perm, len(h)) view of ``buf``:
        one row per permutation, so that each document's minimum is a contiguous reduction."""
        if self.scheme == "legacy":
            out = (self.a[:, None] * h + self.b[:, None]) % MERSENNE_PRIME
            return (out & MAX_HASH32).astype(np.uint32)
        view = buf[:, : len(h)]
        np.multiply(self.a[:, None], h, out=view)
        np.add(view, self.b[:, None], out=view)
        return view

    def signatures_from_hashes(self, hv: np.ndarray, counts: Sequence[int]) -> np.ndarray:
        """Signatures of documents whose token hashes are ``hv`` laid end to end, ``counts[i]``
        of them for document i. A document with no token gets the empty signature (all max)."""
        counts = np.asarray(counts, dtype=np.int64)
        out = np.full((len(counts), self.num_perm), self.empty, dtype=np.uint32)
        if hv.size == 0:
            return out
        h = self._premix(hv)
        ends = np.cumsum(counts)
        starts = ends - counts
        buf = np.empty((self.num_perm, _ROWS_PER_BLOCK), np.uint32)
        doc = 0
        while doc < len(counts):
            # A block of whole documents with about _ROWS_PER_BLOCK tokens.
            last = max(doc + 1, int(np.searchsorted(ends, starts[doc] + _ROWS_PER_BLOCK, "right")))
            lo, hi = starts[doc], ends[last - 1]
            if hi > lo:
                if hi - lo > buf.shape[1]:
                    buf = np.empty((self.num_perm, hi - lo), np.uint32)
                phv = self._permute_into(h[lo:hi], buf)
                has = counts[doc:last] > 0
                offsets = (starts[doc:last] - lo)[has]
                out[doc:last][has] = np.minimum.reduceat(phv, offsets, axis=1).T
            doc = last
        return out

    def signatures(self, token_lists: Iterable[Sequence[bytes]]) -> np.ndarray:
        """(n, num_perm) uint32 signatures of n token lists (each a sequence of bytes)."""
        flat: list[bytes] = []
        counts = []
        for tokens in token_lists:
            flat.extend(tokens)
            counts.append(len(tokens))
        return self.signatures_from_hashes(sha1_hash32_many(flat), counts)


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of rows of two signature arrays (fraction of equal values)."""
    return np.mean(np.asarray(a) == np.asarray(b), axis=-1)


def exact_jaccard(a: Iterable, b: Iterable) -> float:
    """Exact Jaccard similarity of two collections taken as sets (1.0 for two empty ones)."""
    sa, sb = set(a), set(b)
    union = len(sa | sb)
    return len(sa & sb) / union if union else 1.0
