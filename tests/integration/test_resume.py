"""Invariant 3: a run killed with SIGKILL at several points and restarted ends with exactly the
output of an uninterrupted run, passes verify, and leaves no temporary file.

Each run is a separate ``loomery run`` process joining the test's Ray, killed by the failpoint
named in LOOMERY_FAILPOINT (the driver sends itself SIGKILL there)."""

import contextlib
import os
import signal
import subprocess
import sys

import pytest

from engine.output.verify import verify_output
from tests.integration.runs import comparable_manifest, demo_corpus, digests, run_demo

pytestmark = pytest.mark.integration

KILL_POINTS = [
    "unit_published:2",  # phase 1, after two units
    "global_bucket:5",  # inside the global dedup step
    "unit_published:3",  # phase 2, after three more units
    "finalize_move:4",  # while renaming unit parts to shards
    "before_manifest:1",  # everything published but the manifest
]
PARAMS = ["unit_size=15", "samples_per_shard=10"]


def loomery_run(inputs, out, address, failpoint=None):
    env = {**os.environ, "LOOMERY_FAILPOINT": failpoint or ""}
    cmd = [sys.executable, "-m", "loomery.cli", "-q", "run", "demo", "--input", str(inputs), "--out", str(out),
           "--address", address, *[a for p in PARAMS for a in ("--param", p)]]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = proc.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever this run started, and only that
    return proc.returncode, output


def test_killed_runs_resume_to_the_uninterrupted_output(tmp_path, ray_local):
    inputs = demo_corpus(tmp_path / "in", count=90)
    run_demo([inputs], tmp_path / "reference", unit_size=15, samples_per_shard=10)
    address = ray_local.get_runtime_context().gcs_address
    out = tmp_path / "resumed"
    for point in KILL_POINTS:
        code, output = loomery_run(inputs, out, address, point)
        assert code == -signal.SIGKILL, f"run meant to die at {point} ended with {code}:\n{output[-2000:]}"
        assert not (out / "manifest.json").exists()
    code, output = loomery_run(inputs, out, address)
    assert code == 0, output[-3000:]
    assert verify_output(out) == []
    assert digests(out) == digests(tmp_path / "reference")
    assert comparable_manifest(out) == comparable_manifest(tmp_path / "reference")
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name or p.name == "_work"]
    code, output = loomery_run(inputs, out, address)
    assert code == 0 and digests(out) == digests(tmp_path / "reference"), "a finished output is left as it is"
