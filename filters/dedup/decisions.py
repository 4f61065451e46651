"""The global step of :class:`~filters.dedup.near_duplicates.NearDuplicates`: from one bucket's
band rows to verified edges, and from edges (or whole clusters' end rows) to decision rows.

``bucket_edges`` runs once per bucket; the runner joins every bucket's edges into one graph
(connected components as Ray tasks) and ``cluster_rows_to_decisions`` keeps one record per
component; ``clusters_to_decisions`` does the same from the edges in one process (tests, small
graphs). Rejected records carry ``dup_of`` (their keeper's key) and ``dup_cluster``; keepers of a
cluster get ``dup_cluster`` too (rows with a null reason).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine import columns as C
from filters.dedup.graph import cluster_nodes
from filters.dedup.signals import candidate_pairs, checked

REASON = "near_duplicate"
EDGE_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("other", pa.string()),
        ("seq", pa.int64()),
        ("other_seq", pa.int64()),
        ("pri", pa.float64()),
        ("other_pri", pa.float64()),
        ("signal", pa.string()),
        ("similarity", pa.float64()),
    ]
)


CANDIDATE_SCHEMA = pa.schema([f for f in EDGE_SCHEMA if f.name != "similarity"])


def bucket_edges(signatures: pa.Table, signals: dict) -> pa.Table:
    """Verified candidate edges (:data:`EDGE_SCHEMA`) among the band rows of one bucket, each
    signal's rows checked by that signal (``signals``: name -> signal) on the rows' ``payload``."""
    candidates = bucket_candidates(signatures, signals)
    if not candidates.num_rows:
        return EDGE_SCHEMA.empty_table()
    payload = _payload_by_seq(signatures, candidates)
    return verify_candidates(candidates.append_column("payload", payload(candidates["seq"]))
                             .append_column("other_payload", payload(candidates["other_seq"])), signals)


def bucket_candidates(signatures: pa.Table, signals: dict) -> pa.Table:
    """The candidate pairs (:data:`CANDIDATE_SCHEMA`) among the band rows of one bucket: records
    (named by key; a key's seq and pri are those of its first row) sharing a band hash in a band
    of one signal. The rows need no ``payload``: :func:`verify_candidates` checks the pairs."""
    parts = []
    if not signatures.num_rows:
        return CANDIDATE_SCHEMA.empty_table()
    keys = signatures["key"].combine_chunks()
    signal_names = signatures["signal"].to_numpy(zero_copy_only=False)
    for name in np.unique(signal_names):
        signal = signals.get(str(name))
        if signal is None:
            continue
        take = np.flatnonzero(signal_names == name)
        sub = signatures.select(["band", "band_hash", "pri", C.SEQ]).take(pa.array(take))
        key_ids, key_index = np.unique(
            keys.take(pa.array(take)).to_numpy(zero_copy_only=False), return_inverse=True
        )
        key_index = key_index.astype(np.int64)
        pairs = candidate_pairs(signal, sub["band"].to_numpy(), sub["band_hash"].to_numpy(), key_index,
                                max_group=getattr(signal, "max_group", 64))
        if not len(pairs):
            continue
        uniq, first = np.unique(key_index, return_index=True)
        seq = sub[C.SEQ].to_numpy()[first]
        pri = sub["pri"].to_numpy()[first]
        a, b = np.searchsorted(uniq, pairs[:, 0]), np.searchsorted(uniq, pairs[:, 1])
        parts.append(pa.table({
            "key": pa.array(key_ids[pairs[:, 0]], pa.string()),
            "other": pa.array(key_ids[pairs[:, 1]], pa.string()),
            "seq": pa.array(seq[a], pa.int64()),
            "other_seq": pa.array(seq[b], pa.int64()),
            "pri": pa.array(pri[a], pa.float64()),
            "other_pri": pa.array(pri[b], pa.float64()),
            "signal": pa.array([str(name)] * len(pairs), pa.string()),
        }, schema=CANDIDATE_SCHEMA))
    return pa.concat_tables(parts) if parts else CANDIDATE_SCHEMA.empty_table()


def verify_candidates(candidates: pa.Table, signals: dict) -> pa.Table:
    """The candidate pairs that pass their signal's check, as edges (:data:`EDGE_SCHEMA`, then
    any further columns of ``candidates`` but the payloads): ``candidates`` carry each end's
    payload in ``payload`` and ``other_payload``. Order kept, signal by signal."""
    extra = [c for c in candidates.column_names
             if c not in CANDIDATE_SCHEMA.names and c not in ("payload", "other_payload")]
    names = candidates["signal"].to_numpy(zero_copy_only=False)
    parts = []
    for name in np.unique(names):
        signal = signals.get(str(name))
        if signal is None:
            continue
        sub = candidates.take(pa.array(np.flatnonzero(names == name)))
        if getattr(signal, "variable_payload", False):
            a = sub["payload"].to_numpy(zero_copy_only=False)  # bytes objects
            b = sub["other_payload"].to_numpy(zero_copy_only=False)
        else:
            a, b = _payload_matrix(sub["payload"]), _payload_matrix(sub["other_payload"])
        ok, sim = checked(signal, a, b)
        kept = sub.filter(pa.array(ok))
        parts.append(kept.append_column("similarity", pa.array(sim[ok], pa.float64()))
                     .select(EDGE_SCHEMA.names + extra))
    if not parts:
        schema = pa.schema(list(EDGE_SCHEMA) + [candidates.schema.field(c) for c in extra])
        return schema.empty_table()
    return pa.concat_tables(parts)


def _payload_by_seq(signatures: pa.Table, candidates: pa.Table):
    """A function from a column of seqs (all of one signal per candidates' rows) to the band
    rows' payloads of those records (a record's payload is the same in each of its rows)."""
    names = signatures["signal"].to_numpy(zero_copy_only=False)
    wanted = candidates["signal"].to_numpy(zero_copy_only=False)
    seqs = signatures[C.SEQ].to_numpy()
    payload = signatures["payload"].combine_chunks()

    def lookup(column: pa.ChunkedArray) -> pa.Array:
        at = np.zeros(len(wanted), np.int64)
        values = column.to_numpy()
        for name in np.unique(wanted):
            rows = np.flatnonzero(names == name)
            uniq, first = np.unique(seqs[rows], return_index=True)
            mine = np.flatnonzero(wanted == name)
            at[mine] = rows[first[np.searchsorted(uniq, values[mine])]]
        return payload.take(pa.array(at))

    return lookup


def edge_endpoints(edges: pa.Table) -> pa.Table:
    """Two rows per edge, one per record: ``seq``, ``key``, ``pri``, ``signal``, ``similarity``."""
    return pa.table({
        "seq": pa.concat_arrays([edges["seq"].combine_chunks(), edges["other_seq"].combine_chunks()]),
        "key": pa.concat_arrays([edges["key"].combine_chunks(), edges["other"].combine_chunks()]),
        "pri": pa.concat_arrays([edges["pri"].combine_chunks(), edges["other_pri"].combine_chunks()]),
        "signal": pa.concat_arrays([edges["signal"].combine_chunks()] * 2),
        "similarity": pa.concat_arrays([edges["similarity"].combine_chunks()] * 2),
    })


def clusters_to_decisions(edges: pa.Table, signals: dict) -> pa.Table:
    """Decision rows from an edge table (see :data:`EDGE_SCHEMA`)."""
    a_keys = edges["key"].to_numpy(zero_copy_only=False)
    b_keys = edges["other"].to_numpy(zero_copy_only=False)
    nodes, inverse = np.unique(np.concatenate([a_keys, b_keys]), return_inverse=True)
    n_edges = len(a_keys)
    a, b = inverse[:n_edges], inverse[n_edges:]
    seq = np.zeros(len(nodes), np.int64)
    pri = np.zeros(len(nodes), np.float64)
    seq[a], seq[b] = edges["seq"].to_numpy(), edges["other_seq"].to_numpy()
    pri[a], pri[b] = edges["pri"].to_numpy(), edges["other_pri"].to_numpy()
    rank = np.empty(len(nodes), np.int64)
    rank[np.lexsort((seq, pri))] = np.arange(len(nodes))
    clusters = cluster_nodes(a, b, rank)
    sizes = np.bincount(clusters.cluster, minlength=len(nodes))[clusters.cluster]
    # Signals that joined each cluster, and each node's best similarity (for people).
    names = edges["signal"].to_numpy(zero_copy_only=False)
    via: dict[int, set] = {}
    for c, name in zip(clusters.cluster[a], names, strict=True):
        via.setdefault(int(c), set()).add(str(name))
    sim = edges["similarity"].to_numpy()
    best = np.full(len(nodes), np.nan)
    for side in (a, b):
        np.fmax.at(best, side, sim)
    dup = clusters.is_duplicate
    keeper_keys = nodes[clusters.keeper]
    reason = [REASON if d else None for d in dup]
    detail = [
        f"cluster of {s} via {'+'.join(sorted(via[int(c)]))}" if d else None
        for d, s, c in zip(dup, sizes, clusters.cluster, strict=True)
    ]
    thresholds = {name: float(getattr(sig, "threshold", np.nan)) for name, sig in signals.items()}
    first_signal = [sorted(via[int(c)])[0] for c in clusters.cluster]
    return pa.table(
        {
            "key": pa.array(nodes, pa.string()),
            "reason": pa.array(reason, pa.string()),
            "dup_of": pa.array([k if d else None for k, d in zip(keeper_keys, dup, strict=True)], pa.string()),
            "score": pa.array([float(s) if d else None for s, d in zip(best, dup, strict=True)], pa.float64()),
            "threshold": pa.array(
                [thresholds.get(s) if d else None for s, d in zip(first_signal, dup, strict=True)],
                pa.float64(),
            ),
            "detail": pa.array(detail, pa.string()),
            "dup_cluster": pa.array(keeper_keys, pa.string()),
            "dup_cluster_size": pa.array(sizes, pa.int64()),
        }
    )


def cluster_rows_to_decisions(members: pa.Table, signals: dict) -> pa.Table:
    """Decision rows from the end rows of whole clusters (columns cluster, seq, key, pri,
    signal, similarity, _unit; sorted by cluster then seq): per cluster the keeper is the
    smallest (pri, seq), as in :func:`clusters_to_decisions`."""
    cluster = members["cluster"].to_numpy()
    seq = members["seq"].to_numpy()
    node = np.flatnonzero(np.r_[True, (cluster[1:] != cluster[:-1]) | (seq[1:] != seq[:-1])])
    sim = members["similarity"].to_numpy(zero_copy_only=False).astype(np.float64)
    best = np.fmax.reduceat(sim, node) if len(node) else sim
    n_cluster, n_seq = cluster[node], seq[node]
    n_pri = members["pri"].to_numpy()[node]
    keys = members["key"].combine_chunks().take(pa.array(node))
    first = np.flatnonzero(np.r_[True, n_cluster[1:] != n_cluster[:-1]])
    group = np.repeat(np.arange(len(first)), np.diff(np.r_[first, len(node)]))
    sizes = np.diff(np.r_[first, len(node)])[group]
    order = np.lexsort((n_seq, n_pri, n_cluster))  # per cluster: smallest (pri, seq) first
    keeper_of_group = order[first]
    keeper = keeper_of_group[group]
    dup = keeper != np.arange(len(node))
    keeper_keys = keys.take(pa.array(keeper))
    # Signals that joined each cluster (every edge's ends are in its cluster's rows).
    names = members["signal"].to_numpy(zero_copy_only=False)
    via: dict[int, set] = {}
    for c, name in zip(cluster.tolist(), names, strict=True):
        via.setdefault(c, set()).add(str(name))
    thresholds = {name: float(getattr(sig, "threshold", np.nan)) for name, sig in signals.items()}
    joined = {c: "+".join(sorted(v)) for c, v in via.items()}
    first_signal = {c: sorted(v)[0] for c, v in via.items()}
    clusters = n_cluster.tolist()
    dup_list = dup.tolist()
    return pa.table({
        "key": keys,
        "reason": pa.array([REASON if d else None for d in dup_list], pa.string()),
        "dup_of": _where(dup, keeper_keys),
        "score": pa.array(best, pa.float64(), mask=~dup),
        "threshold": pa.array([thresholds.get(first_signal[c]) if d else None
                               for c, d in zip(clusters, dup_list, strict=True)], pa.float64()),
        "detail": pa.array([f"cluster of {s} via {joined[c]}" if d else None
                            for s, c, d in zip(sizes.tolist(), clusters, dup_list, strict=True)], pa.string()),
        "dup_cluster": keeper_keys,
        "dup_cluster_size": pa.array(sizes, pa.int64()),
        C.UNIT: members[C.UNIT].combine_chunks().take(pa.array(node)),
        C.SEQ: pa.array(n_seq, pa.int64()),
    })


def _where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    """``values`` where ``mask``, null elsewhere."""
    return pc.if_else(pa.array(mask), values, pa.scalar(None, values.type))


def _payload_matrix(column: pa.ChunkedArray) -> np.ndarray:
    """(rows, width) uint8 view of a binary column whose values all have one width, read from
    the Arrow buffers without a Python object per row (a bucket holds 100k+ rows)."""
    array = column.combine_chunks()
    if len(array) == 0:
        return np.zeros((0, 0), np.uint8)
    offsets_buffer, data = array.buffers()[1], array.buffers()[2]
    offsets = np.frombuffer(offsets_buffer, np.int32)[array.offset:array.offset + len(array) + 1]
    width = int(offsets[1] - offsets[0])
    if array.null_count or np.any(np.diff(offsets) != width):
        raise ValueError("signature payloads must all have one width")
    if width == 0:
        return np.zeros((len(array), 0), np.uint8)
    return np.frombuffer(data, np.uint8)[offsets[0]:offsets[-1]].reshape(len(array), width)
