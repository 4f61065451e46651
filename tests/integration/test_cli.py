"""The CLI: run, stats (table and JSON), verify catching tampering, typos in params."""

import json
import subprocess
import sys

import pytest

from loomery.cli import main
from tests.integration.runs import demo_corpus, run_demo

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def output(tmp_path_factory, ray_local):
    tmp = tmp_path_factory.mktemp("cli")
    run_demo([demo_corpus(tmp / "in", count=60)], tmp / "out")
    return tmp / "out"


def test_stats_json_has_totals_and_stages(output, capsys):
    assert main(["stats", str(output), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["totals"]["inputs"] == 60
    assert stats["stages"]["caption_junk"]["reasons"]
    assert set(stats["stages"]["probe_image"]) >= {"in", "kept", "rejected", "reasons"}


def test_stats_table_lists_every_stage(output, capsys):
    assert main(["stats", str(output)]) == 0
    table = capsys.readouterr().out
    for stage in ("read", "probe_image", "exact_duplicates", "total: 60 inputs"):
        assert stage in table


def test_verify_passes_then_catches_a_flipped_byte(output, capsys, tmp_path):
    assert main(["verify", str(output)]) == 0
    shard = next((output / "shards").glob("*.tar"))
    data = bytearray(shard.read_bytes())
    data[700] ^= 0xFF
    shard.write_bytes(bytes(data))
    assert main(["verify", str(output)]) == 1
    assert "sha256 differs" in capsys.readouterr().out


def test_unknown_param_is_an_error(tmp_path, ray_local):
    inputs = demo_corpus(tmp_path / "in", count=10)
    assert main(["run", "demo", "--input", str(inputs), "--out", str(tmp_path / "o"), "--param", "min_sid=3"]) == 2


def test_console_script_help():
    result = subprocess.run([sys.executable, "-m", "loomery.cli", "--help"], capture_output=True, text=True, check=True)
    for command in ("run", "stats", "verify", "demo"):
        assert command in result.stdout
