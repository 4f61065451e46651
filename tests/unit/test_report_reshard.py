"""Resharding: a complete, verifiable output with the same samples in the same order."""

import argparse
import json

import pyarrow.parquet as pq
import pytest

from engine.output.folder import OutputFolder
from engine.output.reshard import reshard
from engine.output.verify import verify_output
from tests.unit.output_fixture import write_output


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    return write_output(tmp_path_factory.mktemp("out") / "run", kept=23, shards=3)


def _samples(folder):
    return [(s.key, s.members) for s in OutputFolder(folder).samples()]


@pytest.mark.parametrize("per_shard", [1, 5, 23, 100])
def test_reshard_keeps_every_sample_in_order(output, tmp_path, per_shard):
    dst = tmp_path / "re"
    manifest = reshard(output, dst, per_shard)
    assert verify_output(dst) == []
    sizes = [s["samples"] for s in manifest["shards"]]
    assert sum(sizes) == 23 and all(n == per_shard for n in sizes[:-1])
    assert len(sizes) == -(-23 // per_shard)
    assert _samples(dst) == _samples(output)
    old = OutputFolder(output).metadata().to_pylist()
    assert OutputFolder(dst).metadata().to_pylist() == old
    for shard in manifest["shards"]:
        keys = pq.read_table(dst / shard["parquet"]).column("key").to_pylist()
        assert keys == [s.key for s in OutputFolder(dst).samples()][
            manifest["shards"].index(shard) * per_shard:][: shard["samples"]]
    src_manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["totals"] == src_manifest["totals"]
    assert manifest["job"]["resharded_from"]["samples_per_shard"] == per_shard
    assert (dst / "stats.json").read_text() == (output / "stats.json").read_text()


def test_reshard_is_deterministic_and_refuses_to_overwrite(output, tmp_path):
    a = reshard(output, tmp_path / "a", 4)
    b = reshard(output, tmp_path / "b", 4)
    assert [s["sha256"] for s in a["shards"]] == [s["sha256"] for s in b["shards"]]
    with pytest.raises(FileExistsError):
        reshard(output, tmp_path / "a", 4)
    with pytest.raises(ValueError):
        reshard(output, tmp_path / "c", 0)


def test_reshard_cli_writes_a_card(output, tmp_path, capsys):
    from loomery.commands import reshard as command

    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["reshard", str(output), "--samples-per-shard", "10", "--out",
                              str(tmp_path / "re"), "--card"])
    assert args.func(args) == 0
    assert "wrote 3 shards (23 samples)" in capsys.readouterr().out
    assert (tmp_path / "re" / "README.md").exists()
    assert verify_output(tmp_path / "re") == []
