"""The safe fetcher (DESIGN invariants 4 and 5): http/https only, DNS checked then pinned,
private addresses refused on every hop, bounded bytes/time/redirects/pixels, robots.txt and
X-Robots-Tag honoured, polite per host.

Batch API::

    from engine.fetch import FetchPolicy, fetch_all
    results = fetch_all(urls, FetchPolicy(allow_hosts="127.0.0.1"), concurrency=64)

or keep a :class:`Fetcher` (sync) / :class:`FetchSession` (async) to reuse caches across batches.
Inside a run, pass ``job_gate()`` to the fetcher so that per-host politeness and robots.txt hold
for the whole job (:mod:`engine.fetch.hostgate_client`).
"""

from engine.fetch.client import FetchSession
from engine.fetch.hostgate_client import GateRef, job_gate
from engine.fetch.policy import DEFAULT_USER_AGENT, FetchPolicy, FetchResult
from engine.fetch.resolve import FetchError
from engine.fetch.sync import Fetcher, fetch_all

__all__ = [
    "DEFAULT_USER_AGENT",
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "FetchSession",
    "Fetcher",
    "GateRef",
    "job_gate",
    "fetch_all",
]
