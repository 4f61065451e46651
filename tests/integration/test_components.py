"""Connected components as Ray tasks (large-star/small-star) against a plain union-find, on
random graphs and long chains, split into several parts: the same components, labelled by
their smallest node, whatever the number of parts."""

import numpy as np
import pytest

from engine.runner.components import connected_components, large_star, small_star

pytestmark = pytest.mark.integration


def union_find(a, b, nodes):
    parent = {n: n for n in nodes}

    def root(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return {n: root(n) for n in nodes}


def graphs(rng):
    for _ in range(4):
        n = int(rng.integers(2, 2000))
        m = int(rng.integers(1, 2 * n))
        yield rng.integers(0, n, m), rng.integers(0, n, m)
    chain = rng.permutation(1500)
    yield chain[:-1], chain[1:]  # a path through the nodes in random order: many rounds
    yield np.zeros(50, np.int64), np.arange(50)  # a star, and a self-loop


@pytest.mark.parametrize("parts", [1, 2, 5])
def test_same_components_as_union_find(ray_local, parts):
    rng = np.random.default_rng(parts)
    for a, b in graphs(rng):
        ids = rng.choice(10**12, size=int(max(a.max(), b.max())) + 1, replace=False).astype(np.int64)
        a, b = ids[a], ids[b]
        pieces = np.array_split(np.arange(len(a)), int(rng.integers(1, 4)))
        labels = connected_components([(a[p], b[p]) for p in pieces], parts)
        got = np.concatenate(ray_local.get(labels))
        loop = a == b
        nodes = sorted(set(a[~loop].tolist()) | set(b[~loop].tolist()))
        assert sorted(got[:, 0].tolist()) == nodes  # every node with an edge, once
        assert dict(zip(got[:, 0].tolist(), got[:, 1].tolist(), strict=True)) == union_find(a[~loop], b[~loop], nodes)


def test_star_steps_never_add_edges():
    rng = np.random.default_rng(0)
    u = np.sort(rng.integers(0, 100, 400))
    v = rng.integers(0, 100, 400)
    v = np.where(v == u, v + 1, v)
    for step in (large_star, small_star):
        lo, hi, _ = step(u, v)
        assert len(lo) <= len(u) and (lo < hi).all()
