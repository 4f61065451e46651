"""Against a real Ray head started by the test: `loomery submit` through the Jobs API, a
two-node cluster running a job whose actor stage is placed on both nodes, and the pairs job
crawling a loopback site on two nodes, its driver killed and the job submitted again."""

import json
import subprocess
import sys
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.output.verify import verify_output
from tests.integration.cluster import LocalCluster
from tests.integration.fetch_servers import Server, make_jpeg, reply
from tests.integration.runs import demo_corpus, digests

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ACTOR_JOB = '''
from engine.job import Job
from engine.params import ParamSet
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


PARAMS = ParamSet()


def job(inputs, out, params):
    return Job(source=open_source(inputs), stages=[ProbeImage(shard_format="jpeg"), Tag()],
               sink=WebDatasetSink(samples_per_shard=20), out=out, unit_size=5)
'''


def loomery(args, env, timeout=600):
    return subprocess.run([sys.executable, "-m", "loomery.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_submit_runs_the_job_on_the_cluster(tmp_path):
    inputs = demo_corpus(tmp_path / "in", count=40)
    with LocalCluster(nodes=1, cpus_per_node=2) as cluster:
        result = loomery(["submit", "demo", "--address", cluster.dashboard, "--input", str(inputs),
                          "--out", str(tmp_path / "out"), "--param", "unit_size=10"], cluster.env)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:] + cluster.logs()
        assert "SUCCEEDED" in result.stderr and "inputs" in result.stdout
        assert verify_output(tmp_path / "out") == []
        typo = loomery(["submit", "demo", "--address", cluster.dashboard, "--input", str(inputs),
                        "--out", str(tmp_path / "typo"), "--param", "no_such_param=1"], cluster.env)
        assert typo.returncode == 2 and "no_such_param" in typo.stderr  # refused before submitting
        failing = loomery(["submit", "demo", "--address", cluster.dashboard, "--input", str(inputs),
                           "--out", str(tmp_path / "bad"), "--param", "unit_size=0"], cluster.env)
        assert failing.returncode == 1 and "FAILED" in failing.stderr  # a valid int the job refuses
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


THINGS = ("kayak", "lantern", "bicycle", "teapot", "violin", "cactus", "tram", "kite")
PLACES = ("harbour", "market", "library", "orchard", "station", "bridge")


def photo_site(h) -> None:
    if h.path.startswith("/img/"):
        reply(h, 200, make_jpeg(200, 150, seed=zlib.crc32(h.path.encode())), {"Content-Type": "image/jpeg"})
    else:
        reply(h, 404, b"")


def url_list(path, site, count: int):
    urls = [site.url(f"/img/{i:04d}.jpg") for i in range(count)]
    captions = [f"photo {i} of a {THINGS[i % 8]} by the {PLACES[i % 6]} taken on day {i * 7 % 31}"
                for i in range(count)]
    pq.write_table(pa.table({"url": urls, "caption": captions}), path)
    return path


def test_pairs_job_on_two_nodes_resumes_after_its_driver_is_killed(tmp_path):
    with Server("127.0.0.1", photo_site) as site, LocalCluster(nodes=2, cpus_per_node=2) as cluster:
        urls = url_list(tmp_path / "urls.parquet", site, 48)
        params = ["allow_hosts=127.0.0.1", "fetch_workers=2", "fetch_cpus=1", "unit_size=8",
                  "samples_per_shard=10", "retries=0"]

        def submit(out, *extra):
            args = ["submit", "pairs", "--address", cluster.dashboard, "--input", str(urls), "--out", str(out),
                    *[a for p in params for a in ("--param", p)], *extra]
            return loomery(args, cluster.env)

        reference = submit(tmp_path / "reference")
        assert reference.returncode == 0, reference.stderr[-3000:] + cluster.logs()
        killed = submit(tmp_path / "resumed", "--env", "LOOMERY_FAILPOINT=unit_published:3")
        assert killed.returncode == 1 and "FAILED" in killed.stderr, killed.stderr[-3000:]
        assert not (tmp_path / "resumed" / "manifest.json").exists()
        resumed = submit(tmp_path / "resumed")
        assert resumed.returncode == 0, resumed.stderr[-3000:] + cluster.logs()
    assert verify_output(tmp_path / "resumed") == []
    assert digests(tmp_path / "resumed") == digests(tmp_path / "reference")
    stats = json.loads((tmp_path / "reference" / "stats.json").read_text())
    assert stats["totals"]["kept"] > 24
    # two fetch actors and one NSFW actor of one CPU each cannot fit on one node of two CPUs
    actor_nodes = set(stats["stages"]["fetch"]["nodes"]) | set(stats["stages"]["nsfw"]["nodes"])
    assert len(actor_nodes) == 2, {s: stats["stages"][s]["nodes"] for s in ("fetch", "nsfw")}
