"""Against a real Ray head started by the test: `loomery submit` through the Jobs API, and a
two-node cluster running a job whose actor stage is placed on both nodes."""

import json
import subprocess
import sys

import pytest

from engine.verify import verify_output
from tests.integration.cluster import LocalCluster
from tests.integration.runs import demo_corpus

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ACTOR_JOB = '''
from engine.job import Job
from engine.sinks import WebDatasetSink
from engine.sources import open_source
from engine.stage import Resources, Stage
from filters import ProbeImage


class Tag(Stage):
    """An actor-pool stage (it has setup) with one CPU per actor: two actors need two nodes."""

    resources = Resources(num_cpus=1, concurrency=2)

    def setup(self):
        self.ready = True

    def __call__(self, batch):
        return batch


def job(inputs, out, params):
    return Job(source=open_source(inputs), stages=[ProbeImage(shard_format="jpeg"), Tag()],
               sink=WebDatasetSink(samples_per_shard=20), out=out, unit_size=5)
'''


def loomery(args, env, timeout=600):
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_submit_runs_the_job_on_the_cluster(tmp_path):
    inputs = demo_corpus(tmp_path / "in", count=40)
    with LocalCluster(nodes=1, cpus_per_node=2) as cluster:
        result = loomery(["submit", "demo", "--address", cluster.dashboard, "--input", str(inputs),
                          "--out", str(tmp_path / "out"), "--param", "unit_size=10"], cluster.env)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:] + cluster.logs()
        assert "SUCCEEDED" in result.stderr and "inputs" in result.stdout
        assert verify_output(tmp_path / "out") == []
        failing = loomery(["submit", "demo", "--address", cluster.dashboard, "--input", str(inputs),
                           "--out", str(tmp_path / "bad"), "--param", "no_such_param=1"], cluster.env)
        assert failing.returncode == 1 and "FAILED" in failing.stderr
        quick = loomery(["submit", "demo", "--address", cluster.dashboard, "--input", str(inputs),
                         "--out", str(tmp_path / "nowait"), "--no-wait"], cluster.env)
        assert quick.returncode == 0 and quick.stdout.strip()


def test_two_nodes_share_an_actor_stage(tmp_path):
    inputs = demo_corpus(tmp_path / "in", count=60)
    job_file = tmp_path / "actor_job.py"
    job_file.write_text(ACTOR_JOB)
    with LocalCluster(nodes=2, cpus_per_node=1) as cluster:
        result = loomery(["run", str(job_file), "--input", str(inputs), "--out", str(tmp_path / "out"),
                          "--address", cluster.gcs_address], cluster.env)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:] + cluster.logs()
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert len(stats["stages"]["tag"]["nodes"]) == 2, stats["stages"]["tag"]["nodes"]
    assert verify_output(tmp_path / "out") == []
