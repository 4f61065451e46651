"""The partitioned global step through the runner: exact and near duplicates give the same shards
and rejects whatever the number of buckets, partitions and workers, the same as near duplicates'
band rows each carrying their record's payload (the layout before payloads travelled once), and
a run killed inside the step (while deciding buckets, verifying candidate pairs, publishing
per-unit decisions) resumes to the same bytes."""

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.job import Job
from engine.runner import run_job
from engine.sinks import WebDatasetSink
from engine.sources import open_source
from filters import ExactDuplicates, ProbeImage
from filters.dedup import NearDupConfig, NearDuplicates
from loomery.demo.corpus import make_records, write_parquet_corpus
from tests.conftest import ROOT
from tests.integration.runs import digests

pytestmark = pytest.mark.integration


def corpus(folder) -> str:
    """The demo corpus (with its exact duplicates), where every third record's caption is one of
    twelve long captions plus a word of its own: near-duplicate clusters of about four records,
    each spread over several units."""
    records = make_records(150, seed=7)
    for i in range(0, len(records), 3):
        words = " ".join(f"w{i % 12}x{j}" for j in range(40))
        records[i] = dataclasses.replace(records[i], caption=f"{words} own{i}")
    write_parquet_corpus(records, folder, rows_per_file=50)
    return str(folder)


def dedup_job(inputs: str, out: str, buckets: int, partitions: int, records_per_bucket=None,
              payload_in_bands: bool = False) -> Job:
    exact = ExactDuplicates(buckets=buckets)
    near = NearDuplicates(text_column="caption", image=True,
                          config=NearDupConfig(threshold=0.7, buckets=buckets, records_per_bucket=records_per_bucket))
    exact.partitions = near.partitions = partitions
    if payload_in_bands:  # each band row carries its record's payload, checked in decide
        near.payloads = False
    return Job(name="global-step-test", source=open_source([inputs]),
               stages=[ProbeImage(shard_format="jpeg"), exact, near],
               sink=WebDatasetSink(samples_per_shard=20), out=out, unit_size=15)


def rejects(out) -> pa.Table:
    return pa.concat_tables([pq.read_table(p) for p in sorted((out / "rejects").glob("*.parquet"))])


def test_same_output_for_any_buckets_partitions_and_workers(tmp_path, ray_local):
    inputs = corpus(tmp_path / "in")
    runs = {"b4-p1-w1": (4, 1, None, 1, False), "b16-p5-w2": (16, 5, None, 2, False),
            "b75-p7-w2": (4, 7, 2, 2, False), "inline-b4-p1-w1": (4, 1, None, 1, True),
            "inline-b16-p5-w2": (16, 5, None, 2, True)}
    for name, (buckets, partitions, per_bucket, workers, inline) in runs.items():
        manifest = run_job(dedup_job(inputs, str(tmp_path / name), buckets, partitions, per_bucket, inline),
                           workers=workers)
        # Exact and near duplicates are consecutive: one pass writes both signatures, one applies both.
        assert [p["emits"] for p in manifest["phases"]] == ["exact_duplicates+near_duplicates", None]
        steps = manifest["phases"][0]["global_steps"]
        assert [s["partitions"] for s in steps] == [min(partitions, s["buckets"]) for s in steps]
    reference = digests(tmp_path / "b4-p1-w1")
    for name in runs:
        assert digests(tmp_path / name) == reference, name
    table = rejects(tmp_path / "b4-p1-w1")
    reasons = table["reason"].to_pylist()
    assert "duplicate" in reasons and "near_duplicate" in reasons
    near = table.filter(pa.compute.equal(table["reason"], "near_duplicate"))
    # Clusters of three or more: the components span buckets, partitions and units.
    assert max(near["dup_of"].value_counts().field(1).to_pylist()) >= 2
    assert len(set(near["unit"].to_pylist())) >= 3


RESUME_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from tests.integration.test_global_step import dedup_job
    from engine.runner import run_job
    run_job(dedup_job({inputs!r}, {out!r}, 16, 5), address={address!r}, workers=2)
""")


def test_killed_inside_the_global_step_resumes_to_the_same_bytes(tmp_path, ray_local):
    inputs = corpus(tmp_path / "in")
    run_job(dedup_job(inputs, str(tmp_path / "whole"), 16, 5), workers=2)
    out = tmp_path / "resumed"
    address = ray_local.get_runtime_context().gcs_address
    script = RESUME_SCRIPT.format(root=str(ROOT), inputs=inputs, out=str(out), address=address)
    # 1st step: dies while deciding; 1st step publishing; 2nd step (near duplicates): deciding,
    # verifying its candidate pairs, publishing.
    for point in ("global_bucket:3", "global_publish:2", "global_bucket:10", "global_verify:2",
                  "global_publish:3"):
        env = {**os.environ, "LOOMERY_FAILPOINT": point}
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=300,
                              start_new_session=True)
        assert proc.returncode == -signal.SIGKILL, f"{point}: {proc.stdout[-2000:]!r} {proc.stderr[-2000:]!r}"
        assert not (out / "manifest.json").exists()
    run_job(dedup_job(inputs, str(out), 16, 5), workers=2)
    assert digests(out) == digests(tmp_path / "whole")
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name or p.name == "_work"]


def test_an_exact_duplicate_never_keeps_a_near_duplicate_cluster(tmp_path, ray_local):
    """With keep='longest', a later exact copy with a longer caption would be the near-duplicate
    keeper if the near step saw it: then its original would go as a near duplicate of it and the
    copy as an exact duplicate of the original, and neither would be kept. The near step shares
    the exact step's pass but leaves out what the exact step removed."""
    records = [r for r in make_records(60, seed=3) if r.kind == "good"][:30]
    for i, r in enumerate(records):
        records[i] = dataclasses.replace(r, caption=" ".join(f"c{i}w{j}" for j in range(12)))
    records[25] = dataclasses.replace(records[25], image=records[2].image,
                                      caption=records[2].caption + " and a much longer caption than before")
    write_parquet_corpus(records, tmp_path / "in", rows_per_file=30)
    exact = ExactDuplicates()
    near = NearDuplicates(text_column="caption", image=True, config=NearDupConfig(threshold=0.5, keep="longest"))
    job = Job(name="keeper-test", source=open_source([str(tmp_path / "in")]),
              stages=[ProbeImage(shard_format="jpeg"), exact, near],
              sink=WebDatasetSink(samples_per_shard=50), out=str(tmp_path / "out"), unit_size=10)
    run_job(job, workers=2)
    table = rejects(tmp_path / "out")
    rows = list(zip(table["key"].to_pylist(), table["reason"].to_pylist(), table["dup_of"].to_pylist(),
                    table["seq"].to_pylist(), strict=True))
    copy = [r for r in rows if r[3] == 25]
    assert [(r[1], r[3]) for r in copy] == [("duplicate", 25)]
    original = copy[0][2]
    assert original not in [r[0] for r in rows]  # the original is kept
    assert not [r for r in rows if r[1] == "near_duplicate"]
