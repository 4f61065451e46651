"""The in-process host limiter: per-host bound, FIFO hand-on, cancellation never leaks a slot."""

import asyncio

import pytest

from engine.fetch.politeness import HostLimiter


def run(coro):
    return asyncio.run(coro)


def test_bound_per_host_and_fifo_order():
    async def main():
        limiter = HostLimiter(2)
        inside, peak, order = 0, 0, []

        async def one(i, host):
            nonlocal inside, peak
            async with limiter.slot(host):
                if host == "a":
                    inside += 1
                    peak = max(peak, inside)
                    order.append(i)
                await asyncio.sleep(0.01)
                if host == "a":
                    inside -= 1

        await asyncio.gather(*(one(i, "a") for i in range(8)), *(one(i, "b") for i in range(3)))
        return peak, order, limiter

    peak, order, limiter = run(main())
    assert peak == 2
    assert order == list(range(8))  # waiters are served in the order they asked
    assert limiter._busy == {} and limiter._waiting == {}  # nothing kept for idle hosts


def test_cancelled_waiter_leaks_no_slot():
    async def main():
        limiter = HostLimiter(1)
        release = asyncio.Event()

        async def holder():
            async with limiter.slot("h"):
                await release.wait()

        async def waiter():
            async with limiter.slot("h"):
                return "got it"

        first = asyncio.create_task(holder())
        await asyncio.sleep(0)
        cancelled = asyncio.create_task(waiter())
        await asyncio.sleep(0)
        later = asyncio.create_task(waiter())
        await asyncio.sleep(0)
        cancelled.cancel()
        release.set()
        await first
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        return await asyncio.wait_for(later, 1), limiter

    answer, limiter = run(main())
    assert answer == "got it"
    assert limiter._busy == {} and limiter._waiting == {}


def test_slot_taken_during_a_pause_is_given_back_when_cancelled():
    async def main():
        limiter = HostLimiter(1)
        limiter.pause("h", 30)

        async def paused():
            async with limiter.slot("h"):
                pass

        task = asyncio.create_task(paused())
        await asyncio.sleep(0.01)  # it holds the slot and sleeps out the pause
        assert limiter._busy == {"h": 1}
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return limiter

    limiter = run(main())
    assert limiter._busy == {}
