"""The console of a real run (local Ray, in a subprocess like a user's): Ray's boilerplate is
absent, per-phase progress is present, and what a worker prints still reaches the console."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.runs import demo_corpus

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

# The demo job with one stage in front that runs in an actor pool and says hello from setup().
JOB = '''
import dataclasses
import sys

from engine.jobfile import load_job_module
from engine.stage import Stage


class Hello(Stage):
    def setup(self):
        print("hello from a worker", file=sys.stderr, flush=True)

    def __call__(self, batch):
        return batch


def job(inputs, out, params):
    base = load_job_module("demo").job(inputs, out, params)
    return dataclasses.replace(base, name="console", stages=[Hello(), *base.stages])
'''

BOILERPLATE = ("Token authentication is enabled", "Progress bars disabled",
               "The maximum number of concurrent tasks")


def test_run_console_is_quiet_and_shows_progress(tmp_path):
    inputs = demo_corpus(tmp_path / "in", count=20)
    job_file = tmp_path / "console_job.py"
    job_file.write_text(JOB)
    command = [sys.executable, "-m", "engine.cli", "run", str(job_file), "--input", str(inputs),
               "--out", str(tmp_path / "out"), "--workers", "2", "--param", "unit_size=10"]
    env = {**os.environ, "LOOMERY_OBJECT_STORE_MB": "512"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    console = result.stdout + result.stderr
    assert result.returncode == 0, console
    for notice in BOILERPLATE:
        assert notice not in console, f"{notice!r} on the console:\n{console}"
    assert "hello from a worker" in console  # log_to_driver still forwards what workers print
    assert re.search(r"phase 1/2: 2/2 units, 20/20 records, [\d.,]+ records/s, 0s left", console), console
    assert re.search(r"phase 2/2: 2/2 units, 20/20 records", console), console
    assert "total: 20 inputs" in result.stdout
