"""What the fetching stages share: a safe fetcher per worker, a resizer, their settings."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from engine.fetch import Fetcher, FetchPolicy, job_gate
from engine.stage import Filter, Resources
from filters.images.resize import Resizer


class FetchingFilter(Filter):
    """A filter that downloads images through :class:`engine.fetch.Fetcher` and resizes them.

    Each worker keeps one fetcher (its DNS answers and robots.txt cache) from ``setup()`` on, so
    subclasses run as actor pools. In a run the fetcher goes through the job's host gate, which
    the runner starts for stages that say ``uses_host_gate``: per-host limits, Retry-After
    pauses and robots.txt then hold for the whole job, however many workers fetch. The resizer is
    built in ``__init__`` so that bad resize settings fail on the driver, before any work is
    scheduled.
    """

    uses_host_gate = True

    def __init__(
        self,
        policy: FetchPolicy | None,
        *,
        image_size: int,
        resize_mode: str,
        resize_only_if_bigger: bool,
        encode_format: str,
        encode_quality: int,
        concurrency: int,
        name: str | None = None,
        resources: Resources | None = None,
    ):
        super().__init__(name=name, resources=resources)
        self.policy = policy or FetchPolicy()
        self.image_size = image_size
        self.resize_mode = resize_mode
        self.resize_only_if_bigger = resize_only_if_bigger
        self.encode_format = encode_format
        self.encode_quality = encode_quality
        self.concurrency = concurrency
        self._resizer = self._make_resizer()
        self._fetcher: Fetcher | None = None

    def _make_resizer(self) -> Resizer:
        return Resizer(
            image_size=self.image_size,
            resize_mode=self.resize_mode,
            resize_only_if_bigger=self.resize_only_if_bigger,
            encode_format=self.encode_format,
            encode_quality=self.encode_quality,
            max_pixels=self.policy.max_pixels,
        )

    def setup(self) -> None:
        self._fetcher = Fetcher(self.policy, gate=job_gate())
        self._resizer = self._make_resizer()

    def fetcher(self) -> Fetcher:
        """This worker's fetcher, started on first use when ``setup()`` did not run."""
        if self._fetcher is None:
            self.setup()
        return self._fetcher

    def close(self) -> None:
        """Stop this worker's fetcher (its event loop thread)."""
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_fetcher"] = None  # a thread and sockets never travel to a worker
        return state

    def config(self) -> dict[str, Any]:
        return {**super().config(), "policy": asdict(self.policy)}
