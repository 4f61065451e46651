"""The fetcher's TDMRep hot path records exactly what the general path records."""

import time

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from engine.consent.fetch_check import RightsCheck
from engine.consent.tdmrep import TdmRepFile, TdmVerdict, header_verdict
from engine.consent.tdmrep_cache import TdmRepCache
from engine.fetch.policy import FetchPolicy, FetchResult

HEADERS = [{}, {"tdm-reservation": ""}, {"tdm-policy": "https://p.example/"},
           {"tdm-reservation": "1"}, {"tdm-reservation": " 0 "}, {"TDM-Reservation": "x"},
           {"link": '<https://l.example/>; rel="license"'}]


def recorded(headers: dict, file_first: bool, fast: bool) -> dict:
    check = RightsCheck(None, FetchPolicy(respect_tdmrep=False))
    result = FetchResult(url="http://h.example/x")
    if file_first:  # what before_request leaves for a host without tdmrep.json
        verdict = TdmVerdict()
        TdmRepCache.fold(TdmRepFile(source="404 (none)"), "/x", verdict)
        check._record(verdict, result)
    proxy = CIMultiDictProxy(CIMultiDict(headers))
    if fast:
        check.on_headers(proxy, result)
    else:  # the general path, step by step
        verdict = result.extra.get("_tdm_verdict") or TdmVerdict()
        header_verdict(verdict, proxy.get("tdm-reservation"), proxy.get("tdm-policy"))
        check._record(verdict, result)
        if "link" in proxy:
            result.extra["link_license"] = "https://l.example/"
    verdict = result.extra.pop("_tdm_verdict")
    return {**result.extra, "evidence": verdict.evidence, "reserved": verdict.reserved,
            "policy": verdict.policy}


@pytest.mark.parametrize("headers", HEADERS)
@pytest.mark.parametrize("file_first", [True, False])
def test_on_headers_records_as_the_general_path(headers, file_first):
    assert recorded(headers, file_first, fast=True) == recorded(headers, file_first, fast=False)


def test_reservation_in_headers_ends_the_fetch_when_respected():
    check = RightsCheck(None, FetchPolicy())
    result = FetchResult(url="http://h.example/x")
    verdict = TdmVerdict()
    TdmRepCache.fold(TdmRepFile(source="404 (none)"), "/x", verdict)
    check._record(verdict, result)
    with pytest.raises(Exception, match="header tdm-reservation: 1"):
        check.on_headers(CIMultiDictProxy(CIMultiDict({"tdm-reservation": "1"})), result)
    assert result.extra["tdm_reserved"] is True


def public(extra: dict) -> dict:
    return {k: v for k, v in extra.items() if not k.startswith("_")}


@pytest.mark.parametrize("headers", HEADERS)
@pytest.mark.parametrize("respect", [True, False])
def test_a_loaded_file_without_rules_records_as_the_general_path(headers, respect):
    """before_request_now's shortcut for a host whose tdmrep.json is absent or has no rules."""
    outcomes = []
    for hot in (True, False):
        check = RightsCheck(None, FetchPolicy(respect_tdmrep=respect))
        result = FetchResult(url="http://h.example/x")
        if hot:
            check.cache._ready["http://h.example"] = (time.monotonic() + 60, TdmRepFile(source="404 (none)"))
            assert check.before_request_now("http://h.example", "/x", result)
        else:
            check._fold(TdmRepFile(source="404 (none)"), "/x", result)
        try:
            check.on_headers(CIMultiDictProxy(CIMultiDict(headers)), result)
            raised = None
        except Exception as exc:  # noqa: BLE001 - compared between the two paths
            raised = str(exc)
        outcomes.append((public(result.extra), raised))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0]["tdm"].startswith("tdmrep.json: 404 (none); header")
