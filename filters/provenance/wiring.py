"""The rights filters a job runs by default, from its ``--param`` values.

``respect_tdmrep`` (true), ``respect_data_mining`` (true), ``ai_generated`` (keep|reject,
default keep: flagged, not removed), ``licenses`` (comma-separated ids or patterns to keep,
``none`` for records without a licence; default: every licence kept).
"""

from __future__ import annotations

from engine.fetch.params import policy_from_params
from engine.job import Params
from filters.provenance.decide import AiGenerated, IptcDataMining, LicenseFilter, TdmReservation
from filters.provenance.doc_tdmrep import DocTdmRepFile


def rights_stages(params: Params, kind: str = "pairs", page: bool = False) -> list:
    """The rights filters for ``kind`` (pairs or docs). ``page=True`` gives the page-level
    ones (TDMRep of a document, before its images are fetched); otherwise the image-level
    ones, which need the fetched images' evidence."""
    if page:
        return [TdmReservation()] if kind == "docs" and params.bool("respect_tdmrep", True) else []
    stages: list = []
    if params.bool("respect_data_mining", True):
        stages.append(IptcDataMining())
    stages.append(AiGenerated(mode=params.str("ai_generated", "keep")))
    allowed = params.list("licenses")
    if allowed:
        stages.append(LicenseFilter(allowed))
    return stages


def page_tdmrep_file(params: Params) -> list:
    """The documents' own hosts' ``tdmrep.json`` check (network: only where the job fetches)."""
    respect = params.bool("respect_tdmrep", True)
    return [DocTdmRepFile(policy_from_params(params), respect=respect)]
