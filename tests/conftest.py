"""Shared fixtures: a local Ray started once per test session and stopped by the same session."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpora"
sys.path.insert(0, str(ROOT))


def corpus(name: str) -> Path:
    """Path of a shared real-world corpus; skips the test with a message when it is absent."""
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"corpus {path} is absent (it lives in ../shared/corpora beside the project)")
    return path


@pytest.fixture(scope="session")
def ray_local():
    """A local Ray for this test session, with its own temp dir; shut down at the end.

    The temp dir is short because Ray's Unix socket paths live under it (107 bytes at most).
    """
    import ray

    if ray.is_initialized():
        yield ray
        return
    os.environ.setdefault("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
    tmp = None
    for attempt in range(3):  # Ray waits a fixed 30 s for its raylet: a busy machine can miss that
        tmp = tempfile.mkdtemp(prefix="lray", dir="/tmp")
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                     _temp_dir=tmp, configure_logging=False)
            break
        except Exception:  # noqa: BLE001 - Ray raises a bare Exception on a start timeout
            ray.shutdown()
            shutil.rmtree(tmp, ignore_errors=True)
            if attempt == 2:
                raise
    try:
        yield ray
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
