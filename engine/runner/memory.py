"""Handing freed memory back to the system between units on long-lived workers.

Arrow's allocator (mimalloc or jemalloc) and glibc keep freed pages for reuse. A worker process
lives for a whole run and takes turns at very different work (a unit's filters, a dedup bucket,
a unit's shards), so pages kept after the largest of them would count against every later one:
measured, a near-duplicate bucket of 5,000 records left ~95 MB held by Arrow's pool after it
was done, all of it returned by ``release_unused``.

Handing pages back costs the next unit the page faults (and zeroing) of taking them again:
released after every 2,000-record unit of ``bench/pipeline.py``, 12.6 us a record, 7% of the
phase. So pages go back only once the process holds :data:`SLACK_BYTES` more than it did after
the last release: what a worker keeps between units stays bounded, and small units reuse theirs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

import pyarrow as pa

SLACK_BYTES = 128 << 20
_floor: list[int] = []  # resident bytes right after the last release in this process


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return getattr(libc, "malloc_trim", None)  # glibc only


def resident_bytes() -> int | None:
    """This process's resident memory (Linux ``/proc/self/statm``), or None where unknown."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def release_unused_memory(force: bool = False) -> bool:
    """Return the pages Arrow's memory pool and glibc's malloc hold free to the system, if the
    process grew by more than :data:`SLACK_BYTES` since the last release (or ``force``; or
    where its size is unknown). Returns whether it released."""
    resident = resident_bytes()
    if not force and resident is not None and _floor and resident - _floor[0] <= SLACK_BYTES:
        return False
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    after = resident_bytes()
    _floor[:] = [after] if after is not None else []
    return True
