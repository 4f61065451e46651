"""Host gate overhead: requests/s of one fetcher through the job's host gate (a Ray actor, as in
a run) against the same fetcher with its in-process per-host limiter (the baseline), on one
loopback host serving many small images; same policy, same URLs, same run, alternated; the
ratio is the median of the rounds' ratios.

    python bench/hostgate.py [--images 3000] [--per-host 16] [--concurrency 64] [--rounds 2]

Also prints the gate's calls per request (exchange + long-poll calls over requests), the
acquires that reached it (the others reused a lease) and what it holds at the end; then the
leases/s one shard serves to many clients without HTTP (``shard_capacity``). Prints one JSON line at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ray  # noqa: E402

from bench.common import emit  # noqa: E402
from bench.site import VERSION, LoopbackServer, make_pack  # noqa: E402
from engine.fetch import Fetcher, FetchPolicy  # noqa: E402
from engine.runner.hostgate_actors import start_gate, stop_gate  # noqa: E402


def rate(urls: list[str], policy: FetchPolicy, concurrency: int, gate) -> float:
    with Fetcher(policy, gate=gate) as fetcher:
        started = time.perf_counter()
        results = fetcher.fetch_all(urls, concurrency)
        elapsed = time.perf_counter() - started
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(f"{len(failed)} fetches failed, first: {failed[0].reason} {failed[0].detail}")
    return len(urls) / elapsed


def shard_capacity(ref, workers: int, hosts: int, seconds: float) -> dict:
    """Leases/s and calls/s one shard serves to ``workers`` clients (each with 16 requests in
    flight over ``hosts`` hosts, no HTTP) driven from this process: a lower bound, since this
    process's own Ray calls share the machine with the shard."""

    async def load() -> int:
        clients = [ref.connect(per_host=2) for _ in range(workers)]
        done = 0
        stop = time.perf_counter() + seconds

        async def loop(client, seed: int) -> None:
            nonlocal done
            rng = random.Random(seed)
            while time.perf_counter() < stop:
                async with client.slot(f"h{rng.randrange(hosts)}.example"):
                    await asyncio.sleep(0)
                done += 1

        await asyncio.gather(*(loop(c, i * 100 + j) for i, c in enumerate(clients) for j in range(16)))
        for client in clients:
            await client.aclose()
        return done

    before = ray.get(ref.shards[0].stats.remote())
    started = time.perf_counter()
    done = asyncio.run(load())
    elapsed = time.perf_counter() - started
    after = ray.get(ref.shards[0].stats.remote())
    calls = sum(after.get(k, 0) - before.get(k, 0) for k in ("calls", "waits"))
    return {"leases_per_s": round(done / elapsed), "shard_calls_per_s": round(calls / elapsed),
            "leases_per_call": round(done / max(1, calls), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--per-host", type=int, default=16)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--stress-workers", type=int, default=32)
    ap.add_argument("--stress-hosts", type=int, default=1000)
    ap.add_argument("--stress-seconds", type=float, default=5.0)
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / f"loomery-bench-site-v{VERSION}"))
    args = ap.parse_args()

    folder = make_pack(Path(args.cache), args.images)
    policy = FetchPolicy(allow_hosts="127.0.0.1", per_host_concurrency=args.per_host)
    store = int(os.environ.get("LOOMERY_OBJECT_STORE_MB", "512")) * 2**20
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=store, logging_level="ERROR")
    with tempfile.TemporaryDirectory() as work:
        server = LoopbackServer(folder, Path(work))
        try:
            urls = [f"http://127.0.0.1:{server.port}/img/{i}.jpg" for i in range(args.images)]
            rate(urls[:200], policy, args.concurrency, None)  # warm the server and the page cache
            gate = start_gate(shards=1)
            try:
                ours, base = [], []
                for _ in range(args.rounds):
                    base.append(rate(urls, policy, args.concurrency, None))
                    ours.append(rate(urls, policy, args.concurrency, gate))
                stats = ray.get(gate.shards[0].stats.remote())
                capacity = shard_capacity(gate, args.stress_workers, args.stress_hosts,
                                          args.stress_seconds)
            finally:
                stop_gate(gate)
        finally:
            server.close()
    ray.shutdown()
    requests = len(urls) * args.rounds  # through the gate (robots.txt aside)
    emit(bench="hostgate", images=args.images, per_host=args.per_host,
         concurrency=args.concurrency, rounds=args.rounds,
         ours_rps=round(statistics.median(ours), 1), baseline_rps=round(statistics.median(base), 1),
         ratio=round(statistics.median(o / b for o, b in zip(ours, base, strict=True)), 3),
         ratios=[round(o / b, 3) for o, b in zip(ours, base, strict=True)],
         ours_all=[round(x, 1) for x in ours], baseline_all=[round(x, 1) for x in base],
         calls_per_request=round((stats["calls"] + stats.get("waits", 0)) / requests, 3),
         gate_requests=requests, gate_acquires=stats["acquires"], gate_hosts_held_after=stats["hosts"],
         robots_fetched=stats.get("robots_loads", 0), stress_workers=args.stress_workers,
         stress_hosts=args.stress_hosts, **capacity)


if __name__ == "__main__":
    main()
