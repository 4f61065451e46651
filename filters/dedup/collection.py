"""Near-duplicate detection over a text collection (the ``loomery dedup`` command's logic).

The collection is cut into chunks. For each chunk, :func:`sign_chunk` computes MinHash
signatures and LSH band rows, and saves each document's sorted shingle hashes (and signature)
beside them, so that verification later touches only candidate documents. ``TextCollectionDedup``
is a :class:`~engine.stage.GlobalStage`: its ``decide`` finds candidate pairs in one bucket of
band rows and verifies them by exact Jaccard over the saved shingle hashes (or by the MinHash
estimate); its ``combine`` builds the duplicate graph and picks one keeper per cluster.

Record keys are the documents' global positions (as strings), so duplicate ids in the input
cannot merge two documents. No Ray here: the command schedules these functions.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine import columns as C
from engine.stage import GlobalStage
from filters.dedup.graph import KEEP_POLICIES, cluster_nodes
from filters.dedup.lsh import band_hashes, bucket_of, group_pairs, lsh_param
from filters.dedup.minhash import MinHasher, jaccard_estimate, sha1_hash32_many, shingle

VERIFY_MODES = ("exact", "minhash", "none")


@dataclass(frozen=True)
class Chunk:
    """Rows ``[start, stop)`` of one input file (bytes ``[start, stop)`` of a JSONL file),
    whose first document is number ``first_seq`` of the collection."""

    index: int
    path: str
    start: int
    stop: int
    first_seq: int
    rows: int


def plan_chunks(paths: list[str], chunk_rows: int) -> list[Chunk]:
    """Cut Parquet files by rows and JSONL files by line boundaries into chunks."""
    chunks: list[Chunk] = []
    seq = 0
    for path in paths:
        if path.endswith(".parquet"):
            total = pq.ParquetFile(path).metadata.num_rows
            spans = [(s, min(s + chunk_rows, total), min(chunk_rows, total - s)) for s in range(0, total, chunk_rows)]
        else:
            spans = _jsonl_spans(path, chunk_rows)
        for start, stop, rows in spans:
            chunks.append(Chunk(len(chunks), path, start, stop, seq, rows))
            seq += rows
    return chunks


def _jsonl_spans(path: str, chunk_rows: int) -> list[tuple[int, int, int]]:
    """(byte start, byte stop, lines) spans of ``chunk_rows`` non-empty lines each."""
    data = np.fromfile(path, dtype=np.uint8)
    ends = np.flatnonzero(data == 10) + 1
    if len(data) and data[-1] != 10:
        ends = np.append(ends, len(data))
    starts = np.r_[0, ends[:-1]]
    non_empty = ends - starts > 1
    starts, ends = starts[non_empty], ends[non_empty]
    return [
        (
            int(starts[i]),
            int(ends[min(i + chunk_rows, len(ends)) - 1]),
            min(chunk_rows, len(ends) - i),
        )
        for i in range(0, len(ends), chunk_rows)
    ]


def read_chunk(chunk: Chunk, id_field: str, text_field: str) -> tuple[list, list[str | None]]:
    """(ids, texts) of a chunk's documents, in input order. A line that is not a JSON object
    keeps its place with a None id and text (so it can never be a duplicate)."""
    if chunk.path.endswith(".parquet"):
        table = _read_rows(chunk.path, chunk.start, chunk.stop, [id_field, text_field])
        return table[id_field].to_pylist(), [_text(t) for t in table[text_field].to_pylist()]
    with open(chunk.path, "rb") as f:
        f.seek(chunk.start)
        lines = f.read(chunk.stop - chunk.start).splitlines()
    ids, texts = [], []
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            record = {}
        ids.append(record.get(id_field))
        texts.append(_text(record.get(text_field)))
    return ids, texts


def _read_rows(path: str, start: int, stop: int, columns: list[str]) -> pa.Table:
    """Rows [start, stop) of a Parquet file, reading only the row groups that hold them."""
    f = pq.ParquetFile(path)
    groups, first, offset = [], None, 0
    for g in range(f.metadata.num_row_groups):
        size = f.metadata.row_group(g).num_rows
        if offset < stop and offset + size > start:
            groups.append(g)
            first = offset if first is None else first
        offset += size
    if not groups:
        return f.schema_arrow.empty_table().select(columns)
    return f.read_row_groups(groups, columns=columns).slice(start - first, stop - start)


def _text(value) -> str | None:
    if isinstance(value, list):
        return " ".join(v for v in value if isinstance(v, str)) or None
    return value if isinstance(value, str) else None


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

    def read_and_sign(self, chunk: Chunk, id_field: str, text_field: str):
        """(ids, lengths, band rows) of one chunk: see :func:`read_chunk`, :meth:`sign_chunk`."""
        ids, texts = read_chunk(chunk, id_field, text_field)
        lengths = [len(t or "") for t in texts]
        return ids, lengths, self.sign_chunk(chunk, texts)

    def _side_file(self, unit: int) -> Path:
        return Path(self.work_dir) / "shingles" / f"{unit:06d}.npz"

    def sign_chunk(self, chunk: Chunk, texts: list[str | None]) -> pa.Table:
        """Band rows of a chunk (key, bucket, band, band_hash, length, _unit, _seq); saves the
        chunk's shingle hashes and signatures for verification."""
        token_lists = [shingle(t, self.ngram, self.shingle_unit) for t in texts]
        counts = np.fromiter(map(len, token_lists), np.int64, len(token_lists))
        hv = sha1_hash32_many([tok for tokens in token_lists for tok in tokens])
        sigs = MinHasher(self.num_perm, self.seed).signatures_from_hashes(hv, counts)
        self._save_side(chunk.index, chunk.first_seq, hv, counts, sigs)
        idx = np.flatnonzero(counts > 0)
        hashes = band_hashes(sigs[idx], self.bands, self.rows).reshape(-1)
        row = np.repeat(idx, self.bands)
        band = np.tile(np.arange(self.bands, dtype=np.int32), len(idx))
        seq = chunk.first_seq + row
        lengths = np.array([len(t or "") for t in texts], np.int64)
        return pa.table(
            {
                "key": _int_keys(seq),
                "bucket": pa.array(bucket_of(hashes, band, self.buckets), pa.int64()),
                "band": pa.array(band, pa.int32()),
                "band_hash": pa.array(hashes, pa.uint64()),
                "length": pa.array(lengths[row], pa.int64()),
                C.UNIT: pa.array(np.full(len(row), chunk.index), pa.int64()),
                C.SEQ: pa.array(seq, pa.int64()),
            }
        )

    def _save_side(self, unit, first_seq, hv: np.ndarray, counts: np.ndarray, sigs) -> None:
        # Sorted unique hashes per document, all documents at once.
        doc = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
        combined = np.sort((doc << np.uint64(32)) | hv.astype(np.uint64))
        first = np.ones(len(combined), bool)
        first[1:] = combined[1:] != combined[:-1]
        combined = combined[first]
        hashes = (combined & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        per_doc = np.bincount((combined >> np.uint64(32)).astype(np.int64), minlength=len(counts))
        offsets = np.r_[0, np.cumsum(per_doc)]
        path = self._side_file(unit)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.npz")
        np.savez(
            tmp,
            hashes=hashes,
            offsets=offsets.astype(np.int64),
            sigs=sigs,
            first_seq=first_seq,
        )
        os.replace(tmp, path)

    def decide(self, signatures: pa.Table) -> pa.Table:
        """Candidate pairs of one bucket, verified; columns a, b (seqs), similarity, lengths."""
        seq = signatures[C.SEQ].to_numpy()
        pairs = group_pairs(signatures["band"].to_numpy(), signatures["band_hash"].to_numpy(), seq)
        units = dict(zip(seq.tolist(), signatures[C.UNIT].to_numpy().tolist(), strict=True))
        lengths = dict(zip(seq.tolist(), signatures["length"].to_numpy().tolist(), strict=True))
        sim = self._similarity(pairs, units)
        ok = sim >= self.threshold if self.verify != "none" else np.ones(len(pairs), bool)
        pairs, sim = pairs[ok], sim[ok]
        return pa.table(
            {
                "key": _int_keys(pairs[:, 0]),
                "a": pa.array(pairs[:, 0], pa.int64()),
                "b": pa.array(pairs[:, 1], pa.int64()),
                "similarity": pa.array(sim, pa.float64()),
                "a_length": pa.array([lengths[x] for x in pairs[:, 0]], pa.int64()),
                "b_length": pa.array([lengths[x] for x in pairs[:, 1]], pa.int64()),
            }
        )

    def _similarity(self, pairs: np.ndarray, units: dict[int, int]) -> np.ndarray:
        if self.verify == "none" or not len(pairs):
            return np.ones(len(pairs))
        loaded: dict[int, dict[str, np.ndarray]] = {}

        def locate(s: int) -> tuple[dict[str, np.ndarray], int]:
            unit = units[s]
            if unit not in loaded:
                with np.load(self._side_file(unit)) as z:
                    loaded[unit] = {k: z[k] for k in z.files}
            return loaded[unit], s - int(loaded[unit]["first_seq"])

        out = np.empty(len(pairs))
        for i, (a, b) in enumerate(pairs.tolist()):
            (za, ra), (zb, rb) = locate(a), locate(b)
            if self.verify == "minhash":
                out[i] = jaccard_estimate(za["sigs"][ra], zb["sigs"][rb])
                continue
            sa = za["hashes"][za["offsets"][ra] : za["offsets"][ra + 1]]
            sb = zb["hashes"][zb["offsets"][rb] : zb["offsets"][rb + 1]]
            inter = len(np.intersect1d(sa, sb, assume_unique=True))
            out[i] = inter / (len(sa) + len(sb) - inter)
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


def _int_keys(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Integers as string keys (null where ``mask``), without a Python loop."""
    return pc.cast(pa.array(np.asarray(values, np.int64), pa.int64(), mask=mask), pa.string())
