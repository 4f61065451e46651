"""Near-duplicate detection over a text collection (the ``loomery dedup`` command's logic).

The collection is cut into chunks. For each chunk, :meth:`~TextCollectionDedup.sign_chunk`
shingles and hashes the whole chunk at once (:mod:`filters.dedup.shingle_batch`), computes
MinHash signatures and LSH band rows, and saves the signatures and each document's shingle
hashes beside them as .npy files, so that verification later maps them and touches only
candidate documents. ``TextCollectionDedup`` is a :class:`~engine.stage.GlobalStage`: its
``decide`` finds candidate pairs in one bucket of band rows, keeps those whose first shared band
is in that bucket (so a pair is checked once, not once per bucket it shares a band in) and
verifies them by exact Jaccard over the saved shingle hashes (or by the MinHash estimate); its
``combine`` builds the duplicate graph and picks one keeper per cluster.

Record keys are the documents' global positions (as strings), so duplicate ids in the input
cannot merge two documents. No Ray here: the command schedules these functions.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine import columns as C
from engine.stage import GlobalStage
from filters.dedup.collection_read import Chunk, read_chunk
from filters.dedup.graph import KEEP_POLICIES, cluster_nodes
from filters.dedup.lsh import band_hashes, bucket_of, group_pairs, lsh_param
from filters.dedup.minhash import MinHasher, jaccard_estimate
from filters.dedup.shingle_batch import shingle_hashes

VERIFY_MODES = ("exact", "minhash", "none")


class TextCollectionDedup(GlobalStage):
    """MinHash LSH dedup of a chunked text collection, verified from files in ``work_dir``."""

    name = "text_dedup"

    def __init__(
        self,
        work_dir: str,
        *,
        threshold: float = 0.8,
        num_perm: int = 128,
        seed: int = 1,
        ngram: int = 5,
        shingle_unit: str = "word",
        verify: str = "exact",
        keep: str = "first",
        buckets: int = 16,
        false_positive_weight: float | None = None,
        false_negative_weight: float | None = None,
    ):
        super().__init__()
        if verify not in VERIFY_MODES:
            raise ValueError(f"verify must be one of {VERIFY_MODES}, not {verify!r}")
        if keep not in ("first", "longest"):
            raise ValueError(f"keep must be 'first' or 'longest' for a text collection ({KEEP_POLICIES})")
        self.work_dir, self.threshold, self.num_perm, self.seed = (
            work_dir,
            threshold,
            num_perm,
            seed,
        )
        self.ngram, self.shingle_unit, self.verify, self.keep = ngram, shingle_unit, verify, keep
        self.buckets = buckets
        self.bands, self.rows = lsh_param(
            threshold, num_perm, verify != "none", false_positive_weight, false_negative_weight
        )

    def read_and_sign(self, chunk: Chunk, id_field: str, text_field: str, table: pa.Table | None = None):
        """(ids, lengths, band rows) of one chunk: see :func:`read_chunk`, :meth:`sign_chunk`."""
        ids, texts = read_chunk(chunk, id_field, text_field, table)
        lengths = [len(t or "") for t in texts]
        return ids, lengths, self.sign_chunk(chunk, texts)

    def _side_dir(self, unit: int) -> Path:
        return Path(self.work_dir) / "shingles" / f"{unit:06d}"

    def sign_chunk(self, chunk: Chunk, texts: list[str | None]) -> pa.Table:
        """Band rows of a chunk (bucket, band, band_hash, length, _unit, _seq), sorted by bucket
        then seq; saves what the verification needs (each document's shingle hashes or
        signature) beside them."""
        hv, counts = shingle_hashes(texts, self.ngram, self.shingle_unit)
        sigs = MinHasher(self.num_perm, self.seed).signatures_from_hashes(hv, counts)
        self._save_side(chunk.index, chunk.first_seq, hv, counts, sigs)
        idx = np.flatnonzero(counts > 0)
        hashes = band_hashes(sigs[idx], self.bands, self.rows).reshape(-1)
        band = np.tile(np.arange(self.bands, dtype=np.int32), len(idx))
        bucket = bucket_of(hashes, band, self.buckets)
        order = np.argsort(bucket, kind="stable")  # by bucket, then input order as generated
        row = np.repeat(idx, self.bands)[order]
        lengths = np.fromiter(map(len, (t or "" for t in texts)), np.int64, len(texts))
        return pa.table(
            {
                "bucket": pa.array(bucket[order], pa.int64()),
                "band": pa.array(band[order], pa.int32()),
                "band_hash": pa.array(hashes[order], pa.uint64()),
                "length": pa.array(lengths[row], pa.int64()),
                C.UNIT: pa.array(np.full(len(row), chunk.index), pa.int64()),
                C.SEQ: pa.array(chunk.first_seq + row, pa.int64()),
            }
        )

    def _save_side(self, unit, first_seq, hv: np.ndarray, counts: np.ndarray, sigs) -> None:
        """``shingles/UNIT/``: first_seq, the signatures and, for exact verification, each
        document's shingle hashes (hashes, offsets); plain .npy files, so that the global step
        maps them and reads only the rows of the documents it checks."""
        arrays = {"first_seq": np.array([first_seq], np.int64), "sigs": sigs}
        if self.verify == "exact":
            arrays["hashes"] = hv.astype(np.uint32)
            arrays["offsets"] = np.r_[0, np.cumsum(counts)].astype(np.int64)
        path = self._side_dir(unit)
        if path.exists():  # written by an earlier run of this chunk: the same arrays
            return
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        tmp.mkdir(parents=True)
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", array)
        try:
            os.rename(tmp, path)
        except OSError:  # another attempt of this chunk published it first
            shutil.rmtree(tmp, ignore_errors=True)

    def decide(self, signatures: pa.Table) -> pa.Table:
        """Candidate pairs of one bucket, verified; columns a, b (seqs), similarity, lengths.

        Two documents that share several bands are candidates in each of those bands' buckets;
        a pair is checked only in the bucket of the first band they share (found from their
        signatures), so it is verified once in all, except star pairs of groups over
        ``max_group`` members, checked wherever they come up. (A pair whose first shared band
        falls in such a group, and that is not one of its star pairs, is then not checked;
        both its documents are checked against that group's first member.)"""
        seq = signatures[C.SEQ].to_numpy()
        pairs, star = group_pairs(
            signatures["band"].to_numpy(), signatures["band_hash"].to_numpy(), seq, with_star=True
        )
        # Per document (not per band row): its unit and length, looked up by seq.
        docs, first_row = np.unique(seq, return_index=True)
        unit = signatures[C.UNIT].to_numpy()[first_row]
        length = signatures["length"].to_numpy()[first_row]
        at = np.searchsorted(docs, pairs)  # (m, 2) positions of each pair's documents
        side = _SideData(self, unit[at], pairs)
        if len(pairs):
            bucket = int(signatures["bucket"][0].as_py())
            mine = star | (self._first_shared_bucket(side.signatures()) == bucket)
            pairs, at, side = pairs[mine], at[mine], side.subset(mine)
        sim = self._similarity(side)
        ok = sim >= self.threshold if self.verify != "none" else np.ones(len(pairs), bool)
        pairs, sim, at = pairs[ok], sim[ok], at[ok]
        return pa.table(
            {
                "key": _int_keys(pairs[:, 0]),
                "a": pa.array(pairs[:, 0], pa.int64()),
                "b": pa.array(pairs[:, 1], pa.int64()),
                "similarity": pa.array(sim, pa.float64()),
                "a_length": pa.array(length[at[:, 0]], pa.int64()),
                "b_length": pa.array(length[at[:, 1]], pa.int64()),
            }
        )

    def _first_shared_bucket(self, sig: np.ndarray) -> np.ndarray:
        """Bucket of the first band in which both documents of each pair ((m, 2, num_perm)
        signatures) agree; -1 where none does (band hashes equal by collision only)."""
        b, r = self.bands, self.rows
        same = (sig[:, 0, : b * r] == sig[:, 1, : b * r]).reshape(len(sig), b, r).all(axis=2)
        band = same.argmax(axis=1)
        hashes = band_hashes(sig[:, 0], b, r)[np.arange(len(sig)), band]
        return np.where(same.any(axis=1), bucket_of(hashes, band, self.buckets), -1)

    def _similarity(self, side: _SideData) -> np.ndarray:
        """Jaccard similarity (exact, or the MinHash estimate) of each pair of ``side``."""
        if self.verify == "none" or not side.size:
            return np.ones(side.size)
        if self.verify == "minhash":
            sig = side.signatures()
            return jaccard_estimate(sig[:, 0], sig[:, 1])
        hashes, offsets, index = side.shingle_sets()
        out = np.empty(side.size)
        concatenate, count = np.concatenate, np.count_nonzero
        spans = np.c_[offsets[index], offsets[index + 1]][:, [0, 2, 1, 3]].tolist()
        for i, (a_lo, a_hi, b_lo, b_hi) in enumerate(spans):
            both = concatenate((hashes[a_lo:a_hi], hashes[b_lo:b_hi]))
            both.sort()
            inter = count(both[1:] == both[:-1])  # each set holds distinct hashes
            out[i] = inter / (len(both) - inter)
        return out

    def combine(self, decisions: list[pa.Table]) -> pa.Table:
        """The duplicate graph over every bucket's verified edges: one row per document in a
        cluster (key, reason, dup_of, score, threshold, cluster, cluster_size)."""
        edges = [t for t in decisions if t.num_rows and "a" in t.column_names]
        if not edges:
            return pa.table(
                {
                    "key": pa.array([], pa.string()),
                    "reason": pa.array([], pa.string()),
                    "dup_of": pa.array([], pa.string()),
                    "score": pa.array([], pa.float64()),
                    "threshold": pa.array([], pa.float64()),
                    "cluster": pa.array([], pa.int64()),
                    "cluster_size": pa.array([], pa.int64()),
                }
            )
        table = pa.concat_tables(edges)
        a, b = table["a"].to_numpy(), table["b"].to_numpy()
        nodes, inverse = np.unique(np.r_[a, b], return_inverse=True)
        ia, ib = inverse[: len(a)], inverse[len(a) :]
        length = np.zeros(len(nodes), np.int64)
        length[ia], length[ib] = table["a_length"].to_numpy(), table["b_length"].to_numpy()
        if self.keep == "first":
            rank = np.arange(len(nodes))  # nodes are sorted input positions
        else:
            rank = np.empty(len(nodes), np.int64)
            rank[np.lexsort((nodes, -length))] = np.arange(len(nodes))
        clusters = cluster_nodes(ia, ib, rank)
        best = np.full(len(nodes), np.nan)
        sim = table["similarity"].to_numpy()
        np.fmax.at(best, ia, sim)
        np.fmax.at(best, ib, sim)
        dup = clusters.is_duplicate
        keeper = nodes[clusters.keeper]
        return pa.table(
            {
                "key": _int_keys(nodes),
                "reason": pa.array(["near_duplicate" if d else None for d in dup.tolist()], pa.string()),
                "dup_of": _int_keys(keeper, mask=~dup),
                "score": pa.array(best, pa.float64(), mask=~dup),
                "threshold": pa.array(np.full(len(nodes), self.threshold), pa.float64()),
                "cluster": pa.array(clusters.cluster, pa.int64()),
                "cluster_size": pa.array(np.bincount(clusters.cluster)[clusters.cluster], pa.int64()),
            }
        )


class _SideData:
    """The saved side arrays of the documents of m pairs of seqs ``pairs``, whose units are
    ``units`` (both (m, 2)), mapped from ``shingles/UNIT/``."""

    def __init__(self, stage: TextCollectionDedup, units: np.ndarray, pairs: np.ndarray):
        self.known = np.unique(units)
        self.arrays = [
            {f.stem: np.asarray(np.load(f, mmap_mode="r")) for f in stage._side_dir(int(u)).glob("*.npy")}
            for u in self.known
        ]
        self.which = np.searchsorted(self.known, units)  # (m, 2) index into arrays
        first_seq = np.array([a["first_seq"][0] for a in self.arrays], np.int64)
        self.rows = pairs - first_seq[self.which] if len(self.known) else pairs
        self.num_perm = stage.num_perm

    @property
    def size(self) -> int:
        return len(self.rows)

    def subset(self, keep: np.ndarray) -> _SideData:
        out = object.__new__(_SideData)
        out.__dict__.update(self.__dict__, which=self.which[keep], rows=self.rows[keep])
        return out

    def signatures(self) -> np.ndarray:
        """(m, 2, num_perm) signatures of the pairs' documents."""
        sig = np.empty((*self.rows.shape, self.num_perm), np.uint32)
        for k, arrays in enumerate(self.arrays):
            here = self.which == k
            sig[here] = arrays["sigs"][self.rows[here]]
        return sig

    def shingle_sets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hashes, offsets, index): each distinct document's sorted distinct shingle hashes are
        ``hashes[offsets[d] : offsets[d + 1]]``; ``index`` ((m, 2)) is each pair's two ds."""
        key = self.which.astype(np.int64) << 40 | self.rows
        distinct, index = np.unique(key, return_inverse=True)
        parts, sizes = [], []
        for k, arrays in enumerate(self.arrays):
            rows = distinct[(distinct >> 40) == k] & ((1 << 40) - 1)
            hashes, per_doc = _sorted_sets(arrays["hashes"], arrays["offsets"], rows)
            parts.append(hashes)
            sizes.append(per_doc)
        sizes = np.concatenate(sizes) if sizes else np.zeros(0, np.int64)
        offsets = np.r_[0, np.cumsum(sizes)]
        return (np.concatenate(parts) if parts else np.zeros(0, np.uint32)), offsets, index.reshape(key.shape)


def _sorted_sets(values: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct ``values[offsets[r] : offsets[r + 1]]`` of each row r of ``rows``, end
    to end, and how many each row has: all rows in one sort."""
    lo, hi = offsets[rows], offsets[rows + 1]
    n = hi - lo
    gather = np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
    keys = np.repeat(np.arange(len(rows), dtype=np.uint64), n) << np.uint64(32)
    keys |= values[gather].astype(np.uint64)
    keys.sort()
    first = np.ones(len(keys), bool)
    first[1:] = keys[1:] != keys[:-1]
    keys = keys[first]
    sizes = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=len(rows))
    return (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32), sizes


def _int_keys(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Integers as string keys (null where ``mask``), without a Python loop."""
    return pc.cast(pa.array(np.asarray(values, np.int64), pa.int64(), mask=mask), pa.string())
