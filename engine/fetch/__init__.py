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

from engine.exports import lazy_exports

# Loaded on first use (PEP 562): the client pulls in aiohttp (~0.2 CPU-s, ~300 modules), which a
# Ray worker of a job without a fetch stage must not pay for importing the runner.
_EXPORTS = {
    "DEFAULT_USER_AGENT": "engine.fetch.policy",
    "FetchError": "engine.fetch.resolve",
    "FetchPolicy": "engine.fetch.policy",
    "FetchResult": "engine.fetch.policy",
    "FetchSession": "engine.fetch.client",
    "Fetcher": "engine.fetch.sync",
    "GateRef": "engine.fetch.hostgate_client",
    "job_gate": "engine.fetch.hostgate_client",
    "fetch_all": "engine.fetch.sync",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
