"""The fetcher's per-session time limits behave as asyncio.timeout does."""

import asyncio
import time

import pytest

from engine.fetch.deadlines import Deadlines


def test_limits_fire_near_their_time_and_only_for_late_tasks():
    async def main():
        deadlines = Deadlines(tick=0.02)

        async def job(limit, work):
            started = time.monotonic()
            try:
                with deadlines.limit(limit):
                    await asyncio.sleep(work)
            except TimeoutError:
                return "timeout", time.monotonic() - started
            return "done", time.monotonic() - started

        results = await asyncio.gather(*(job(3.0, 0.05) for _ in range(20)),
                                       *(job(0.1, 30.0) for _ in range(20)))
        assert deadlines._due == {} and deadlines._expired == set()
        await asyncio.sleep(0.1)
        assert deadlines._sweeping is None  # no sweeping while nothing runs
        return results

    results = asyncio.run(main())
    assert [r[0] for r in results] == ["done"] * 20 + ["timeout"] * 20
    assert all(0.09 <= r[1] < 5.0 for r in results[20:])  # fired, near 0.1 s on a quiet machine


def test_outside_cancellation_is_not_turned_into_a_timeout():
    async def main():
        deadlines = Deadlines(tick=0.01)

        async def job():
            with deadlines.limit(10):
                await asyncio.sleep(5)

        task = asyncio.ensure_future(job())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert deadlines._due == {}

    asyncio.run(main())


def test_a_task_can_be_limited_again_after_a_timeout():
    async def main():
        deadlines = Deadlines(tick=0.01)
        with pytest.raises(TimeoutError), deadlines.limit(0.03):
            await asyncio.sleep(10)
        with deadlines.limit(1):
            await asyncio.sleep(0.02)  # not cancelled by the earlier expiry
        assert asyncio.current_task().cancelling() == 0

    asyncio.run(main())


def test_one_limit_is_entered_by_many_tasks_at_once():
    async def main():
        deadlines = Deadlines(tick=0.01)
        limit = deadlines.limit(0.1)  # as the fetcher does: one per session

        async def job(work):
            try:
                with limit:
                    await asyncio.sleep(work)
            except TimeoutError:
                return "timeout"
            return "done"

        results = await asyncio.gather(*(job(w) for w in (0.01, 10, 0.02, 10)))
        assert deadlines._due == {} and deadlines._expired == set()
        return results

    assert asyncio.run(main()) == ["done", "timeout", "done", "timeout"]
