"""The job's host gate service: started by the runner when a stage fetches, stopped at the end.

Shards are async Ray actors running :class:`engine.fetch.hostgate_service.HostGateService`,
owned by the driver (they live for the run and die with it: a killed driver leaves nothing
behind) and named ``loomery-hostgate-<run>-<shard>`` so that ``ray list actors`` shows them.
A host belongs to one shard (crc32 of the name), so every limit holds job-wide while the load
spreads: one shard per ``CPUS_PER_SHARD`` cluster CPUs, at most ``MAX_SHARDS``.

Cost: see the service's docstring; per shard, one Python process and no CPU reserved
(``num_cpus=0``: it waits on the network like the fetchers it serves).
"""

from __future__ import annotations

import contextlib
import logging
import math
import uuid
from collections.abc import Iterator

import ray

from engine.fetch.hostgate_client import GateRef
from engine.fetch.hostgate_service import HostGateService
from engine.stage import Stage

log = logging.getLogger("loomery")

CPUS_PER_SHARD = 256
MAX_SHARDS = 32
MAX_CALLS_IN_FLIGHT = 10_000  # two per fetch worker (an exchange and a long poll)
RESTARTS = 10


def shard_count(cluster_cpus: float) -> int:
    """Gate shards for a cluster: one per ``CPUS_PER_SHARD`` CPUs, 1 to ``MAX_SHARDS``."""
    return max(1, min(MAX_SHARDS, math.ceil(cluster_cpus / CPUS_PER_SHARD)))


def wait_for_gate(ref: GateRef) -> None:
    """Return once every shard of ``ref`` answers; raise the actor's error if one cannot start."""
    ray.get([h.stats.remote() for h in ref.shards])


def start_gate(shards: int, lease_ttl_s: float = 60.0, wait: bool = True) -> GateRef:
    """Start ``shards`` gate actors; stop them with :func:`stop_gate`. With ``wait`` it returns
    once they answer; without, at once (calls made before an actor is up wait for it, so a
    job's first phases run while the gate starts, instead of after it)."""
    run = uuid.uuid4().hex[:8]
    # A shard lost with its node restarts empty and its calls are retried: every call is safe
    # to repeat (a grant nobody waits for goes back), and limits hold again once the leases
    # granted before the loss have ended.
    actor = ray.remote(num_cpus=0, max_concurrency=MAX_CALLS_IN_FLIGHT, max_restarts=RESTARTS,
                       max_task_retries=-1)(HostGateService)
    handles = tuple(actor.options(name=f"loomery-hostgate-{run}-{i}").remote(lease_ttl_s)
                    for i in range(shards))
    ref = GateRef(shards=handles, lease_ttl_s=lease_ttl_s)
    if wait:
        wait_for_gate(ref)
    return ref


def stop_gate(ref: GateRef) -> None:
    """Log what the gate served and stop its actors."""
    with contextlib.suppress(Exception):  # stats are a courtesy: stopping must not fail
        stats = ray.get([h.stats.remote() for h in ref.shards], timeout=10)
        total: dict[str, int] = {}
        for shard in stats:
            for key, value in shard.items():
                total[key] = total.get(key, 0) + value
        log.info("host gate: %s", ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
    for handle in ref.shards:
        ray.kill(handle)


@contextlib.contextmanager
def job_host_gate(stages: list[Stage], cluster_cpus: float) -> Iterator[GateRef | None]:
    """The job's gate while the block runs, when one of ``stages`` says ``uses_host_gate``."""
    if not any(getattr(stage, "uses_host_gate", False) for stage in stages):
        yield None
        return
    # Not waited for here: starting an actor takes a second or two, which the phases before
    # the first fetch (reading, URL dedup) use instead; the phase that fetches waits for it
    # first (wait_for_gate), so a gate that cannot start fails the run before any fetch.
    ref = start_gate(shard_count(cluster_cpus), wait=False)
    try:
        yield ref
    finally:
        stop_gate(ref)
