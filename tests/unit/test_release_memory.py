"""Freed pages go back to the system once a worker has grown by more than the slack since its
last release, not after every unit (which made the next unit fault them in again)."""

import numpy as np
import pyarrow as pa

from engine.runner.memory import SLACK_BYTES, release_unused_memory, resident_bytes


def test_pages_go_back_only_once_the_process_has_grown_past_the_slack():
    assert resident_bytes() is not None  # Linux: read from /proc/self/statm
    assert release_unused_memory(force=True)
    small = pa.array(np.ones(1 << 20, dtype=np.uint8))  # 1 MiB: a unit's worth of slack
    assert not release_unused_memory()
    big = pa.array(np.ones(SLACK_BYTES + (64 << 20), dtype=np.uint8))  # touched: resident
    assert resident_bytes() > SLACK_BYTES
    assert release_unused_memory()
    assert not release_unused_memory()  # the floor is now the grown process
    del small, big
