"""Connected components of a graph too large for one process: alternating large-star and
small-star rounds (Kiveris et al., "Connected Components in MapReduce and Beyond", SoCC 2014)
as Ray tasks, the edges shuffled between rounds through Ray's object store.

Nodes are int64 ids. Every step hands each of ``parts`` tasks the edges of the nodes it owns
(``hash(node) % parts``), both directions; a task rewires them and sends each new edge to the
tasks of its two ends. Neither operation adds edges, so a task holds about ``2 * edges / parts``
of them; the driver holds only object references (``parts**2`` per step) and counts. Rounds go
on until a large-star and the small-star after it change nothing: every component is then a
star around its smallest node, which becomes every member's label. Rounds are O(log^2 n) in
the worst case; duplicate graphs (small clusters, a few chains) take a handful.

The labels do not depend on ``parts``: a component's label is its smallest node id.
"""

from __future__ import annotations

import numpy as np
import ray

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def owner(nodes: np.ndarray, parts: int) -> np.ndarray:
    """The task (0..parts-1) that owns each node: a multiplicative hash, the same everywhere."""
    mixed = (np.asarray(nodes, np.int64).view(np.uint64) * _GOLDEN) >> np.uint64(33)
    return (mixed % np.uint64(parts)).astype(np.int64)


def route(lo: np.ndarray, hi: np.ndarray, parts: int) -> list[np.ndarray]:
    """Undirected edges -> per owner task, the directed edges (u, v) of the nodes u it owns:
    an (m, 2) int64 array each."""
    u = np.concatenate([lo, hi]).astype(np.int64)
    v = np.concatenate([hi, lo]).astype(np.int64)
    who = owner(u, parts)
    order = np.argsort(who, kind="stable")
    u, v, who = u[order], v[order], who[order]
    bounds = np.searchsorted(who, np.arange(parts + 1))
    return [np.stack([u[a:b], v[a:b]], axis=1) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _gather(pieces: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The directed edges handed to one task, distinct, sorted by (u, v)."""
    edges = np.concatenate([p for p in pieces if len(p)] or [np.zeros((0, 2), np.int64)])
    edges = np.unique(edges, axis=0) if len(edges) else edges
    return edges[:, 0], edges[:, 1]


def _group_min(u: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For edges sorted by u: the group start of each edge and each group's minimum value."""
    starts = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])
    mins = np.minimum.reduceat(values, starts)
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(u)]))
    return starts, mins, group


def large_star(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Each node u links its larger neighbours to m(u), the smallest of u and its neighbours.
    Returns the new undirected edges (lo, hi) and how many of them changed."""
    if not len(u):
        return u, v, 0
    _, mins, group = _group_min(u, v)
    m = np.minimum(mins[group], u)
    larger = v > u
    changed = int(np.count_nonzero(larger & (m != u)))
    return m[larger], v[larger], changed


def small_star(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Each node u links itself and its smaller neighbours to the smallest of them."""
    smaller = v < u
    u, v = u[smaller], v[smaller]
    if not len(u):
        return u, v, 0
    starts, mins, group = _group_min(u, v)
    m = mins[group]
    keep = v != m
    lo = np.concatenate([m[keep], mins])
    hi = np.concatenate([v[keep], u[starts]])
    return lo, hi, int(np.count_nonzero(keep))


def labels_of(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """On star-shaped components: every node of this task and its label (the centre)."""
    if not len(u):
        return u, v
    starts, mins, _ = _group_min(u, v)
    nodes = u[starts]
    return nodes, np.minimum(nodes, mins)


@ray.remote
def _step(kind: str, parts: int, *pieces: np.ndarray):
    u, v = _gather(pieces)
    lo, hi, changed = (large_star if kind == "large" else small_star)(u, v)
    return (*route(lo, hi, parts), changed)


@ray.remote
def _label(*pieces: np.ndarray) -> np.ndarray:
    nodes, label = labels_of(*_gather(pieces))
    return np.stack([nodes, label], axis=1)


def local_stars(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The components of one piece of the graph, as edges (smallest node, other node): fewer
    edges with the same connectivity, and most components already finished (a bucket's
    duplicates are usually its whole cluster), so the distributed rounds have less to do.
    Min-label propagation with pointer jumping over the piece, in numpy."""
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    x, y = inverse[: len(a)], inverse[len(a):]
    label = np.arange(len(nodes))
    while len(x):
        before = label.copy()
        low = np.minimum(label[x], label[y])
        np.minimum.at(label, x, low)
        np.minimum.at(label, y, low)
        while not np.array_equal(label[label], label):
            label = label[label]
        if np.array_equal(label, before):
            break
    other = label != np.arange(len(nodes))
    return nodes[label[other]], nodes[other]


@ray.remote
def _start(parts: int, pair) -> tuple:
    lo, hi = pair
    lo, hi = np.asarray(lo, np.int64), np.asarray(hi, np.int64)
    loop = lo == hi  # a node joined to itself joins nothing
    out = route(*local_stars(lo[~loop], hi[~loop]), parts)
    return out[0] if parts == 1 else tuple(out)


def _refs(out, parts: int) -> list:
    return list(out) if parts > 1 else [out]


def connected_components(edges: list, parts: int, *, max_rounds: int = 200) -> list:
    """Label the nodes of the undirected graph whose edges are the ``(a, b)`` int64 array pairs
    in ``edges`` (values or object refs to them, split any way).

    Returns ``parts`` object refs; ref ``q`` holds an (n, 2) int64 array ``[node, label]`` for
    the nodes task ``q`` owns (:func:`owner`): each node with an edge exactly once, sorted.
    """
    # grid[src][dst]: the edges task src sends to task dst
    grid = [_refs(_start.options(num_returns=parts).remote(parts, pair), parts) for pair in edges]
    if not grid:
        return [ray.put(np.zeros((0, 2), np.int64)) for _ in range(parts)]
    for _ in range(max_rounds):
        changed = 0
        for kind in ("large", "small"):
            outs = [_step.options(num_returns=parts + 1).remote(kind, parts, *[row[q] for row in grid])
                    for q in range(parts)]
            grid = [list(out[:parts]) for out in outs]
            changed += sum(ray.get([out[parts] for out in outs]))
        if changed == 0:
            return [_label.remote(*[row[q] for row in grid]) for q in range(parts)]
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
