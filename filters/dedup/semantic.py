"""SemDeDup (Abbas et al., 2023) over an embedding matrix: k-means, then inside each cluster,
pairs with cosine similarity >= threshold are duplicates; one keeper per connected group.

For the job graph, ``NearDuplicates(embedding_column=...)`` finds the same pairs with
random-hyperplane LSH instead of k-means, so that it fits the distributed global step; this
module serves collections whose embeddings fit in memory (a shard, an evaluation, a notebook).
"""

from __future__ import annotations

import numpy as np

from filters.dedup.graph import Clusters, cluster_nodes
from filters.dedup.signals import normalise


def kmeans(x: np.ndarray, k: int, iterations: int = 20, seed: int = 0) -> np.ndarray:
    """Cluster label of each row of ``x`` (unit vectors) by spherical k-means, k-means++ seeds."""
    rng = np.random.default_rng(seed)
    n = len(x)
    k = max(1, min(k, n))
    centres = [x[rng.integers(n)]]
    closest = 1 - x @ centres[0]
    for _ in range(1, k):
        weights = np.clip(closest, 0, None) ** 2
        pick = rng.choice(n, p=weights / weights.sum()) if weights.sum() > 0 else rng.integers(n)
        centres.append(x[pick])
        closest = np.minimum(closest, 1 - x @ x[pick])
    c = np.stack(centres)
    labels = np.zeros(n, np.int64)
    for _ in range(iterations):
        new = np.argmax(x @ c.T, axis=1)
        if np.array_equal(new, labels) and _ > 0:
            break
        labels = new
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c[j] = normalise(members.sum(axis=0, keepdims=True))[0]
    return labels


def semdedup(
    embeddings: np.ndarray,
    *,
    threshold: float = 0.95,
    clusters: int | None = None,
    rank: np.ndarray | None = None,
    seed: int = 0,
) -> tuple[Clusters, np.ndarray]:
    """(duplicate clusters, k-means label) of the rows of ``embeddings``.

    ``clusters`` defaults to about sqrt(n); ``rank`` orders keepers (default: input order).
    Pairs are compared only inside a k-means cluster, so memory is the largest cluster squared.
    """
    x = normalise(np.asarray(embeddings, np.float32))
    n = len(x)
    label = kmeans(x, clusters or max(1, int(np.sqrt(n))), seed=seed)
    edges_a, edges_b = [], []
    for j in np.unique(label):
        members = np.flatnonzero(label == j)
        if len(members) < 2:
            continue
        sim = x[members] @ x[members].T
        a, b = np.nonzero(np.triu(sim >= threshold, 1))
        edges_a.append(members[a])
        edges_b.append(members[b])
    a = np.concatenate(edges_a) if edges_a else np.zeros(0, np.int64)
    b = np.concatenate(edges_b) if edges_b else np.zeros(0, np.int64)
    return cluster_nodes(a, b, np.arange(n) if rank is None else rank), label
