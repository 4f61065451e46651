"""The duplicate graph: connected components over candidate edges, one keeper per component.

Memory is proportional to the edges (the duplicates found), not to the collection. Edges from
every signal (caption MinHash, image pHash, CLIP embeddings) go into one graph, so records
that are duplicates by caption, by image or both land in one cluster with one keeper.

Keep policies order the members of a cluster; the first one is kept:
``first`` (earliest in input order), ``score`` (highest score, e.g. CLIP; ties: earliest),
``longest`` (longest text; ties: earliest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KEEP_POLICIES = ("first", "score", "longest")


def connected_components(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Component label (the smallest node index in it) of each of ``n`` nodes, given edges
    ``a[i] -- b[i]``. Min-label propagation with pointer jumping, all in numpy."""
    label = np.arange(n, dtype=np.int64)
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    if len(a) == 0:
        return label
    while True:
        low = np.minimum(label[a], label[b])
        before = label.copy()
        np.minimum.at(label, a, low)
        np.minimum.at(label, b, low)
        while True:  # pointer jumping: every node points straight at its root
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            return label


@dataclass
class Clusters:
    """Result of clustering: for each node, its cluster number and its keeper's node index.

    ``cluster`` numbers clusters 0.. in the order of their keepers' rank, so the numbering is
    deterministic; ``keeper[i] == i`` for keepers.
    """

    cluster: np.ndarray
    keeper: np.ndarray

    @property
    def is_duplicate(self) -> np.ndarray:
        return self.keeper != np.arange(len(self.keeper))


def cluster_nodes(a: np.ndarray, b: np.ndarray, rank: np.ndarray) -> Clusters:
    """Cluster ``len(rank)`` nodes by the edges ``a -- b`` and keep in each cluster the node
    with the smallest ``rank`` (a sortable number: see :func:`keep_rank`)."""
    n = len(rank)
    label = connected_components(a, b, n)
    # Sort by (component, rank, index): the first node of each component is its keeper.
    order = np.lexsort((np.arange(n), rank, label))
    first = np.ones(n, bool)
    first[1:] = label[order][1:] != label[order][:-1]
    keeper_sorted = order[np.maximum.accumulate(np.where(first, np.arange(n), 0))]
    keeper = np.empty(n, np.int64)
    keeper[order] = keeper_sorted
    # Number the clusters by their keeper's rank, then index.
    keepers = np.flatnonzero(keeper == np.arange(n))
    keepers = keepers[np.lexsort((keepers, rank[keepers]))]
    number = np.empty(n, np.int64)
    number[keepers] = np.arange(len(keepers))
    return Clusters(cluster=number[keeper], keeper=keeper)


def keep_rank(
    policy: str,
    seq: np.ndarray,
    score: np.ndarray | None = None,
    length: np.ndarray | None = None,
) -> np.ndarray:
    """An int rank per record for ``policy``: smaller is kept first; ties go to smaller ``seq``
    (the input position). Ranks are positions in one sort, so they are exact at any scale."""
    if policy not in KEEP_POLICIES:
        raise ValueError(f"keep policy must be one of {KEEP_POLICIES}, not {policy!r}")
    seq = np.asarray(seq, np.int64)
    if policy == "first":
        order = np.argsort(seq, kind="stable")
    else:
        primary = score if policy == "score" else length
        if primary is None:
            raise ValueError(f"keep policy {policy!r} needs a {policy} value per record")
        primary = np.nan_to_num(np.asarray(primary, np.float64), nan=-np.inf)
        order = np.lexsort((seq, -primary))
    rank = np.empty(len(seq), np.int64)
    rank[order] = np.arange(len(seq))
    return rank
