"""Transport-only fetch loops for bench/crawl.py, each run in a process of its own so that its
memory is measured alone: ``ours`` (engine.fetch, every check on) and ``bare`` (the baseline: a
bare pooled aiohttp loop, one ClientSession, the same concurrency and per-host bound, GET and
read the body, nothing checked; over HTTPS it trusts what the fetcher trusts, the system's CAs
plus the test CA, so that both load the same trust store).

    python bench/fetch_loops.py ours|bare URLS_FILE CONCURRENCY PER_HOST [CA_FILE]

Prints one JSON line: seconds, ok, bytes, cpu_s (CPU seconds of the process, all threads: what
the loop costs, which a busy shared machine distorts less than the wall clock) of a first pass
over the list, which includes making the session (TLS context, pooled connections, robots.txt);
and warm_seconds, warm_ok, warm_cpu_s of a second pass on the same session, which is what a
long-running worker pays per image.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bare(urls: list[str], concurrency: int, per_host: int, ca_file: str | None) -> list[dict]:
    import aiohttp

    async def passes() -> list[dict]:
        clock = _Clock()  # the first pass includes making the session
        # the trust a crawler of the web needs, as the fetcher has it: the system's CAs, plus
        # the test CA (create_default_context(cafile=...) alone would skip the system store)
        ctx = None
        if ca_file:
            ctx = ssl.create_default_context()
            ctx.load_verify_locations(cafile=ca_file)
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=per_host, ssl=ctx or True)
        async with aiohttp.ClientSession(connector=connector) as session:
            async def crawl() -> tuple[int, int]:
                ok = size = 0
                todo = iter(urls)

                async def worker() -> None:
                    nonlocal ok, size
                    for url in todo:
                        try:
                            async with session.get(url) as response:
                                body = await response.read()
                                if response.status == 200 and body:
                                    ok += 1
                                    size += len(body)
                        except aiohttp.ClientError:
                            pass

                await asyncio.gather(*(worker() for _ in range(concurrency)))
                return ok, size

            return [clock.lap(*await crawl()) for _ in range(2)]

    return asyncio.run(passes())


def ours(urls: list[str], concurrency: int, per_host: int, ca_file: str | None) -> list[dict]:
    from engine.fetch import Fetcher, FetchPolicy

    def crawl() -> tuple[int, int]:
        good = [r for r in fetcher.fetch_all(urls, concurrency) if r.ok]
        return len(good), sum(len(r.content) for r in good)

    clock = _Clock()  # the first pass includes making the session
    policy = FetchPolicy(allow_hosts="127.0.0.1", per_host_concurrency=per_host, ca_file=ca_file)
    with Fetcher(policy) as fetcher:
        return [clock.lap(*crawl()) for _ in range(2)]


class _Clock:
    """Wall and process CPU time since it was made or last lapped."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self, ok: int, size: int) -> dict:
        wall, cpu = time.perf_counter(), time.process_time()
        out = {"seconds": wall - self.wall, "ok": ok, "bytes": size, "cpu_s": cpu - self.cpu}
        self.wall, self.cpu = wall, cpu
        return out


def main() -> None:
    mode, url_file, concurrency, per_host = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ca_file = sys.argv[5] if len(sys.argv) > 5 else None
    urls = Path(url_file).read_text().split()
    import aiohttp  # noqa: F401 - imports are not what is timed

    from engine.fetch import fetch_all  # noqa: F401

    first, warm = (bare if mode == "bare" else ours)(urls, concurrency, per_host, ca_file)
    print(json.dumps({**first, **{f"warm_{k}": v for k, v in warm.items()}}))


if __name__ == "__main__":
    main()
