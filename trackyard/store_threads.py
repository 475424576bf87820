"""Threads for the blocking store calls, answering straight into asyncio futures.

`loop.run_in_executor` chains a concurrent.futures.Future to an asyncio one through callbacks
and locks; here a thread hands its result to the event loop with one `call_soon_threadsafe`,
which halves the cost of the hop (~80 -> ~40 us of CPU a call on this project's 2-core test
machine).

The thread that went idle last takes the next call. Each thread keeps its own SQLite
connection, whose page cache is warm only after the thread has served a few calls: with a
shared queue, sequential calls rotate through all the threads and so through cold caches (a
search page of 100 traces took about twice as long for the first 32 calls after a start).
Last-idle-first keeps a quiet server on one warm thread and wakes more only under
concurrency. Calls still start in the order they arrived. The threads are daemons, as no call
outlives the server that awaits it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

Job = tuple[asyncio.AbstractEventLoop, asyncio.Future, Callable[..., Any], tuple]


class StoreThreads:
    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []  # a stack: the last to go idle is woken first
        self._backlog: deque[Job] = deque()  # calls waiting for a thread, oldest first
        for number in range(size):
            worker = _Worker(self)
            self._idle.append(worker)
            name = f"trackyard-api-{number}"
            threading.Thread(target=worker.serve, name=name, daemon=True).start()

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        job = (loop, future, function, args)
        with self._lock:
            worker = self._idle.pop() if self._idle else None
            if worker is None:
                self._backlog.append(job)
        if worker is not None:
            worker.give(job)
        return await future

    def _next_or_idle(self, worker: _Worker) -> Job | None:
        """The oldest waiting call for `worker`, or None after marking it idle."""
        with self._lock:
            if self._backlog:
                return self._backlog.popleft()
            self._idle.append(worker)
            return None


class _Worker:
    """One thread's mailbox: it sleeps on its own lock until a call is handed to it."""

    def __init__(self, threads: StoreThreads) -> None:
        self.threads = threads
        self.job: Job | None = None
        self.wake = threading.Lock()
        self.wake.acquire()

    def give(self, job: Job) -> None:
        self.job = job
        self.wake.release()

    def _take(self) -> Job:
        """Sleep until a call is handed over, and take it."""
        self.wake.acquire()
        job, self.job = self.job, None
        assert job is not None  # `give` fills the slot before it wakes the thread
        return job

    def serve(self) -> None:
        job: Job | None = None
        while True:
            if job is None:
                job = self._take()
            loop, future, function, args = job
            outcome = _outcome(function, args)
            # Idle again before answering: the awaiting request may send its next call at
            # once, and it should find this (warm) thread free.
            job = self.threads._next_or_idle(self)
            # A loop closed meanwhile (the server stopped) leaves nobody to answer.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, future, *outcome)


def _outcome(function: Callable[..., Any], args: tuple) -> tuple[Any, BaseException | None]:
    try:
        return function(*args), None
    except BaseException as error:  # goes to the awaiting request, which answers it
        return None, error


def settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the client went away and its request task was cancelled
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
