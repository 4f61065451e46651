"""LSH banding: bands and rows from a Jaccard threshold, band hashes, candidate pairs.

:func:`optimal_param` chooses ``(bands, rows)`` exactly as ``datasketch.lsh._optimal_param``
does: the pair minimising the weighted false-positive and false-negative areas under the
S-curve ``1 - (1 - s**r)**b``. The curve is a polynomial of degree ``b*r <= num_perm``, so a
Gauss-Legendre rule with enough nodes integrates it exactly (no scipy needed).

:func:`band_hashes` turns each band of ``rows`` signature values into one 64-bit hash, for all
documents and bands at once; documents whose band hashes are equal in some band are candidates.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_MIX_MUL = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=64)
def optimal_param(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """``(bands, rows)`` minimising the weighted error at ``threshold`` (datasketch's choice)."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be in [0.0, 1.0]")
    nodes, weights = np.polynomial.legendre.leggauss(max(32, num_perm // 2 + 2))
    min_error, opt = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        rs = np.arange(1, num_perm // b + 1, dtype=np.float64)
        fp = _area(nodes, weights, 0.0, threshold, rs, b, positive=True)
        fn = _area(nodes, weights, threshold, 1.0, rs, b, positive=False)
        errors = fp * false_positive_weight + fn * false_negative_weight
        for r, error in zip(range(1, len(rs) + 1), errors, strict=True):
            if error < min_error:
                min_error, opt = error, (b, r)
    return opt


# With verified candidates a false positive costs one check and a false negative a missed
# duplicate, so verified searches weigh false negatives much more (datasketch's defaults are
# 0.5/0.5; at threshold 0.8 and 128 permutations they find only 40% of pairs at exactly 0.8).
VERIFIED_WEIGHTS = (0.05, 0.95)


def lsh_param(
    threshold: float,
    num_perm: int,
    verified: bool,
    false_positive_weight: float | None = None,
    false_negative_weight: float | None = None,
) -> tuple[int, int]:
    """Bands and rows for a search at ``threshold``: :func:`optimal_param` with the given
    weights, or by default datasketch's (unverified) or :data:`VERIFIED_WEIGHTS` (verified)."""
    default = VERIFIED_WEIGHTS if verified else (0.5, 0.5)
    fp = default[0] if false_positive_weight is None else false_positive_weight
    fn = default[1] if false_negative_weight is None else false_negative_weight
    return optimal_param(threshold, num_perm, fp, fn)


def _area(nodes, weights, lo: float, hi: float, rs: np.ndarray, b: int, positive: bool):
    """Integral over [lo, hi] of the probability of being (positive) or not being a candidate."""
    half = (hi - lo) / 2
    s = half * nodes + (lo + hi) / 2
    miss = (1 - s ** rs[:, None]) ** b
    return half * ((1 - miss if positive else miss) @ weights)


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: one hash per band of ``rows`` consecutive signature values.

    Bands cover values ``[i*rows, (i+1)*rows)`` as in datasketch's ``hashranges``. Each band's
    values are folded with a multiply-xorshift mix, so equal bands get equal hashes and unequal
    ones collide with probability about 2**-64 (candidates can be verified afterwards anyway).
    """
    sig = np.asarray(signatures)
    if sig.shape[1] < bands * rows:
        raise ValueError(f"signatures have {sig.shape[1]} values, need {bands * rows}")
    parts = sig[:, : bands * rows].reshape(len(sig), bands, rows).astype(np.uint64)
    h = np.full((len(sig), bands), np.uint64(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(rows):
            h = (h ^ parts[:, :, j]) * _MIX_MUL
            h ^= h >> np.uint64(29)
        h = h * _MIX_MUL
        h ^= h >> np.uint64(32)
    return h


def bucket_of(band_hash: np.ndarray, band: np.ndarray, buckets: int) -> np.ndarray:
    """Bucket of each (band, band hash): rows that may match always share a bucket."""
    with np.errstate(over="ignore"):
        mixed = band_hash ^ (band.astype(np.uint64) * _MIX_MUL)
        mixed ^= mixed >> np.uint64(31)
    return (mixed % np.uint64(buckets)).astype(np.int64)


def candidate_pairs(band: np.ndarray, band_hash: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(m, 2) int64 id pairs that share a band hash in the same band (each group as a star to
    its smallest id, enough for connected components). Vectorised: sort, then compare runs."""
    if len(ids) < 2:
        return np.zeros((0, 2), np.int64)
    order = np.lexsort((ids, band_hash, band))
    b, h, i = band[order], band_hash[order], ids[order]
    new_group = np.ones(len(i), bool)
    new_group[1:] = (b[1:] != b[:-1]) | (h[1:] != h[:-1])
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(i)), 0))
    member = ~new_group
    pairs = np.stack([i[group_start[member]], i[member]], axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0) if len(pairs) else pairs.astype(np.int64)


def group_pairs(
    band: np.ndarray, band_hash: np.ndarray, ids: np.ndarray, max_group: int = 32, with_star: bool = False
):
    """All id pairs inside each band group of at most ``max_group`` members, star pairs in
    larger groups: the pairs to verify when candidates are checked pair by pair. Sorted
    ``(smaller, larger)`` pairs, each once. Vectorised: sort, then expand each group's pairs.
    With ``with_star``, also a mask of the pairs that are star pairs of some larger group."""
    if len(ids) < 2:
        empty = np.zeros((0, 2), np.int64)
        return (empty, np.zeros(0, bool)) if with_star else empty
    order = np.lexsort((ids, band_hash, band))
    b, h, i = band[order], band_hash[order], np.asarray(ids)[order].astype(np.int64)
    same = (b[1:] == b[:-1]) & (h[1:] == h[:-1])
    repeated = np.r_[False, same & (i[1:] == i[:-1])]  # an id twice in one group counts once
    if repeated.any():
        b, h, i = b[~repeated], h[~repeated], i[~repeated]
        same = (b[1:] == b[:-1]) & (h[1:] == h[:-1])
    starts = np.flatnonzero(np.r_[True, ~same])
    sizes = np.diff(np.r_[starts, len(i)])
    group_end = np.repeat(starts + sizes, sizes)
    small = np.repeat((sizes > 1) & (sizes <= max_group), sizes)
    # Small groups: member at position p pairs with every later member of its group.
    first = np.flatnonzero(small)
    later = group_end[first] - first - 1
    a_pos = np.repeat(first, later)
    b_pos = a_pos + 1 + _counting(later)
    # Large groups: every member but the first pairs with the first (the smallest id).
    large = np.flatnonzero(sizes > max_group)
    star_first = np.repeat(starts[large], sizes[large] - 1)
    members = star_first + 1 + _counting(sizes[large] - 1)
    pairs = np.stack([np.r_[i[a_pos], i[star_first]], np.r_[i[b_pos], i[members]]], axis=1)
    is_star = np.r_[np.zeros(len(a_pos), bool), np.ones(len(members), bool)]
    real = pairs[:, 0] != pairs[:, 1]
    pairs, is_star = np.sort(pairs[real], axis=1), is_star[real]
    out = _unique_pairs(pairs) if len(pairs) else pairs
    if not with_star:
        return out
    star = np.zeros(len(out), bool)
    if is_star.any():
        span = int(out[:, 1].max()) + 1
        star = np.isin(out[:, 0] * span + out[:, 1], pairs[is_star, 0] * span + pairs[is_star, 1])
    return out, star


def _counting(counts: np.ndarray) -> np.ndarray:
    """0, 1, .., counts[0] - 1, 0, 1, .., counts[1] - 1, ... (one run per count)."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _unique_pairs(pairs: np.ndarray) -> np.ndarray:
    """Distinct rows of an (m, 2) int64 array, sorted (as ``np.unique(axis=0)``, faster)."""
    lo, hi = pairs.min(axis=0), pairs.max(axis=0)
    span = int(hi[1] - lo[1]) + 1
    if (int(hi[0] - lo[0]) + 1) * span >= 1 << 62:
        return np.unique(pairs, axis=0)
    keys = np.unique((pairs[:, 0] - lo[0]) * span + (pairs[:, 1] - lo[1]))
    return np.stack([keys // span + lo[0], keys % span + lo[1]], axis=1)
