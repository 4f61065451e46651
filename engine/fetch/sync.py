"""Synchronous entry points: a fetcher that owns an event loop in a thread of its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence

from engine.fetch.client import FetchSession
from engine.fetch.hostgate_client import GateRef
from engine.fetch.policy import FetchPolicy, FetchResult


class Fetcher:
    """A :class:`FetchSession` behind a synchronous API, for stages and scripts.

    Its event loop runs in a daemon thread, so it works from any thread, event loop or not; the
    session (DNS answers, robots.txt cache, per-host limits) lives as long as the fetcher.
    With ``gate`` (the job's, from :func:`engine.fetch.job_gate`) per-host limits, pauses and
    robots.txt hold for every fetcher of the job, not just this one.
    """

    def __init__(self, policy: FetchPolicy, gate: GateRef | None = None):
        self.policy = policy
        self.gate = gate
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="loomery-fetch", daemon=True
        )
        self._thread.start()
        self.session: FetchSession = self._run(self._make_session())

    async def _make_session(self) -> FetchSession:
        return FetchSession(self.policy, self.gate)

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def run(self, coro):
        """Run ``coro`` on this fetcher's event loop (where its session and caches live)."""
        return self._run(coro)

    def fetch_all(
        self,
        urls: Sequence[str],
        concurrency: int = 64,
        on_result: Callable[[int, FetchResult], None] | None = None,
    ) -> list[FetchResult]:
        """Fetch ``urls``; one result per URL, in input order. ``on_result(i, result)`` runs
        in a worker thread as each result arrives."""
        if not urls:
            return []
        return self._run(self.session.fetch_many(urls, concurrency, on_result))

    def close(self) -> None:
        """Close the pooled connections, hand back what the session holds of the job's gate, and
        stop the event loop thread."""
        if self._loop.is_running():
            self._run(self.session.close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def fetch_all(
    urls: Sequence[str], policy: FetchPolicy | None = None, concurrency: int = 64
) -> list[FetchResult]:
    """Fetch ``urls`` under ``policy`` (default: the safe defaults); results in input order."""
    with Fetcher(policy or FetchPolicy()) as fetcher:
        return fetcher.fetch_all(urls, concurrency)
