"""StoreThreads: blocking calls answered into asyncio, on the thread that went idle last."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from trackyard.store_threads import StoreThreads


def _thread_name() -> str:
    return threading.current_thread().name


def test_a_call_returns_its_result_from_a_store_thread():
    async def call() -> str:
        return await StoreThreads(4).run(_thread_name)

    assert asyncio.run(call()).startswith("trackyard-api-")


def test_a_call_that_raises_raises_in_the_awaiting_task():
    def fail() -> None:
        raise ValueError("no such thing")

    async def call() -> None:
        await StoreThreads(2).run(fail)

    with pytest.raises(ValueError, match="no such thing"):
        asyncio.run(call())


def test_sequential_calls_stay_on_one_warm_thread():
    async def calls() -> set[str]:
        threads = StoreThreads(8)
        return {await threads.run(_thread_name) for _ in range(50)}

    assert len(asyncio.run(calls())) == 1


def test_concurrent_calls_use_several_threads():
    started = threading.Barrier(3, timeout=5)

    def meet() -> str:
        started.wait()  # only returns once three calls run at the same time
        return _thread_name()

    async def calls() -> list[str]:
        threads = StoreThreads(3)
        return await asyncio.gather(*(threads.run(meet) for _ in range(3)))

    assert len(set(asyncio.run(calls()))) == 3


def test_calls_beyond_the_threads_wait_and_start_in_arrival_order():
    order: list[int] = []

    def record(number: int) -> int:
        time.sleep(0.002)
        order.append(number)
        return number

    async def calls() -> list[int]:
        threads = StoreThreads(1)
        return await asyncio.gather(*(threads.run(record, n) for n in range(20)))

    assert asyncio.run(calls()) == list(range(20))
    assert order == list(range(20))
