"""`loomery submit`'s arguments: the command the cluster runs, and what it refuses before connecting."""

import shlex

import pytest

from engine.submit import entrypoint
from loomery.cli import main


def test_entrypoint_runs_the_project_relative_job_inside_the_cluster():
    command = shlex.split(entrypoint("pairs", ["s3://b/in.parquet"], "s3://b/out", ["unit_size=10"], 4))
    assert command[:5] == ["python", "-m", "loomery.cli", "run", "jobs/pairs.py"]
    assert command[command.index("--address") + 1] == "auto"  # joins the cluster it runs in
    assert command[command.index("--input"):command.index("--input") + 2] == ["--input", "s3://b/in.parquet"]
    assert command[-4:] == ["--param", "unit_size=10", "--workers", "4"]


def test_a_job_file_outside_the_project_is_refused(tmp_path):
    outside = tmp_path / "job.py"
    outside.write_text("def job(inputs, out, params): ...\n")
    with pytest.raises(ValueError, match="must live inside the project"):
        entrypoint(str(outside), ["in"], "out", [], None)


def test_env_must_be_key_value():
    with pytest.raises(SystemExit, match="not KEY=VALUE"):
        main(["submit", "demo", "--address", "http://127.0.0.1:1", "--input", "x", "--out", "y", "--env", "NOVALUE"])
