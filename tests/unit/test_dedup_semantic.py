"""SemDeDup: near-identical embeddings collapse to one keeper; distinct ones stay."""

import numpy as np

from filters.dedup.semantic import kmeans, semdedup


def test_semdedup_finds_planted_near_identical_embeddings():
    rng = np.random.default_rng(3)
    base = rng.standard_normal((200, 64)).astype(np.float32)
    copies = base[:30] + 0.02 * rng.standard_normal((30, 64)).astype(np.float32)
    x = np.vstack([base, copies])
    clusters, label = semdedup(x, threshold=0.95, clusters=8)
    dup = clusters.is_duplicate
    assert dup[200:].all()  # every planted copy is a duplicate of its original
    assert (clusters.keeper[200:] == np.arange(30)).all()
    assert not dup[:200].any()  # random vectors in 64-d are far apart
    assert len(np.unique(label)) == 8


def test_kmeans_separates_obvious_groups():
    rng = np.random.default_rng(0)
    centres = np.eye(4, 16, dtype=np.float32)
    x = np.repeat(centres, 25, axis=0) + 0.05 * rng.standard_normal((100, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = kmeans(x, 4)
    for g in range(4):
        assert len(set(labels[g * 25 : (g + 1) * 25].tolist())) == 1
    assert len(set(labels.tolist())) == 4
