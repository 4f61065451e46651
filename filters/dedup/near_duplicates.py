"""NearDuplicates, the global dedup stage: one duplicate graph across captions, images and embeddings.

``NearDuplicates`` emits band rows for each signal (see :mod:`filters.dedup.signals`) in
``signature``; ``decide`` finds and verifies candidate pairs inside one bucket (the global step's
logic lives in :mod:`filters.dedup.decisions`, this module wires it to the config); the runner joins
every signal's edges into one graph (connected components as Ray tasks, nothing gathered on the
driver) and ``cluster_decisions`` keeps one record per component. ``combine`` does the same in
one process, for tests and small graphs. Rejected records carry ``dup_of`` (their keeper's key)
and ``dup_cluster``; keepers of a cluster get ``dup_cluster`` too (rows with a null reason).

What travels (``payloads = True``): a record has about 21 band rows in the pairs job (16 text, 5
image), each hashed to its own bucket. The runner cuts them with :meth:`NearDuplicates.split_payloads`:
band rows keep (key, bucket, signal, band, band_hash, pri, seq, unit), about 60 bytes each, and
the payload (512-byte MinHash signature, 8-byte pHash, embedding) is written once per record and
signal into seq-hash partition files; ``decide`` finds candidate pairs from band rows alone and
the runner's verify step (:mod:`engine.runner.global_verify`) joins them with both payloads and
calls :meth:`NearDuplicates.check_pairs`. Per record that is ~21 * 60 + 550 bytes written instead
of ~16 * 580 + 5 * 80 (measured by ``bench/scale.py --bands 16``: 1.56 KB against 9.27 KB per
record of 16 text bands written, 2.15 KB against 9.32 KB read by the step), in exchange for 2 * U
* P more file opens (the payload partitions, read by two tasks each) and the candidate pairs
crossing the object store twice. The alternative of keeping the payload in one band row per
bucket saves nothing: a record's bands hash to different buckets (21 bands in 200,000 buckets at
1B records almost never share one). The edges, hence the decisions, are those of checking each
bucket's pairs on its own rows' payloads: a pair's similarity depends on its two records only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from engine import columns as C
from engine.stage import ClusterStage, Resources
from filters.dedup.decisions import (  # noqa: F401  (re-exported: their home before the split)
    EDGE_SCHEMA,
    REASON,
    _payload_matrix,
    bucket_candidates,
    bucket_edges,
    cluster_rows_to_decisions,
    clusters_to_decisions,
    edge_endpoints,
    verify_candidates,
)
from filters.dedup.graph import KEEP_POLICIES
from filters.dedup.lsh import bucket_of
from filters.dedup.minhash import sha1_hash32_many
from filters.dedup.phash import phash_many
from filters.dedup.signals import BandRows, EmbeddingSignal, ImageSignal, TextSignal, UrlSetSignal


@dataclass(frozen=True)
class NearDupConfig:
    r"""How near a duplicate is, which record of a cluster is kept, and how the global step is cut.

    ``threshold``: Jaccard bound of caption shingles (``ngram`` ``shingle_unit``\s, ``num_perm``
    MinHash permutations from ``seed``; ``verify``: check candidate pairs on their signatures);
    ``image_max_bits``: pHash distance of duplicate images; ``embedding_threshold``: cosine bound
    of duplicate embeddings; ``keep``: ``first`` | ``score`` (highest ``score_column``) |
    ``longest`` (longest text); ``buckets``: the least number of buckets; ``records_per_bucket``:
    more buckets for larger runs, so that one bucket's band rows stay a few tens of MB whatever
    the run's size (in one process each carries its record's payload; in a run, see the module
    docstring). ``verify`` may also be
    ``"exact"``, ``"minhash"`` or ``"none"`` (see :class:`~filters.dedup.signals.TextSignal`):
    ``"exact"`` carries each text's shingle hashes in its band rows, or with ``shingle_dir`` saves
    them once per text in that folder, which every worker must be able to read (see
    :mod:`filters.dedup.shingle_store`).
    """

    threshold: float = 0.8
    num_perm: int = 128
    seed: int = 1
    ngram: int = 5
    shingle_unit: str = "word"
    verify: bool | str = True
    image_max_bits: int = 4
    embedding_threshold: float = 0.95
    keep: str = "first"
    buckets: int = 16
    records_per_bucket: int | None = 5000
    shingle_dir: str | None = None


class NearDuplicates(ClusterStage):
    """Near-duplicate records by caption MinHash, image pHash and (optionally) embeddings, in
    one graph with one keeper per cluster.

    The signals: ``text_column`` (caption/text; None: no text signal), ``image`` (hash the
    encoded bytes of ``image_column``), ``embedding_column`` (a list<float> column, CLIP),
    ``image_urls_column`` (a list<string> column, OBELICS' same-URL-set signal). ``score_column``
    ranks a cluster's records for ``keep="score"``. Thresholds, keep policy and bucketing are in
    ``config`` (:class:`NearDupConfig`).
    ``reject=False`` rejects nothing: every record of a cluster keeps its row and gets
    ``dup_of_key`` (its keeper's key; null for the keeper) and ``dup_similarity`` besides
    ``dup_cluster`` and ``dup_cluster_size`` (``loomery dedup``'s duplicates sink lists them).
    """

    name = "near_duplicates"
    payloads = True  # each record's payload is written once, not in each of its ~21 band rows

    def __init__(
        self,
        *,
        text_column: str | None = "caption",
        image: bool = True,
        image_column: str = "image",
        embedding_column: str | None = None,
        image_urls_column: str | None = None,
        score_column: str | None = None,
        config: NearDupConfig | None = None,
        reject: bool = True,
        name: str | None = None,
        resources: Resources | None = None,
    ):
        super().__init__(name=name, resources=resources)
        c = config or NearDupConfig()
        self.records_per_bucket, self.reject, self.shingle_dir = c.records_per_bucket, reject, c.shingle_dir
        if c.keep not in KEEP_POLICIES:
            raise ValueError(f"keep must be one of {KEEP_POLICIES}, not {c.keep!r}")
        if c.keep == "score" and not score_column:
            raise ValueError("keep='score' needs score_column")
        # the settings stay attributes (in this order): the manifest records them as before
        self.text_column, self.threshold, self.num_perm = text_column, c.threshold, c.num_perm
        self.seed, self.ngram, self.shingle_unit, self.verify = c.seed, c.ngram, c.shingle_unit, c.verify
        self.image, self.image_column, self.image_max_bits = image, image_column, c.image_max_bits
        self.embedding_column, self.embedding_threshold = embedding_column, c.embedding_threshold
        self.image_urls_column = image_urls_column
        self.keep, self.score_column, self.buckets = c.keep, score_column, c.buckets
        self._signals = {}
        if text_column:
            self._signals["text"] = TextSignal(c.threshold, c.num_perm, c.seed, c.ngram, c.shingle_unit, c.verify,
                                              c.shingle_dir)
        if image:
            self._signals["image"] = ImageSignal(c.image_max_bits)
        if embedding_column:
            self._signals["embedding"] = EmbeddingSignal(c.embedding_threshold)
        if image_urls_column:
            self._signals["urlset"] = UrlSetSignal()

    # phase 1 -------------------------------------------------------------------------------
    def _texts(self, batch: pa.Table) -> list[str | None]:
        column = batch[self.text_column].combine_chunks()
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            # Documents: the text of all their paragraphs.
            return [" ".join(t for t in texts if t) if texts else None for texts in column.to_pylist()]
        return column.to_pylist()

    def _priority(self, batch: pa.Table) -> np.ndarray:
        """Per record: smaller is kept first (ties broken by input order)."""
        if self.keep == "score":
            score = batch[self.score_column].to_numpy(zero_copy_only=False).astype(np.float64)
            return -np.nan_to_num(score, nan=-np.inf)
        if self.keep == "longest" and self.text_column:
            return -np.array([len(t or "") for t in self._texts(batch)], np.float64)
        return np.zeros(batch.num_rows)

    def _band_rows(self, batch: pa.Table) -> dict[str, BandRows]:
        out = {}
        for name, signal in self._signals.items():
            if name == "text":
                out[name] = signal.band_rows(self._texts(batch), _seqs(batch))
            elif name == "image" and self.image_column in batch.column_names:
                hashes, valid = phash_many(batch[self.image_column].to_pylist())
                out[name] = signal.band_rows_from_hashes(hashes, valid)
            elif name == "embedding" and self.embedding_column in batch.column_names:
                column = batch[self.embedding_column].to_pylist()
                valid = np.array([v is not None and len(v) > 0 for v in column])
                dim = max((len(v) for v in column if v), default=1)
                vectors = np.zeros((len(column), dim), np.float32)
                for i, v in enumerate(column):
                    if v and len(v) == dim:
                        vectors[i] = v
                out[name] = signal.band_rows_from_vectors(vectors, valid)
            elif name == "urlset":
                out[name] = signal.band_rows_from_lists(batch[self.image_urls_column].to_pylist())
        return out

    def signature(self, batch: pa.Table) -> pa.Table:
        """Band rows: ``key``, ``bucket``, ``signal``, ``band``, ``band_hash``, ``payload``,
        ``pri`` (and ``_seq``/``_unit`` copied from the batch when present)."""
        pri = self._priority(batch)
        seq = _seqs(batch)
        tables = []
        for name, rows in self._band_rows(batch).items():
            if not len(rows.row):
                continue
            signal_code = int(sha1_hash32_many([name.encode()])[0])
            salt = rows.band.astype(np.int64) + signal_code
            buckets = bucket_of(rows.band_hash, salt, self.bucket_count)
            cols = {
                "key": batch["key"].take(pa.array(rows.row)),
                "bucket": pa.array(buckets, pa.int64()),
                "signal": pa.array([name] * len(rows.row), pa.string()),
                "band": pa.array(rows.band, pa.int32()),
                "band_hash": pa.array(rows.band_hash, pa.uint64()),
                "payload": _binary_rows(rows.payload),
                "pri": pa.array(pri[rows.row], pa.float64()),
                C.SEQ: pa.array(np.asarray(seq)[rows.row], pa.int64()),
            }
            if C.UNIT in batch.column_names:
                cols[C.UNIT] = batch[C.UNIT].take(pa.array(rows.row))
            tables.append(pa.table(cols))
        if not tables:
            return _empty_signatures(C.UNIT in batch.column_names)
        return pa.concat_tables(tables)

    def split_payloads(self, signatures: pa.Table) -> tuple[pa.Table, pa.Table]:
        """(band rows without ``payload``, one payload row per record and signal: ``_seq``,
        ``signal``, ``payload``): what the runner writes when band rows would repeat a record's
        payload in each of its bands (16 text and 5 image bands by default)."""
        if "payload" not in signatures.column_names:
            return signatures, _empty_payloads()
        seq = signatures[C.SEQ].to_numpy()
        _, code = np.unique(signatures["signal"].to_numpy(zero_copy_only=False), return_inverse=True)
        order = np.lexsort((seq, code))
        first = order[np.r_[True, (np.diff(seq[order]) != 0) | (np.diff(code[order]) != 0)]]
        payloads = signatures.select([C.SEQ, "signal", "payload"]).take(pa.array(first))
        return signatures.drop_columns(["payload"]), payloads

    # global step ---------------------------------------------------------------------------
    def decide(self, signatures: pa.Table) -> pa.Table:
        """Verified candidate edges among the band rows of one bucket; band rows without a
        ``payload`` (see :meth:`split_payloads`) give the candidate pairs, for :meth:`check_pairs`."""
        if "payload" not in signatures.column_names:
            return bucket_candidates(signatures, self._signals)
        return bucket_edges(signatures, self._signals)

    def check_pairs(self, candidates: pa.Table) -> pa.Table:
        """The candidate pairs (with both ends' ``payload``) that pass their signal's check."""
        return verify_candidates(candidates, self._signals)

    def endpoints(self, edges: pa.Table) -> pa.Table:
        """Two rows per edge, one per record: ``seq``, ``key``, ``pri``, ``signal``, ``similarity``."""
        return edge_endpoints(edges)

    def cluster_decisions(self, members: pa.Table) -> pa.Table:
        """The same rows as :func:`clusters_to_decisions`, for whole clusters' end rows (sorted
        by cluster, seq), with ``_unit`` and ``_seq``: the runner's distributed path."""
        return self._marked(cluster_rows_to_decisions(members, self._signals))

    def combine(self, decisions: list[pa.Table]) -> pa.Table:
        """One graph over every bucket's edges: rejects with ``dup_of`` and ``dup_cluster``,
        plus keeper rows (null reason) carrying ``dup_cluster``."""
        edges = [t for t in decisions if t.num_rows]
        return self._marked(clusters_to_decisions(
            pa.concat_tables(edges) if edges else EDGE_SCHEMA.empty_table(),
            self._signals,
        ))

    def _marked(self, decisions: pa.Table) -> pa.Table:
        """The decisions as they are, or with ``reject=False`` as columns for kept rows only."""
        if self.reject:
            return decisions
        decisions = decisions.drop_columns(["threshold", "detail"])
        names = {"dup_of": "dup_of_key", "score": "dup_similarity"}
        decisions = decisions.rename_columns([names.get(c, c) for c in decisions.column_names])
        return decisions.set_column(decisions.schema.get_field_index("reason"), "reason",
                                    pa.nulls(decisions.num_rows, pa.string()))


def _seqs(batch: pa.Table) -> np.ndarray:
    """The records' input positions (``_seq``; row numbers when absent)."""
    if C.SEQ in batch.column_names:
        return batch[C.SEQ].to_numpy(zero_copy_only=False)
    return np.arange(batch.num_rows)


def _binary_rows(payload: np.ndarray) -> pa.Array:
    if isinstance(payload, pa.Array):  # variable-width payloads, built as Arrow already
        return payload
    width = payload.shape[1]
    if width == 0:
        return pa.array([b""] * len(payload), pa.binary())
    flat = np.ascontiguousarray(payload).reshape(-1)
    offsets = np.arange(0, (len(payload) + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), len(payload), [None, pa.py_buffer(offsets), pa.py_buffer(flat.tobytes())])


def _empty_payloads() -> pa.Table:
    return pa.schema([(C.SEQ, pa.int64()), ("signal", pa.string()), ("payload", pa.binary())]).empty_table()


def _empty_signatures(with_unit: bool) -> pa.Table:
    fields = [
        ("key", pa.string()),
        ("bucket", pa.int64()),
        ("signal", pa.string()),
        ("band", pa.int32()),
        ("band_hash", pa.uint64()),
        ("payload", pa.binary()),
        ("pri", pa.float64()),
        (C.SEQ, pa.int64()),
    ]
    if with_unit:
        fields.append((C.UNIT, pa.int64()))
    return pa.schema(fields).empty_table()
