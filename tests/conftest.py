"""Shared fixtures: a local Ray started once per test session and stopped by the same session."""

import os
import sys
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
def ray_local(tmp_path_factory):
    """A local Ray for this test session, with its own temp dir; shut down at the end."""
    import ray

    if ray.is_initialized():
        yield ray
        return
    tmp = tmp_path_factory.mktemp("ray")
    os.environ.setdefault("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="ERROR",
        _temp_dir=str(tmp),
        configure_logging=False,
    )
    try:
        yield ray
    finally:
        ray.shutdown()
