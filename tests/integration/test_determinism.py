"""Invariant 2: one worker or two, the shards are byte-identical."""

import pytest

from tests.integration.runs import comparable_manifest, demo_corpus, digests, run_demo

pytestmark = pytest.mark.integration


def test_one_and_two_workers_give_identical_bytes(tmp_path, ray_local):
    inputs = demo_corpus(tmp_path / "in", count=150)
    run_demo([inputs], tmp_path / "w1", workers=1, unit_size=20, samples_per_shard=15)
    run_demo([inputs], tmp_path / "w2", workers=2, unit_size=20, samples_per_shard=15)
    one, two = digests(tmp_path / "w1"), digests(tmp_path / "w2")
    assert len([n for n in one if n.endswith(".tar")]) >= 8
    assert one == two
    assert comparable_manifest(tmp_path / "w1")["shards"] == comparable_manifest(tmp_path / "w2")["shards"]
