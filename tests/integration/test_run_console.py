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


PARAMS = load_job_module("demo").PARAMS


def job(inputs, out, params):
    base = load_job_module("demo").job(inputs, out, params)
    return dataclasses.replace(base, name="console", stages=[Hello(), *base.stages])
'''

# Each shows with --verbose: one unit is fewer than the two workers
# that size the task and actor pools, which sets off Ray Data's two pool-size warnings.
BOILERPLATE = ("Token authentication is enabled", "Progress bars disabled",
               "The maximum number of concurrent tasks", "The minimum number of concurrent actors")


def run_cli(tmp_path: Path, out: str, *extra: str) -> tuple[subprocess.CompletedProcess, str]:
    job_file = tmp_path / "console_job.py"
    job_file.write_text(JOB)
    inputs = tmp_path / "in"
    if not inputs.exists():
        demo_corpus(inputs, count=20)
    command = [sys.executable, "-m", "loomery.cli", "run", str(job_file), "--input", str(inputs),
               "--out", str(tmp_path / out), "--workers", "2", "--param", "unit_size=20", *extra]
    env = {**os.environ, "LOOMERY_OBJECT_STORE_MB": "512"}
    for inherited in ("LOOMERY_VERBOSE", "RAY_AUTH_MODE"):  # a Ray started by this pytest sets
        env.pop(inherited, None)  # RAY_AUTH_MODE, which silences the notice: run as from a shell
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    console = result.stdout + result.stderr
    assert result.returncode == 0, console
    return result, console


def test_run_console_is_quiet_and_shows_progress(tmp_path):
    result, console = run_cli(tmp_path, "out")
    for notice in BOILERPLATE:
        assert notice not in console, f"{notice!r} on the console:\n{console}"
    assert "hello from a worker" in console  # log_to_driver still forwards what workers print
    assert re.search(r"phase 1/2: 1/1 units, 20/20 records, [\d.,]+ records/s, 0s left", console), console
    assert re.search(r"phase 2/2: 1/1 units, 20/20 records", console), console
    assert "total: 20 inputs" in result.stdout

    _, verbose = run_cli(tmp_path, "out_verbose", "--verbose")
    for notice in BOILERPLATE:  # back with --verbose: the test above can fail
        assert notice in verbose, verbose
