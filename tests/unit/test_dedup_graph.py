"""Connected components and keep policies of the duplicate graph."""

import numpy as np
import pytest

from filters.dedup.graph import cluster_nodes, connected_components, keep_rank


def test_components_follow_chains_and_stay_apart():
    # 0-1-2-3-4 is a chain (long diameter), 5-6 a pair, 7 alone.
    a = np.array([3, 1, 2, 0, 6])
    b = np.array([4, 2, 3, 1, 5])
    label = connected_components(a, b, 8)
    assert label.tolist() == [0, 0, 0, 0, 0, 5, 5, 7]


def test_long_chain_in_reverse_order():
    n = 2000
    a = np.arange(n - 1)[::-1]
    label = connected_components(a, a + 1, n)
    assert (label == 0).all()


def test_keep_first_longest_and_score():
    seq = np.array([10, 11, 12, 13])
    a, b = np.array([0, 1, 2]), np.array([1, 2, 3])
    first = cluster_nodes(a, b, keep_rank("first", seq))
    assert first.keeper.tolist() == [0, 0, 0, 0]
    assert first.is_duplicate.tolist() == [False, True, True, True]
    longest = cluster_nodes(a, b, keep_rank("longest", seq, length=np.array([5, 9, 9, 1])))
    assert longest.keeper.tolist() == [1, 1, 1, 1]  # tie between 1 and 2 goes to the earlier
    scored = cluster_nodes(a, b, keep_rank("score", seq, score=np.array([0.1, np.nan, 0.2, 0.3])))
    assert scored.keeper.tolist() == [3, 3, 3, 3]


def test_cluster_numbers_follow_keeper_order():
    rank = np.array([5, 0, 3, 1])
    c = cluster_nodes(np.array([0, 2]), np.array([1, 3]), rank)
    assert c.keeper.tolist() == [1, 1, 3, 3]
    assert c.cluster.tolist() == [0, 0, 1, 1]


def test_keep_rank_rejects_unknown_policy_and_missing_values():
    with pytest.raises(ValueError, match="keep policy"):
        keep_rank("random", np.arange(3))
    with pytest.raises(ValueError, match="score"):
        keep_rank("score", np.arange(3))
