"""What a retryable failure pauses (engine/fetch/politeness.py ``host_pause``), and that pauses
from many requests at once do not add up, in one process and through the job's host gate."""

import asyncio
import time

import pytest

from engine.fetch.hostgate_client import GateRef
from engine.fetch.hostgate_service import HostGateService, InProcessShard
from engine.fetch.politeness import RETRYABLE_REASONS, HostLimiter, backoff_delay, host_pause


@pytest.mark.parametrize("reason", ["http_429", "http_503"])
def test_a_429_or_503_pauses_the_host_for_its_wait_with_or_without_retry_after(reason):
    assert host_pause(reason, backoff_delay(1, 0.5, None)) == 0.5  # no Retry-After: the back-off
    assert host_pause(reason, backoff_delay(3, 0.5, None)) == 2.0
    assert host_pause(reason, backoff_delay(1, 0.5, 7.0)) == 7.0  # Retry-After


def test_a_connection_error_pauses_only_its_own_request():
    assert "connection_error" in RETRYABLE_REASONS
    assert host_pause("connection_error", 4.0) == 0.0
    assert host_pause("timeout", 4.0) == 0.0  # not retried at all


def test_many_pauses_at_once_end_at_the_latest_not_at_their_sum():
    limiter = HostLimiter(4)
    started = time.monotonic()
    for _ in range(50):  # fifty requests in flight all told 429
        limiter.pause("h.example", 1.0)
    limiter.pause("h.example", 0.2)  # a shorter one never shortens it
    left = limiter._paused_until["h.example"] - started
    assert 1.0 <= left < 1.1


def test_many_pauses_from_several_workers_through_the_gate_do_not_stack():
    async def main():
        service = HostGateService()
        ref = GateRef(shards=(InProcessShard(service),))
        workers = [ref.connect(4) for _ in range(3)]
        for w in workers:
            for _ in range(20):
                w.pause("h.example", 0.6)
        for w in workers:
            await w.aclose()  # the pauses have reached the service
        other = ref.connect(4)
        started = time.monotonic()
        async with other.slot("h.example"):
            waited = time.monotonic() - started
        await other.aclose()
        return waited, (await service.stats())["pauses"]

    waited, pauses = asyncio.run(main())
    assert pauses == 60
    assert 0.5 <= waited < 1.0  # one pause of 0.6 s, not 60 of them
