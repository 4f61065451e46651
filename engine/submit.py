"""Submitting a job file to a Ray cluster through the Ray Jobs API.

The project folder is uploaded as the job's working directory, so the cluster runs the same
``engine``, ``filters`` and job file with no install step. Inputs and the output folder must be
paths or URLs that the cluster's nodes can reach (shared storage, s3://, gs://...).
"""

from __future__ import annotations

import asyncio
import shlex
import sys
import time
from pathlib import Path

from ray.job_submission import JobStatus, JobSubmissionClient

from engine.jobfile import JOBS_DIR, resolve_job_path, resolve_params
from engine.params import Params
from engine.runner.cluster import ROOT, UPLOAD_EXCLUDES

EXIT_CODES = {JobStatus.SUCCEEDED: 0, JobStatus.FAILED: 1, JobStatus.STOPPED: 130}


def entrypoint(job: str, inputs: list[str], out: str, params: list[str], workers: int | None) -> str:
    """The command the cluster runs: ``loomery run`` with the job file relative to the project."""
    path = resolve_job_path(job).resolve()
    try:
        relative = path.relative_to(ROOT)
    except ValueError:
        raise ValueError(f"job file {path} must live inside the project ({ROOT}) to be uploaded; "
                         f"copy it into {JOBS_DIR}") from None
    args = ["python", "-m", "loomery.cli", "run", str(relative), "--out", out, "--address", "auto"]
    for item in inputs:
        args += ["--input", item]
    for item in params:
        args += ["--param", item]
    if workers:
        args += ["--workers", str(workers)]
    return shlex.join(args)


def submit(address: str, job: str, inputs: list[str], out: str, params: list[str], *,
           workers: int | None = None, wait: bool = True, submission_id: str | None = None,
           env: dict[str, str] | None = None) -> int:
    """Submit; with ``wait``, stream the logs and return the job's exit status (0 succeeded,
    1 failed, 130 stopped); without, print the submission id and return 0. ``env`` sets
    environment variables for the job's driver and workers. The params are checked against the
    job file's ``PARAMS`` first (a ValueError, as ``loomery run`` gives), before any connection."""
    command = entrypoint(job, inputs, out, params, workers)  # first: a job outside the project is refused
    resolve_params(job, Params.parse(params))
    client = JobSubmissionClient(address)
    runtime_env = {"working_dir": str(ROOT), "excludes": UPLOAD_EXCLUDES}
    if env:
        runtime_env["env_vars"] = dict(env)
    job_id = _submit_when_ready(
        client,
        entrypoint=command,
        runtime_env=runtime_env,
        submission_id=submission_id,
        metadata={"tool": "loomery", "job": Path(job).name},
    )
    print(f"submitted {job_id} to {address}", file=sys.stderr)
    if not wait:
        print(job_id)
        return 0
    asyncio.run(_stream_logs(client, job_id))
    status = _final_status(client, job_id)
    print(f"{job_id}: {status.value}", file=sys.stderr)
    return EXIT_CODES.get(status, 1)


def _submit_when_ready(client: JobSubmissionClient, ready_timeout_s: float = 120, **request) -> str:
    """Submit; a cluster that has just started may not have its job agent yet: wait for it."""
    deadline = time.monotonic() + ready_timeout_s
    while True:
        try:
            return client.submit_job(**request)
        except RuntimeError as error:
            if "No available agent" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(2)


async def _stream_logs(client: JobSubmissionClient, job_id: str) -> None:
    async for lines in client.tail_job_logs(job_id):
        sys.stdout.write(lines)
        sys.stdout.flush()


def _final_status(client: JobSubmissionClient, job_id: str, timeout_s: float = 60) -> JobStatus:
    deadline = time.monotonic() + timeout_s
    status = client.get_job_status(job_id)
    while not status.is_terminal() and time.monotonic() < deadline:
        time.sleep(0.5)
        status = client.get_job_status(job_id)
    return status
