"""Recaption in a real job on local Ray: served captions land in the shards with provenance,
failures keep their records, and a rerun over the first run's shards asks for nothing again."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.job import Job
from engine.runner import run_job
from engine.sinks import WebDatasetSink
from engine.sources import open_source
from engine.stage import Resources
from filters import ProbeImage
from recaption.backends.openai_backend import OpenAICaptioner
from recaption.stage import Recaption
from recaption.testing import ChatServer
from tests.integration.runs import demo_corpus

pytestmark = pytest.mark.integration


def recaption_job(inputs, out, server, existing=None) -> Job:
    captioner = OpenAICaptioner("loopback-vlm", base_url=server.base_url, revision="r1", concurrency=4, backoff_s=0.01)
    stage = Recaption(
        captioner,
        {"short": "short", "alt": "alt_text"},
        existing=existing,
        resources=Resources(num_cpus=0.5, batch_size=32, concurrency=1),
    )
    return Job(
        name="recaption-test",
        source=open_source([str(inputs)]),
        stages=[ProbeImage(), stage],
        sink=WebDatasetSink(samples_per_shard=100),
        out=str(out),
        unit_size=20,
    )


def shard_rows(out):
    return pa.concat_tables([pq.read_table(p) for p in sorted((out / "metadata").glob("*.parquet"))]).to_pylist()


def check_captioned(rows, bodies):
    assert rows and len(bodies) == 2 * len(rows)  # two variants per kept record, nothing else
    for row in rows:
        assert row["caption_short"] == "A small test picture."
        assert row["caption_alt_status"] == "ok"
        meta = json.loads(row["caption_alt_meta"])
        assert (meta["model"], meta["revision"], meta["prompt"]) == ("loopback-vlm", "r1", "alt_text")
    assert len([b for b in bodies if "alt-text" in json.dumps(b)]) == len(rows)


def test_served_captions_reach_the_shards_with_provenance(tmp_path, ray_local):
    inputs = demo_corpus(tmp_path / "in", count=40)
    with ChatServer(reply="The image shows a small test picture.") as server:
        manifest = run_job(recaption_job(inputs, tmp_path / "out", server))
    check_captioned(shard_rows(tmp_path / "out"), server.seen.bodies)
    assert "loopback-vlm" in [m["name"] for m in manifest["models"]]


@pytest.mark.slow
def test_a_rerun_over_earlier_shards_asks_for_nothing(tmp_path, ray_local):
    inputs = demo_corpus(tmp_path / "in", count=40)
    with ChatServer(reply="The image shows a small test picture.") as server:
        run_job(recaption_job(inputs, tmp_path / "out", server))
        rows = shard_rows(tmp_path / "out")
        check_captioned(rows, server.seen.bodies)
        asked = len(server.seen.bodies)
        run_job(recaption_job(inputs, tmp_path / "again", server, existing=str(tmp_path / "out")))
        assert len(server.seen.bodies) == asked  # every caption came from the first run
    again = {r["key"]: r for r in shard_rows(tmp_path / "again")}
    assert [again[r["key"]]["caption_short_meta"] for r in rows] == [r["caption_short_meta"] for r in rows]
