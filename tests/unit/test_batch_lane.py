"""The batch lane: one thread serves every call waiting when it is free, and each caller hears
its own outcome."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from trackyard.batch_lane import MAX_BATCH, BatchLane, Outcome


class Doubler:
    """Serves numbers doubled (a negative one fails alone), holding its first batch until
    `release` once `entered` says the lane has taken it."""

    def __init__(self, hold: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.released = threading.Event()
        if not hold:
            self.released.set()

    def serve(self, jobs: Sequence[int]) -> list[Outcome]:
        self.entered.set()
        self.released.wait(10)
        self.batches.append(list(jobs))
        return [(job * 2, None) if job >= 0 else (None, ValueError(job)) for job in jobs]


async def submit_while_held(lane: BatchLane, doubler: Doubler, later: list[int]) -> list:
    """Submit 0, and `later` once the lane holds 0's batch; every outcome."""
    first = asyncio.ensure_future(lane.submit(0))
    await asyncio.to_thread(doubler.entered.wait, 10)
    rest = [asyncio.ensure_future(lane.submit(job)) for job in later]
    await asyncio.sleep(0)  # each submit runs up to its wait
    doubler.released.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


def test_each_call_hears_its_own_outcome():
    doubler = Doubler()
    lane = BatchLane(doubler.serve, "test-lane")

    async def calls() -> list:
        calls = [lane.submit(job) for job in (1, -1, 3)]
        return await asyncio.gather(*calls, return_exceptions=True)

    first, failed, last = asyncio.run(calls())
    assert (first, last) == (2, 6)
    assert isinstance(failed, ValueError)


def test_calls_that_arrive_during_a_batch_are_served_together_next():
    doubler = Doubler(hold=True)
    lane = BatchLane(doubler.serve, "test-lane")
    assert asyncio.run(submit_while_held(lane, doubler, [1, 2, 3])) == [0, 2, 4, 6]
    assert doubler.batches == [[0], [1, 2, 3]]


def test_a_batch_holds_at_most_max_batch_calls_in_the_order_they_came():
    doubler = Doubler(hold=True)
    lane = BatchLane(doubler.serve, "test-lane")
    later = list(range(1, MAX_BATCH + 6))
    asyncio.run(submit_while_held(lane, doubler, later))
    assert doubler.batches == [[0], later[:MAX_BATCH], later[MAX_BATCH:]]


def test_a_failure_of_the_whole_batch_answers_each_of_its_calls():
    def broken(jobs: Sequence[int]) -> list[Outcome]:
        raise RuntimeError("the database went away")

    lane = BatchLane(broken, "test-lane")

    async def calls() -> list:
        return await asyncio.gather(lane.submit(1), lane.submit(2), return_exceptions=True)

    assert [str(outcome) for outcome in asyncio.run(calls())] == ["the database went away"] * 2


def test_a_serve_that_answers_too_few_calls_fails_its_batch_and_the_lane_goes_on():
    def forgetful(jobs: Sequence[int]) -> list[Outcome]:
        return [(job, None) for job in jobs[1:]]

    lane = BatchLane(forgetful, "test-lane")

    async def calls() -> list:
        first = await asyncio.gather(lane.submit(1), lane.submit(2), return_exceptions=True)
        return [*first, await asyncio.gather(lane.submit(3), return_exceptions=True)]

    outcomes = asyncio.run(calls())
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes[:2])
    assert isinstance(outcomes[2][0], RuntimeError)  # a batch of one, answered too


def test_the_lane_goes_on_after_its_callers_went_away():
    doubler = Doubler(hold=True)
    lane = BatchLane(doubler.serve, "test-lane")

    async def cancelled_then_more() -> int:
        first = asyncio.ensure_future(lane.submit(1))
        await asyncio.to_thread(doubler.entered.wait, 10)
        first.cancel()  # the client hung up while its batch ran
        doubler.released.set()
        with pytest.raises(asyncio.CancelledError):
            await first
        return await lane.submit(5)

    assert asyncio.run(cancelled_then_more()) == 10
