"""The fetcher's settings from a job's ``--param`` values (the same names in every job)."""

from engine.fetch.policy import DEFAULT_USER_AGENT, FetchPolicy
from engine.job import Params


def policy_from_params(params: Params) -> FetchPolicy:
    """``allow_hosts``, ``user_agent``, ``timeout``, ``max_bytes``, ``max_redirects``,
    ``max_pixels``, ``retries``, ``per_host_concurrency``, ``max_idle_connections``,
    ``respect_robots``, ``respect_x_robots``,
    ``direct_despite_proxy_env``, ``ca_file`` (extra trusted CAs, PEM), ``respect_tdmrep`` (TDMRep:
    the evidence is gathered either way)."""
    return FetchPolicy(
        allow_hosts=tuple(params.list("allow_hosts")),
        user_agent=params.str("user_agent", DEFAULT_USER_AGENT),
        timeout_s=params.float("timeout", 30.0),
        max_bytes=params.int("max_bytes", 20 * 1024 * 1024),
        max_redirects=params.int("max_redirects", 5),
        max_pixels=params.int("max_pixels", 89_478_485),
        retries=params.int("retries", 2),
        per_host_concurrency=params.int("per_host_concurrency", 16),
        max_idle_connections=params.int("max_idle_connections", 256),
        respect_robots=params.bool("respect_robots", True),
        respect_x_robots=params.bool("respect_x_robots", True),
        direct_despite_proxy_env=params.bool("direct_despite_proxy_env", False),
        ca_file=params.str("ca_file") or None,
        respect_tdmrep=params.bool("respect_tdmrep", True),
    )
