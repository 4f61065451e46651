"""The fetcher's ``--param`` settings, declared once for every job that fetches."""

from engine.fetch.policy import DEFAULT_USER_AGENT, FetchPolicy
from engine.params import Param, ParamGroup, Values

FETCH_PARAMS = ParamGroup(
    "fetcher (engine/fetch)",
    Param("allow_hosts", list, [], "hosts/IPs/CIDRs reachable although private (tests, private "
          "deployments); none by default, so no private address is ever fetched"),
    Param("user_agent", str, DEFAULT_USER_AGENT, "User-Agent of every request (and robots.txt's agent)"),
    Param("timeout", float, 30.0, "seconds per request"),
    Param("max_bytes", int, 20 * 1024 * 1024, "largest response body kept, in bytes"),
    Param("max_redirects", int, 5, "redirects followed per URL"),
    Param("max_pixels", int, 89_478_485, "largest image (width x height) decoded"),
    Param("retries", int, 2, "retries of a failed request"),
    Param("per_host_concurrency", int, 16, "requests in flight per host"),
    Param("max_idle_connections", int, 256,
          "idle pooled connections kept over all hosts (least recently used host's closed first)"),
    Param("concurrency", int, 64, "requests in flight per fetch worker"),
    Param("respect_robots", bool, True, "honour robots.txt"),
    Param("respect_x_robots", bool, True, "honour X-Robots-Tag noai/noimageai"),
    Param("respect_tdmrep", bool, True, "refuse TDMRep reservations (the evidence is gathered either way)"),
    Param("direct_despite_proxy_env", bool, False, "connect directly although a proxy is set in the environment"),
    Param("ca_file", str, None, "extra trusted CAs (PEM)"),
)


def policy_from_params(params: Values) -> FetchPolicy:
    """The fetch policy from the :data:`FETCH_PARAMS` values."""
    return FetchPolicy(
        allow_hosts=tuple(params.allow_hosts),
        user_agent=params.user_agent,
        timeout_s=params.timeout,
        max_bytes=params.max_bytes,
        max_redirects=params.max_redirects,
        max_pixels=params.max_pixels,
        retries=params.retries,
        per_host_concurrency=params.per_host_concurrency,
        max_idle_connections=params.max_idle_connections,
        respect_robots=params.respect_robots,
        respect_x_robots=params.respect_x_robots,
        direct_despite_proxy_env=params.direct_despite_proxy_env,
        ca_file=params.ca_file or None,
        respect_tdmrep=params.respect_tdmrep,
    )
