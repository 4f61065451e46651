"""TDMRep and licence checks inside the safe fetcher, per request.

The fetcher calls :meth:`RightsCheck.before_request` for each hop before dialling (the host's
``tdmrep.json``, from a per-origin cache shared like robots.txt) and :meth:`on_headers` when a
response's headers arrive (``tdm-reservation``, ``tdm-policy``, ``Link rel=license``), so a
reserved resource costs no body. Evidence goes to ``result.extra``: ``tdm`` (the verdict's
lines), ``tdm_reserved`` (True/False/None) and ``link_license`` (a Link header's target).
With ``policy.respect_tdmrep`` a reservation ends the fetch with reason ``tdm_reservation``.
"""

from __future__ import annotations

from engine.consent.http_rights import license_links
from engine.consent.tdmrep import HEADERS_ABSENT_LINE, TdmRepFile, TdmVerdict, header_verdict
from engine.consent.tdmrep_cache import FILE_SOURCE, TdmRepCache
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
        if not self.before_request_now(origin, path, result):
            verdict = TdmVerdict()
            await self.cache.check_at(origin, path, verdict)
            self._record(verdict, result)

    def before_request_now(self, origin: str, path: str, result: FetchResult) -> bool:
        """:meth:`before_request` when ``origin``'s ``tdmrep.json`` is loaded (True), else
        False (then await :meth:`before_request`); synchronous, for the fetcher's hot path."""
        if not self.enabled:
            return True
        tdm = self.cache.loaded(origin)
        if tdm is None:
            return False
        if tdm.rules:
            self._fold(tdm, path, result)
        else:  # no file or no rules (the common case): what _fold records, without a verdict
            extra = result.extra
            extra["_tdm_verdict"] = None  # made by on_headers if a header decides something
            extra["tdm"] = f"{FILE_SOURCE}: {tdm.source}"
            extra["tdm_reserved"] = None
        return True

    def on_headers(self, headers, result: FetchResult) -> None:
        """Fold a response's rights headers into the hop's verdict; ``headers`` is the
        response's case-insensitive multi-dict (``get``, ``getall``)."""
        if not self.enabled:
            return
        values = headers.getall("link", None)
        links = license_links(values) if values else None
        if links:
            result.extra["link_license"] = links[0]
        reservation, policy = headers.get("tdm-reservation"), headers.get("tdm-policy")
        extra = result.extra
        verdict = extra.get("_tdm_verdict")
        if "tdm" in extra and not reservation and not policy:
            # the common case, as header_verdict and _record would do it: one more line, the
            # verdict unchanged (a reservation already recorded was raised then)
            if verdict is not None:
                verdict.evidence.append(HEADERS_ABSENT_LINE)
            extra["tdm"] = f"{extra['tdm']}; {HEADERS_ABSENT_LINE}"
            return
        if verdict is None:  # none yet, or the file's one line only (before_request_now)
            verdict = TdmVerdict(evidence=[extra["tdm"]] if "tdm" in extra else [])
        header_verdict(verdict, reservation, policy)
        self._record(verdict, result)

    def _fold(self, tdm: TdmRepFile, path: str, result: FetchResult) -> None:
        verdict = TdmVerdict()
        self.cache.fold(tdm, path, verdict)
        self._record(verdict, result)

    def _record(self, verdict: TdmVerdict, result: FetchResult) -> None:
        result.extra["_tdm_verdict"] = verdict
        result.extra["tdm"] = verdict.text()
        result.extra["tdm_reserved"] = verdict.reserved
        if verdict.reserved and self.policy.respect_tdmrep:
            raise FetchError(REASON, verdict.text())
