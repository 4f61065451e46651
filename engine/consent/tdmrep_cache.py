"""``/.well-known/tdmrep.json`` per host, fetched once and cached exactly as robots.txt is.

:class:`TdmRepCache` is the robots.txt cache (:class:`engine.fetch.robots.RobotsCache`: one
fetch per scheme+host+port shared by concurrent askers, kept a day, a failed fetch kept five
minutes) with another file loaded and another question asked. The fetch goes through the same
safe fetcher as robots.txt. TDMRep says an absent file reserves nothing, so unlike robots.txt
a 4xx, 5xx or unreachable file leaves the verdict to the other sources (and says so).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from engine.consent.tdmrep import WELL_KNOWN_PATH, TdmRepFile, TdmVerdict
from engine.fetch.robots import MAX_ROBOTS_BYTES, RobotsCache

FILE_SOURCE = "tdmrep.json"  # how a file's evidence line starts


class TdmRepCache(RobotsCache):
    """Per-origin ``tdmrep.json`` answers; ``check(url, verdict)`` folds one into a verdict."""

    async def check(self, url: str, verdict: TdmVerdict) -> None:
        """Add this URL's ``tdmrep.json`` answer to ``verdict``."""
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        await self.check_at(_origin(url), path, verdict)

    async def check_at(self, origin: str, path: str, verdict: TdmVerdict) -> None:
        """:meth:`check` for ``path`` (path and query) on ``origin``, a URL already split."""
        # the robots cache's per-origin load-once machinery
        self.fold(self.loaded(origin) or await self._robots(origin), path, verdict)

    @staticmethod
    def fold(tdm: TdmRepFile, path: str, verdict: TdmVerdict) -> None:
        """Add ``tdm``'s answer for ``path`` (path and query) to ``verdict``."""
        if tdm.rules:
            tdm.check_path(path, verdict)
        else:
            verdict.note(f"{FILE_SOURCE}: {tdm.source}")

    async def _load(self, origin: str) -> TdmRepFile:  # type: ignore[override]
        try:
            status, body, detail = await self._fetch(origin + WELL_KNOWN_PATH)
        except Exception as exc:  # noqa: BLE001 - unreachable: no reservation from this source
            return TdmRepFile(source=f"unreachable: {type(exc).__name__}", failure="connection_error")
        if status is None:
            return TdmRepFile(source=f"unreachable: {detail}", failure=detail.split(":", 1)[0])
        if 200 <= status < 300:
            return TdmRepFile.parse(body[:MAX_ROBOTS_BYTES], f"{status}")
        return TdmRepFile(source=f"{status} (none)")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
