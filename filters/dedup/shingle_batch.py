"""Word shingles of a whole batch of texts as spans of one byte buffer, and their SHA-1 hashes.

:func:`word_shingle_spans` gives the same shingles as :func:`~filters.dedup.minhash.word_shingles`
for every text, but as ``(start, length)`` spans of one buffer: the texts are normalised (ASCII
texts all in one ``lower``/``translate`` call), joined, and cut into words and n-grams with numpy,
so no Python object is made per word or per shingle. :func:`word_shingle_hashes` hashes the spans
(``datasketch.hashfunc.sha1_hash32`` of each shingle) for :meth:`MinHasher.signatures_from_hashes`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from filters.dedup.minhash import _ASCII_FOLD, normalize_text, sha1_hash32_many, shingle
from filters.dedup.sha1_batch import sha1_hash32_spans

_SPACE = 32
# str.lower() then _ASCII_FOLD, on ASCII bytes (other bytes unchanged).
_FOLD_BYTES = bytes(ord(chr(c).lower().translate(_ASCII_FOLD)) if c < 128 else c for c in range(256))


def _normalised_buffer(texts: Sequence[str | None]) -> tuple[bytes, np.ndarray]:
    """The normalised texts, UTF-8, one space after each, and each text's start in it. Words are
    runs of bytes other than space (ASCII texts may still hold runs of spaces)."""
    pieces = [(t if t.isascii() else normalize_text(t)) if t else "" for t in texts]
    sizes = np.fromiter(map(len, pieces), np.int64, len(pieces))
    for i, piece in enumerate(pieces):
        if not piece.isascii():
            sizes[i] = len(piece.encode())
    sizes += 1
    # One bytes.translate folds case and punctuation of every ASCII text; the bytes of the
    # normalised non-ASCII texts are left as they are (their ASCII is already [a-z0-9 ]).
    raw = (" ".join(pieces) + " ").encode().translate(_FOLD_BYTES)
    return raw, np.cumsum(sizes) - sizes


def word_shingle_spans(texts: Sequence[str | None], n: int = 5):
    """``(buf, starts, lengths, counts)``: shingle i is ``buf[starts[i] : starts[i] + lengths[i]]``,
    the shingles of text j are ``counts[j]`` consecutive ones, in the order and with the bytes of
    ``word_shingles(text, n)`` (None and empty texts have none)."""
    if n < 1:
        raise ValueError("n must be positive")
    raw, doc_starts = _normalised_buffer(texts)
    buf = np.frombuffer(raw, np.uint8)
    spaces = np.flatnonzero(buf == _SPACE)  # the buffer ends with one
    if len(spaces) and (spaces[0] == 0 or (np.diff(spaces) == 1).any()):
        # One space per run of spaces, so that words are joined by exactly one space.
        word = buf != _SPACE
        keep = word.copy()
        keep[1:] |= word[:-1]
        doc_starts = doc_starts - np.searchsorted(np.flatnonzero(~keep), doc_starts)
        buf = buf[keep]
        spaces = np.flatnonzero(buf == _SPACE)
    # Now each word is followed by exactly one space, and every space follows a word.
    word_end = spaces
    word_start = np.r_[0, spaces[:-1] + 1] if len(spaces) else spaces
    first_word = np.searchsorted(word_start, doc_starts)
    words = np.diff(np.r_[first_word, len(word_start)])
    doc_of_word = np.repeat(np.arange(len(words)), words)
    # Full n-grams: every word whose n-th successor is in the same text starts one.
    full = np.zeros(len(word_start), bool)
    if len(word_start) >= n:
        full[: len(word_start) - n + 1] = doc_of_word[: len(word_start) - n + 1] == doc_of_word[n - 1 :]
    k = np.flatnonzero(full)
    # A text of 1..n-1 words is one shingle of all its words.
    short = np.flatnonzero((words > 0) & (words < n)) if n > 1 else np.zeros(0, np.int64)
    if len(short):
        k_short, k_last = first_word[short], first_word[short] + words[short] - 1
        starts = np.r_[word_start[k], word_start[k_short]]
        ends = np.r_[word_end[k + n - 1], word_end[k_last]]
        order = np.argsort(np.r_[doc_of_word[k], short], kind="stable")
        starts, ends = starts[order], ends[order]
    else:
        starts, ends = word_start[k], word_end[k + n - 1]
    counts = np.maximum(words - n + 1, 0) + ((words > 0) & (words < n)) if n > 1 else words
    return buf, starts, ends - starts, counts


def word_shingle_hashes(texts: Sequence[str | None], n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, counts)``: ``sha1_hash32`` of every word n-gram of the texts, text by text, and
    how many each text has; equal to hashing ``word_shingles(text, n)`` text by text."""
    buf, starts, lengths, counts = word_shingle_spans(texts, n)
    return sha1_hash32_spans(buf, starts, lengths), counts


def shingle_hashes(texts: Sequence[str | None], n: int = 5, unit: str = "word") -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, counts)`` of the texts' ``unit`` n-grams (see :func:`~filters.dedup.minhash.shingle`):
    word n-grams all at once (:func:`word_shingle_hashes`), others shingle by shingle."""
    if unit == "word":
        return word_shingle_hashes(texts, n)
    token_lists = [shingle(t, n, unit) for t in texts]
    counts = np.fromiter(map(len, token_lists), np.int64, len(token_lists))
    return sha1_hash32_many([tok for tokens in token_lists for tok in tokens]), counts
