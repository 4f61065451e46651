"""The safe fetcher (DESIGN invariants 4 and 5): http/https only, DNS checked then pinned,
private addresses refused on every hop, bounded bytes/time/redirects/pixels, robots.txt and
X-Robots-Tag honoured, polite per host.

Batch API::

    from engine.fetch import FetchPolicy, fetch_all
    results = fetch_all(urls, FetchPolicy(allow_hosts="127.0.0.1"), concurrency=64)

or keep a :class:`Fetcher` (sync) / :class:`FetchSession` (async) to reuse caches across batches.
"""

from engine.fetch.client import FetchSession
from engine.fetch.policy import DEFAULT_USER_AGENT, FetchPolicy, FetchResult
from engine.fetch.resolve import FetchError
from engine.fetch.runner import Fetcher, fetch_all

__all__ = [
    "DEFAULT_USER_AGENT",
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "FetchSession",
    "Fetcher",
    "fetch_all",
]
