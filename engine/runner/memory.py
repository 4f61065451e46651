"""Handing freed memory back to the system between units on long-lived workers.

Arrow's allocator (mimalloc or jemalloc) and glibc keep freed pages for reuse. A worker process
lives for a whole run and takes turns at very different work (a unit's filters, a dedup bucket,
a unit's shards), so pages kept after the largest of them would count against every later one:
measured, a near-duplicate bucket of 5,000 records left ~95 MB held by Arrow's pool after it
was done, all of it returned by ``release_unused``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return getattr(libc, "malloc_trim", None)  # glibc only


def release_unused_memory() -> None:
    """Return the pages Arrow's memory pool and glibc's malloc hold free to the system."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
