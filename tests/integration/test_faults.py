"""Faults: a Ray worker process killed mid-run (task and actor stages), and a full disk under
the sink. The driver killed mid-run is covered by test_resume.py."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from ray import cloudpickle  # Ray serialises with its own copy of cloudpickle

from engine.job import Job
from engine.output.verify import verify_output
from engine.runner import run_job
from engine.sinks import WebDatasetSink
from engine.sources import ParquetSource
from engine.stage import Stage
from filters import CaptionJunk, ExactDuplicates, ImageSize, ProbeImage
from tests.integration.runs import demo_corpus, digests

pytestmark = pytest.mark.integration
cloudpickle.register_pickle_by_value(sys.modules[__name__])


class DieOnce(Stage):
    """Kills the worker process running it (SIGKILL) the first time it meets unit 2."""

    def __init__(self, marker: str, **kw):
        super().__init__(**kw)
        self.marker = marker

    def __call__(self, batch: pa.Table) -> pa.Table:
        if batch.column("_unit")[0].as_py() == 2 and not Path(self.marker).exists():
            Path(self.marker).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return batch


class DieOnceInActor(DieOnce):
    def setup(self) -> None:
        """Makes the stage an actor-pool stage."""


def build(inputs, out, extra=()):
    stages = [ProbeImage(shard_format="jpeg"), *extra, ImageSize(min_side=64), CaptionJunk(), ExactDuplicates()]
    return Job(source=ParquetSource([str(inputs)]), stages=stages, sink=WebDatasetSink(samples_per_shard=10),
               out=str(out), unit_size=10)


@pytest.mark.parametrize("stage_class", [DieOnce, DieOnceInActor], ids=["task", "actor"])
def test_a_killed_worker_does_not_change_the_output(tmp_path, ray_local, stage_class):
    inputs = demo_corpus(tmp_path / "in", count=60)
    run_job(build(inputs, tmp_path / "reference"))
    marker = tmp_path / "killed"
    killer = stage_class(str(marker), name="die_once")
    manifest = run_job(build(inputs, tmp_path / "out", [killer]))
    assert marker.exists(), "the worker was meant to be killed"
    assert verify_output(tmp_path / "out") == []
    assert digests(tmp_path / "out") == digests(tmp_path / "reference")
    assert manifest["totals"]["inputs"] == 60


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)],
                            capture_output=True, text=True, check=False)
    if result.returncode:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_a_clear_error_and_publishes_no_partial_shard(tmp_path, ray_local, tiny_disk):
    inputs = demo_corpus(tmp_path / "in", count=80)
    out = tiny_disk / "out"
    with pytest.raises(Exception) as caught:  # noqa: PT011 - Ray wraps the worker's OSError
        run_job(build(inputs, out))
    assert "No space left on device" in str(caught.value)
    assert not (out / "manifest.json").exists()
    assert not list((out / "shards").glob("*")) if (out / "shards").exists() else True
