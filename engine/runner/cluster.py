"""Connecting to Ray: an embedded local Ray by default, or a running cluster by address."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path

import ray

from engine.runner.console import prepare_ray_console

ROOT = Path(__file__).resolve().parents[2]
UPLOAD_EXCLUDES = [".git", ".venv", ".venv-*", "demo-out", "**/__pycache__", "*.tar", "*.parquet"]


log = logging.getLogger("loomery")

# An embedded Ray serves one run and nobody looks at its dashboard: no metrics exported to its
# agent, no task events sent to its GCS, no event-loop statistics. Ray starts the agents anyway
# (it has no setting to skip them); these leave them idle. A cluster's own settings are untouched.
EMBEDDED_SYSTEM_CONFIG = {"enable_metrics_collection": False, "task_events_report_interval_ms": 0,
                          "event_stats": False}


def _init_with_retry(options: dict, attempts: int) -> None:
    """Start Ray. A local start can miss Ray's fixed 30 s raylet wait on a busy machine: retry."""
    for attempt in range(1, attempts + 1):
        try:
            ray.init(**options)
            return
        except Exception as error:  # noqa: BLE001 - Ray raises a bare Exception on a start timeout
            ray.shutdown()
            if attempt == attempts or "timed out during startup" not in str(error):
                raise
            log.warning("Ray did not start in time (attempt %d of %d); retrying", attempt, attempts)


@contextmanager
def ray_session(address: str | None = None, workers: int | None = None):
    """Use the Ray already initialised in this process, or start one for the duration.

    With no address an embedded local Ray starts (``workers`` CPUs, default all); with an
    address the process joins that cluster: from outside (``HOST:PORT``, ``ray://...``) it ships
    the project as the working directory, so workers import ``engine`` and ``filters``; with
    ``auto`` (inside the cluster, e.g. a job from ``loomery submit``) the code is already there.
    """
    prepare_ray_console()
    if ray.is_initialized():
        yield
        return
    os.environ.setdefault("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
    options: dict = {"logging_level": logging.WARNING, "configure_logging": False,
                     "log_to_driver": True}
    if address:
        options["address"] = address
        if address != "auto":  # joining from outside: ship the code. Inside (a submitted job), it is there.
            options["runtime_env"] = {"working_dir": str(ROOT), "excludes": UPLOAD_EXCLUDES}
    else:
        # Ray starts its workers at nice 15, below the driver and anything else on the machine:
        # an embedded Ray's workers *are* the user's job, so they run at the driver's priority
        # (on a shared machine at load 5, tasks at nice 15 took 2.1-2.6x their CPU time in wall).
        os.environ.setdefault("RAY_worker_niceness", "0")
        options["include_dashboard"] = False
        options["_system_config"] = EMBEDDED_SYSTEM_CONFIG
        options["num_cpus"] = workers or os.cpu_count()
        store_mb = os.environ.get("LOOMERY_OBJECT_STORE_MB")  # Ray's default: 30% of memory
        if store_mb:
            options["object_store_memory"] = int(store_mb) * 2**20
    _init_with_retry(options, attempts=1 if address else 3)
    try:
        yield
    finally:
        ray.shutdown()
