"""Signature files cut into bucket-range partitions: every row lands in exactly one partition,
the ranges cover the buckets, and a partition's rows read back sorted, from its own files only."""

import numpy as np
import pyarrow as pa
import pytest

from engine import columns as C
from engine.runner.global_tasks import route_to_units
from engine.runner.partition_files import (
    IO,
    bucket_range,
    partition_of,
    read_partition,
    split_by_bucket,
    write_partitioned,
)


@pytest.mark.parametrize(("buckets", "parts"), [(1, 1), (16, 1), (16, 5), (7, 7), (1000, 16), (5, 3)])
def test_ranges_cover_the_buckets_once(buckets, parts):
    ranges = [bucket_range(p, buckets, parts) for p in range(parts)]
    assert [b for r in ranges for b in r] == list(range(buckets))
    for p, r in enumerate(ranges):
        assert (partition_of(np.array(list(r)), buckets, parts) == p).all()


def _signatures(rng, unit: int, n: int, buckets: int) -> pa.Table:
    return pa.table({
        "key": [f"k{unit}-{i}" for i in range(n)],
        "bucket": pa.array(rng.integers(0, buckets, n), pa.int64()),
        "value": pa.array(rng.integers(0, 9, n), pa.int64()),
        C.UNIT: pa.array(np.full(n, unit), pa.int64()),
        C.SEQ: pa.array(unit * 1000 + np.arange(n), pa.int64()),
    })


@pytest.mark.parametrize("parts", [1, 3, 8])
def test_partitioned_write_and_read_give_every_row_once(tmp_path, parts):
    rng = np.random.default_rng(parts)
    buckets, folders, tables = 8, [], []
    for unit in range(5):
        folder = tmp_path / f"u{unit}"
        folder.mkdir()
        table = _signatures(rng, unit, int(rng.integers(0, 40)), buckets)
        written = write_partitioned(table, folder, buckets, parts)
        assert sorted(written) == sorted(set(partition_of(table["bucket"].to_numpy(), buckets, parts).tolist()))
        folders.append(str(folder))
        tables.append(table)
    IO.take()
    seen = []
    for p in range(parts):
        got = read_partition(folders, p)
        opened = IO.take()["opens"]
        holders = sum(1 for t in tables if (partition_of(t["bucket"].to_numpy(), buckets, parts) == p).any())
        assert opened == holders  # only the units that have rows there, each once
        if got is None:
            continue
        assert set(got["bucket"].to_pylist()) <= set(bucket_range(p, buckets, parts))
        order = list(zip(got["bucket"].to_pylist(), got[C.UNIT].to_pylist(), got[C.SEQ].to_pylist(), strict=True))
        assert order == sorted(order)
        for bucket, rows in split_by_bucket(got):
            assert set(rows["bucket"].to_pylist()) == {bucket}
        seen += got["key"].to_pylist()
    everything = [k for t in tables for k in t["key"].to_pylist()]
    assert sorted(seen) == sorted(everything)


def test_decisions_go_to_every_unit_holding_the_key():
    rows = pa.table({"key": ["a", "b", "a", "c", "a"], C.UNIT: pa.array([0, 0, 2, 1, 2], pa.int64())})
    decided = pa.table({"key": ["a", "c"], "reason": ["r1", "r2"]})
    routed = route_to_units(decided, rows)
    assert list(zip(routed["key"].to_pylist(), routed[C.UNIT].to_pylist(), strict=True)) == [
        ("a", 0), ("a", 2), ("c", 1)]
    with pytest.raises(ValueError, match="not in its bucket"):
        route_to_units(pa.table({"key": ["zz"]}), rows)
