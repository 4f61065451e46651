"""Every Python example of README.md runs as written, each from a folder that holds what it
names; so does the README's open_clip command (with test-sized settings appended). The other
shell examples name clusters and buckets (s3://, HEAD:8265) that a test cannot reach; the
commands they use are tested on their own (test_cli.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.sinks.counts import write_counts
from loomery.demo.corpus import make_records
from tests.integration.client_outputs import code_blocks
from tests.integration.test_clients_training import TINY_CLIP
from tests.unit.output_fixture import write_output

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
PYTHON = code_blocks(README, "python")


def test_the_readme_has_the_examples_this_test_runs():
    assert len(PYTHON) == 4
    assert PYTHON[0].startswith("# jobs/my_job.py") and "run_job(job)" in PYTHON[1]
    assert "class MaxCaptionChars" in PYTHON[2] and "training_dataset" in PYTHON[3]


def test_job_file_and_python_run(tmp_path):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "my_job.py").write_text(PYTHON[0])
    (tmp_path / "data").mkdir()
    records = make_records(30, seed=3)
    pq.write_table(pa.table({"jpg": [r.image for r in records], "txt": [r.caption for r in records]}),
                   tmp_path / "data" / "part-0.parquet")
    # its own process, as a user runs it: the embedded Ray's workers start in the user's folder
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOOMERY_OBJECT_STORE_MB": "256",
           "RAY_DATA_DISABLE_PROGRESS_BARS": "1"}
    ran = subprocess.run([sys.executable, "-c", PYTHON[1]], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900)
    assert ran.returncode == 0, ran.stderr[-4000:]
    totals = json.loads((tmp_path / "out" / "manifest.json").read_text())["totals"]
    assert totals["inputs"] == 30 == totals["kept"] + totals["rejected"]
    assert json.dumps(totals).replace('"', "'") in ran.stdout.replace('"', "'")


def test_filter_example_decides_with_reasons():
    scope: dict = {}
    exec(compile(PYTHON[2], "README.md", "exec"), scope)  # noqa: S102
    batch = pa.table({"key": ["a", "b"], "caption": ["short", "x" * 600]})
    out = scope["MaxCaptionChars"](limit=500)(batch)
    assert out.column("caption_chars").to_pylist() == [5, 600]
    reasons = [c for c in out.column_names if "reason" in c]
    assert reasons and out.column(reasons[0]).to_pylist() == [None, "too_long"]


@pytest.fixture
def out_with_captions(tmp_path):
    write_output(tmp_path / "out", kept=40, shards=10)  # synthetic captions and cross-check rates
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    write_counts(tmp_path / "out", manifest["shards"])
    return tmp_path


def test_loader_example_runs(out_with_captions, monkeypatch):
    monkeypatch.chdir(out_with_captions)
    example = PYTHON[3].replace("num_workers=8", "num_workers=0")  # the machine's cores, not the API
    scope: dict = {}
    exec(compile(example, "README.md", "exec"), scope)  # noqa: S102
    assert scope["ds"].null_drops["crosscheck_rate<=0.2"] > 0
    batch = next(iter(scope["loader"]))
    assert set(batch["caption_source"]) <= {"alt", "dense"}


def test_open_clip_command_runs(out_with_captions, tmp_path):
    (command,) = [b for b in code_blocks(README, "sh") if "open_clip_train.main" in b]
    model = tmp_path / "tiny-clip"
    model.mkdir()
    (model / "open_clip_config.json").write_text(json.dumps(TINY_CLIP))
    argv = [a.strip('"') for a in command.replace("\\\n", " ").split()]
    argv = [sys.executable, *argv[1:], "--model", f"local-dir:{model}", "--batch-size", "4",
            "--workers", "0", "--device", "cpu", "--precision", "fp32", "--epochs", "1",
            "--save-frequency", "0", "--logs", str(tmp_path / "logs"), "--name", "readme"]
    ran = subprocess.run(argv, cwd=out_with_captions, capture_output=True, text=True, timeout=900)
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-4000:]
    assert "[40/40 (100%)]" in ran.stdout + ran.stderr
