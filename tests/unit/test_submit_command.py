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


@pytest.mark.parametrize("param, message", [
    ("min_sid=64", "unknown --param min_sid for job pairs"),
    ("min_side=big", "--param min_side='big' is not an integer (min_side: int)"),
    ("min_side", "--param 'min_side' is not key=value"),
])
def test_params_are_checked_on_the_client_with_the_messages_of_run(param, message, capsys, tmp_path):
    # Port 1 has no cluster: a param error must come before any connection is tried.
    submitted = main(["submit", "pairs", "--address", "http://127.0.0.1:1", "--input", "x",
                      "--out", str(tmp_path / "out"), "--param", param])
    submit_error = capsys.readouterr().err
    ran = main(["run", "pairs", "--input", "x", "--out", str(tmp_path / "out"), "--param", param])
    run_error = capsys.readouterr().err
    assert submitted == ran == 2
    assert message in submit_error
    assert submit_error.replace("loomery submit:", "loomery run:") == run_error
    assert not (tmp_path / "out").exists()


def test_a_job_file_outside_the_project_is_refused_before_it_is_loaded(tmp_path, capsys):
    outside = tmp_path / "job.py"
    outside.write_text("raise SystemExit('loaded')\n")
    assert main(["submit", str(outside), "--address", "http://127.0.0.1:1", "--input", "x",
                 "--out", str(tmp_path / "out")]) == 2
    assert "must live inside the project" in capsys.readouterr().err
