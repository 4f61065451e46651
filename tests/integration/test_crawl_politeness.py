"""Per-host politeness holds for the whole job (DESIGN invariant 5): three fetch actors on a
local Ray, one loopback host that counts the requests it serves at once, robots.txt requests
and when each request came."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fetch_servers import Server, make_jpeg, reply

from engine.fetch import FetchPolicy
from engine.job import Params

SLOW_S = 0.15  # each image answer takes this long, so that requests overlap


class CountingSite:
    """Images under /img/ (slow), /once-429.jpg (429 the first time, with Retry-After unless
    ``retry_after`` is None), and a robots.txt; records the most requests served at once and
    every image request's time."""

    def __init__(self, retry_after: int | None = 2):
        self.jpeg = make_jpeg(64, 48)
        self.retry_after = retry_after
        self.lock = threading.Lock()
        self.live = self.most = self.robots = 0
        self.hits: list[tuple[float, str]] = []
        self.told_429_at: float | None = None

    def __call__(self, h) -> None:
        if h.path == "/robots.txt":
            with self.lock:
                self.robots += 1
            reply(h, 200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
            return
        with self.lock:
            self.live += 1
            self.most = max(self.most, self.live)
            self.hits.append((time.monotonic(), h.path))
        # A request stops counting before its answer is written: once the client has the answer
        # it may start the next request at once, and counting until this thread is scheduled
        # again after the write would see two requests that never overlapped on the client.
        try:
            if h.path == "/once-429.jpg" and self.told_429_at is None:
                self.told_429_at = time.monotonic()
                status, body, headers = 429, b"slow down", (
                    {} if self.retry_after is None else {"Retry-After": str(self.retry_after)})
            else:
                time.sleep(SLOW_S)
                status, body, headers = 200, self.body(h.path), {"Content-Type": "image/jpeg"}
        finally:
            with self.lock:
                self.live -= 1
        reply(h, status, body, headers)

    def body(self, path: str) -> bytes:
        return self.jpeg


def fetch_actors(ray, n: int, policy: FetchPolicy, gate):
    @ray.remote(num_cpus=0)
    class FetchActor:  # a fetch worker as a stage's actor has it: one Fetcher, the job's gate
        def __init__(self):
            from engine.fetch import Fetcher

            self.fetcher = Fetcher(policy, gate=gate)

        def fetch(self, urls):
            return [(r.url, r.reason, r.status) for r in self.fetcher.fetch_all(urls, 8)]

        def close(self):
            self.fetcher.close()

    return [FetchActor.remote() for _ in range(n)]


def crawl(ray, site: CountingSite, shared: bool) -> list:
    from engine.runner.hostgate_actors import start_gate, stop_gate

    policy = FetchPolicy(allow_hosts="127.0.0.1", per_host_concurrency=2)
    gate = start_gate(shards=1) if shared else None
    try:
        with Server("127.0.0.1", site) as server:
            actors = fetch_actors(ray, 3, policy, gate)
            urls = [[server.url(f"/img/{a}-{i}.jpg") for i in range(8)] for a in range(3)]
            results = ray.get([actor.fetch.remote(u) for actor, u in zip(actors, urls, strict=True)])
            ray.get([actor.close.remote() for actor in actors])
    finally:
        if gate is not None:
            stop_gate(gate)
    return [r for batch in results for r in batch]


@pytest.mark.integration
def test_three_actors_share_the_per_host_limit_and_robots_txt(ray_local):
    site = CountingSite()
    results = crawl(ray_local, site, shared=True)
    assert [reason for _, reason, _ in results] == [None] * 24
    assert site.most == 2  # per_host_concurrency=2 for the job, not per actor
    assert site.robots == 1  # one robots.txt request for the job

    alone = CountingSite()  # the same crawl with each actor on its own: the test can fail
    crawl(ray_local, alone, shared=False)
    assert alone.most > 2 and alone.robots == 3


def pause_seen_by_others(ray, shared: bool) -> tuple[float, list[float]]:
    from engine.runner.hostgate_actors import start_gate, stop_gate

    site = CountingSite(retry_after=2)
    policy = FetchPolicy(allow_hosts="127.0.0.1", per_host_concurrency=4)
    gate = start_gate(shards=1) if shared else None
    try:
        with Server("127.0.0.1", site) as server:
            first, *others = fetch_actors(ray, 3, policy, gate)
            ray.get([a.fetch.remote([server.url("/img/warm.jpg")]) for a in (first, *others)])
            told = first.fetch.remote([server.url("/once-429.jpg")])
            while site.told_429_at is None:
                time.sleep(0.02)
            time.sleep(0.3)  # the 429 reaches its actor, and its pause the gate
            later = ray.get([a.fetch.remote([server.url(f"/img/after-{i}.jpg")])
                             for i, a in enumerate(others)])
            assert ray.get(told)[0][1:] == (None, 200)  # retried after the pause, and fetched
            assert all(r[0][1] is None for r in later)
    finally:
        if gate is not None:
            stop_gate(gate)
    after = [t for t, path in site.hits if path.startswith("/img/after-")]
    return site.told_429_at, [t - site.told_429_at for t in after]


@pytest.mark.integration
def test_a_429_seen_by_one_actor_pauses_the_others(ray_local):
    _, delays = pause_seen_by_others(ray_local, shared=True)
    assert len(delays) == 2 and min(delays) >= 2.0 - 0.05, delays
    _, alone = pause_seen_by_others(ray_local, shared=False)  # without the gate they do not wait
    assert max(alone) < 1.5, alone


BACKOFF_S = 2.5  # the first retry's back-off: a 429 without Retry-After pauses the host this long
SETTLE_S = 0.7  # the pause reaches the gate, and every worker stops reusing leases (FRESH_S 0.5)
PER_ACTOR = 60  # URLs per actor: at 4 in flight and SLOW_S each, ~2.3 s of crawling


def crawl_through_a_429(ray, shared: bool) -> tuple[float, list[float], list]:
    """Three actors crawl one host together; the first one's 11th URL is told 429 without
    Retry-After. Returns when, every request's time after it, and the results."""
    from engine.runner.hostgate_actors import start_gate, stop_gate

    site = CountingSite(retry_after=None)
    policy = FetchPolicy(allow_hosts="127.0.0.1", per_host_concurrency=4, backoff_s=BACKOFF_S)
    gate = start_gate(shards=1) if shared else None
    try:
        with Server("127.0.0.1", site) as server:
            actors = fetch_actors(ray, 3, policy, gate)
            ray.get([a.fetch.remote([server.url(f"/img/warm-{n}.jpg")]) for n, a in enumerate(actors)])
            # enough for the other actors to keep crawling through the pause window unless paused
            lists = [[server.url(f"/img/{n}-{i}.jpg") for i in range(PER_ACTOR)] for n in range(3)]
            lists[0].insert(10, server.url("/once-429.jpg"))
            results = ray.get([a.fetch.remote(u) for a, u in zip(actors, lists, strict=True)])
            ray.get([actor.close.remote() for actor in actors])
    finally:
        if gate is not None:
            stop_gate(gate)
    told = site.told_429_at
    return told, [t - told for t, _ in site.hits if t > told], [r for b in results for r in b]


@pytest.mark.integration
def test_a_429_without_retry_after_pauses_the_host_for_every_actor(ray_local):
    told, after, results = crawl_through_a_429(ray_local, shared=True)
    assert told is not None and [r[1] for r in results] == [None] * (3 * PER_ACTOR + 1)  # all fetched in the end
    during = [t for t in after if SETTLE_S < t < BACKOFF_S - 0.05]
    assert during == [], during  # no request from any of the three actors while paused
    assert len([t for t in after if t >= BACKOFF_S - 0.05]) > 20  # and the crawl went on after
    _, alone, _ = crawl_through_a_429(ray_local, shared=False)  # without the gate: the test can fail
    assert len([t for t in alone if SETTLE_S < t < BACKOFF_S - 0.05]) > 10, alone


class CountingPhotos(CountingSite):
    def body(self, path: str) -> bytes:  # distinct photos, so that none is an exact duplicate
        n = int(path.rsplit("/", 1)[1].split(".")[0])
        return make_jpeg(64 + n, 48, seed=n)


@pytest.mark.integration
def test_the_pairs_job_with_three_fetch_workers_holds_the_limit(ray_local, tmp_path):
    from engine.jobfile import build_job
    from engine.runner import run_job

    site = CountingPhotos()
    with Server("127.0.0.1", site) as server:
        urls = [server.url(f"/img/{i}.jpg") for i in range(18)]
        listing = tmp_path / "urls.parquet"
        pq.write_table(pa.table({"url": urls, "caption": [f"a photo, view {i}" for i in range(18)]}),
                       listing)
        params = Params({"allow_hosts": "127.0.0.1", "unit_size": "6", "dedup": "false",
                         "per_host_concurrency": "2", "fetch_workers": "3"})
        manifest = run_job(build_job("pairs", [str(listing)], str(tmp_path / "out"), params), workers=3)
    rejects = pq.read_table(tmp_path / "out" / "rejects").to_pylist()
    assert manifest["totals"] == {"inputs": 18, "kept": 18, "rejected": 0}, [
        (r["stage"], r["reason"], r["detail"]) for r in rejects]
    assert site.most <= 2 and site.robots == 1


def test_a_gate_that_cannot_start_fails_before_any_fetch(ray_local):
    """The job's gate is started without waiting for it; the phase that fetches waits for it
    first, so a shard that fails to start is the run's error, not a reason on every URL."""
    import ray

    from engine.fetch.hostgate_client import GateRef
    from engine.runner.hostgate_actors import start_gate, stop_gate, wait_for_gate

    @ray.remote(num_cpus=0)
    class Broken:
        def __init__(self):
            raise RuntimeError("this gate shard cannot start")

        def stats(self):
            return {}

    with pytest.raises(ray.exceptions.RayActorError, match="cannot start"):
        wait_for_gate(GateRef(shards=(Broken.remote(),)))
    gate = start_gate(shards=2, wait=False)
    try:
        wait_for_gate(gate)  # a healthy gate answers
    finally:
        stop_gate(gate)
