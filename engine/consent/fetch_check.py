"""TDMRep and licence checks inside the safe fetcher, per request.

The fetcher calls :meth:`RightsCheck.before_request` for each hop before dialling (the host's
``tdmrep.json``, from a per-origin cache shared like robots.txt) and :meth:`on_headers` when a
response's headers arrive (``tdm-reservation``, ``tdm-policy``, ``Link rel=license``), so a
reserved resource costs no body. Evidence goes to ``result.extra``: ``tdm`` (the verdict's
lines), ``tdm_reserved`` (True/False/None) and ``link_license`` (a Link header's target).
With ``policy.respect_tdmrep`` a reservation ends the fetch with reason ``tdm_reservation``.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.consent.http_rights import license_links
from engine.consent.tdmrep import TdmVerdict, header_verdict
from engine.consent.tdmrep_cache import TdmRepCache
from engine.fetch.policy import FetchPolicy, FetchResult
from engine.fetch.resolve import FetchError

REASON = "tdm_reservation"


class RightsCheck:
    """One per fetch session: the ``tdmrep.json`` cache and the policy's switches."""

    def __init__(self, fetch_file, policy: FetchPolicy):
        self.policy = policy
        self.enabled = policy.check_tdmrep
        self.cache = TdmRepCache(fetch_file, policy.robots_token)

    async def before_request(self, origin: str, path: str, result: FetchResult) -> None:
        """Check the ``tdmrep.json`` of ``origin`` (scheme://host:port) for ``path`` (path and
        query) of one hop, before it is requested."""
        if not self.enabled:
            return
        verdict = TdmVerdict()
        await self.cache.check_at(origin, path, verdict)
        self._record(verdict, result)

    def on_headers(self, header: Callable[[str], str | None],
                   headers_all: Callable[[str], list[str]], result: FetchResult) -> None:
        """Fold a response's rights headers into the hop's verdict; ``header(name)`` gives the
        first value of a header, ``headers_all(name)`` every value."""
        if not self.enabled:
            return
        links = license_links(headers_all("link"))
        if links:
            result.extra["link_license"] = links[0]
        verdict = result.extra.get("_tdm_verdict") or TdmVerdict()
        header_verdict(verdict, header("tdm-reservation"), header("tdm-policy"))
        self._record(verdict, result)

    def _record(self, verdict: TdmVerdict, result: FetchResult) -> None:
        result.extra["_tdm_verdict"] = verdict
        result.extra["tdm"] = verdict.text()
        result.extra["tdm_reserved"] = verdict.reserved
        if verdict.reserved and self.policy.respect_tdmrep:
            raise FetchError(REASON, verdict.text())
