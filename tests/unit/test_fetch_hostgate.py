"""The job's host gate in one process: the client (engine/fetch/hostgate_client.py) against the
service (engine/fetch/hostgate_service.py), as two fetch workers of one job would use them."""

import asyncio
import time

from engine.fetch.hostgate_client import GateRef, shard_of
from engine.fetch.hostgate_service import HostGateService, InProcessShard


def gate(service: HostGateService, **timing) -> GateRef:
    return GateRef(shards=(InProcessShard(service),), **timing)


async def hold(client, host: str, seconds: float, live: dict, seen: list) -> None:
    async with client.slot(host):
        live[host] = live.get(host, 0) + 1
        seen.append(live[host])
        await asyncio.sleep(seconds)
        live[host] -= 1


def test_per_host_limit_holds_across_workers_and_hosts_are_independent():
    async def main():
        ref = gate(HostGateService())
        workers = [ref.connect(per_host=2) for _ in range(3)]
        live, seen_a, seen_b = {}, [], []
        jobs = [hold(w, "a.example", 0.02, live, seen_a) for w in workers for _ in range(8)]
        jobs += [hold(w, "b.example", 0.02, live, seen_b) for w in workers for _ in range(4)]
        await asyncio.gather(*jobs)
        for w in workers:
            await w.aclose()  # the last releases
        return seen_a, seen_b, await ref.shards[0].stats.remote()

    seen_a, seen_b, stats = asyncio.run(main())
    assert len(seen_a) == 24 and max(seen_a) == 2  # three workers, never more than 2 at once
    assert len(seen_b) == 12 and max(seen_b) == 2
    assert stats["acquires"] <= 36 and stats["calls"] < 36  # batched, leases reused
    assert stats["hosts"] == 0  # idle hosts are forgotten


def test_a_busy_worker_does_not_starve_another():
    async def main():
        ref = gate(HostGateService())
        busy, other = ref.connect(1), ref.connect(1)
        live, seen = {}, []
        crowd = asyncio.gather(*(hold(busy, "h.example", 0.02, live, seen) for _ in range(30)))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        async with other.slot("h.example"):
            waited = time.monotonic() - started
        await crowd
        return waited, max(seen)

    waited, most = asyncio.run(main())
    assert most == 1
    assert waited < 0.3  # a few of the busy worker's requests (REUSE), not all 30 (0.6 s)


def test_a_pause_from_one_worker_holds_the_others():
    async def main():
        ref = gate(HostGateService())
        first, second = ref.connect(4), ref.connect(4)
        first.pause("slow.example", 0.4)
        await first.aclose()  # the pause has reached the service
        started = time.monotonic()
        async with second.slot("slow.example"):
            waited = time.monotonic() - started
        async with second.slot("other.example"):
            other = time.monotonic() - started - waited
        return waited, other

    waited, other = asyncio.run(main())
    assert 0.35 <= waited < 2.0 and other < 0.2


def test_a_pause_stops_a_worker_reusing_its_leases(monkeypatch):
    from engine.fetch import hostgate_client

    monkeypatch.setattr(hostgate_client, "REUSE", 10_000)  # only the pause may stop the reuse

    async def main():
        ref = gate(HostGateService())
        busy, other = ref.connect(2), ref.connect(2)
        starts = []

        async def one():
            async with busy.slot("h.example"):
                starts.append(time.monotonic())
                await asyncio.sleep(0.03)

        crowd = asyncio.gather(*(one() for _ in range(80)))
        await asyncio.sleep(0.2)  # busy holds both slots and reuses them
        paused_at = time.monotonic()
        other.pause("h.example", 1.5)
        await other.aclose()
        await crowd
        return [t - paused_at for t in starts]

    starts = asyncio.run(main())
    assert any(t < 0 for t in starts)  # it was crawling before the pause
    during = [t for t in starts if 0.8 < t < 1.45]  # FRESH_S (0.5) + REUSE requests, then none
    assert during == [], during
    assert max(starts) >= 1.45  # and it went on after


def test_a_dead_workers_lease_expires():
    async def main():
        service = HostGateService(lease_ttl_s=0.3)
        ref = gate(service, lease_ttl_s=0.3)
        grants, _ = await service.exchange("dead-worker", 1, [(0, "h.example")], [], [])
        assert len(grants) == 1  # it holds the only slot and is never heard from again
        alive = ref.connect(1)
        started = time.monotonic()
        async with alive.slot("h.example"):
            waited = time.monotonic() - started
        return waited, await service.stats()

    waited, stats = asyncio.run(main())
    assert 0.25 <= waited < 2.0 and stats["leases_expired"] == 1


def test_a_cancelled_request_hands_its_grant_back():
    async def main():
        service = HostGateService()
        ref = gate(service, poll_s=0.05)
        worker = ref.connect(1)
        holder = asyncio.ensure_future(hold(worker, "h.example", 0.2, {}, []))
        await asyncio.sleep(0.05)
        try:
            async with asyncio.timeout(0.05):
                async with worker.slot("h.example"):
                    raise AssertionError("granted while the slot was held")
        except TimeoutError:
            pass
        await holder
        other = ref.connect(1)
        async with asyncio.timeout(2):
            async with other.slot("h.example"):
                pass
        await worker.aclose()
        await other.aclose()
        return await service.stats()

    stats = asyncio.run(main())
    assert stats["hosts"] == 0  # nothing left holding the host


def test_robots_txt_is_fetched_once_for_all_workers():
    fetched = []

    async def fetch(url):
        fetched.append(url)
        await asyncio.sleep(0.05)
        return 200, b"User-agent: *\nDisallow: /private/\n", ""

    async def main():
        ref = gate(HostGateService())
        shared = [ref.connect(2).share_robots(fetch) for _ in range(3)]
        url = "http://h.example:8080/robots.txt"
        answers = await asyncio.gather(*(s(url) for s in shared for _ in range(2)))
        again = await shared[0](url)
        return answers, again

    answers, again = asyncio.run(main())
    assert fetched == ["http://h.example:8080/robots.txt"]
    assert all(a == (200, b"User-agent: *\nDisallow: /private/\n", "") for a in [*answers, again])


def test_hosts_spread_over_shards_stably():
    hosts = [f"host{i}.example" for i in range(1000)]
    counts = [0] * 4
    for host in hosts:
        counts[shard_of(host, 4)] += 1
    assert min(counts) > 200 and shard_of("a.example", 4) == shard_of("a.example", 4)
