"""One generation thread fed by a bounded queue: the reader answers one request at a time, in order.

A request that does not fit in the queue is refused at once (`Busy`), never held without bound.
Each job's events cross to the event loop through an asyncio queue; a job whose client left is
cancelled. A cancelled job that is still waiting no longer takes a place in the queue (so clients
that gave up cannot make the server refuse those still there) and is dropped without running; a
running one is stopped by the thread between two streamed pieces by closing its iterator, which
closes the reader's stream and so ends llama.cpp's (or the remote server's) generation.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any

log = logging.getLogger(__name__)


class Busy(Exception):
    """The queue is full; `retry_after` is the estimated wait in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the server is busy: {retry_after} s")
        self.retry_after = retry_after


class Job:
    """One request's work and the events it produced; `cancel()` from any thread stops it."""

    def __init__(self, work: Callable[[], Iterator[Any]], loop: asyncio.AbstractEventLoop) -> None:
        self.work = work
        self._loop = loop
        self._events: asyncio.Queue = asyncio.Queue()
        self._cancelled = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    async def events(self) -> AsyncIterator[Any]:
        """The work's items as they come; re-raises its exception; cancels the job if the consumer stops."""
        try:
            while True:
                kind, value = await self._events.get()
                if kind == "item":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            self.cancel()

    def _emit(self, kind: str, value: Any = None) -> None:
        try:
            self._loop.call_soon_threadsafe(self._events.put_nowait, (kind, value))
        except RuntimeError:  # the loop is gone: nobody is listening any more
            self.cancel()


class Worker:
    """The generation thread. `prepare` (loading the models) runs on it first; `ready` is set after."""

    def __init__(self, *, queue_size: int, prepare: Callable[[], None] | None = None) -> None:
        self._size = max(queue_size, 1)
        self._waiting: deque[Job] = deque()
        self._changed = threading.Condition()
        self._stopping = False
        self._prepare = prepare
        self.ready = threading.Event()
        self.failure: str | None = None
        self._durations: list[float] = []
        self._thread = threading.Thread(target=self._run, name="rag-generator", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            for job in self._waiting:
                job.cancel()
            self._drop_cancelled()
            self._changed.notify()
        self._thread.join(timeout=5)

    def submit(self, work: Callable[[], Iterator[Any]]) -> Job:
        """Queue `work` (a callable returning an iterator, run on the thread); raises `Busy` when full."""
        job = Job(work, asyncio.get_running_loop())
        with self._changed:
            self._drop_cancelled()
            if len(self._waiting) >= self._size:
                raise Busy(self._estimate())
            self._waiting.append(job)
            self._changed.notify()
        return job

    def _drop_cancelled(self) -> None:
        """End the waiting jobs whose clients left, so they no longer take a place; the lock is held."""
        for job in [j for j in self._waiting if j.cancelled]:
            self._waiting.remove(job)
            job._emit("end")

    def _estimate(self) -> int:
        """Seconds until the live waiting jobs and the running one are done."""
        recent = self._durations[-20:]
        each = sum(recent) / len(recent) if recent else 5.0
        return max(1, math.ceil(each * (len(self._waiting) + 1)))

    def _next(self) -> Job | None:
        """The oldest waiting job, once there is one; None once the worker stops."""
        with self._changed:
            while not self._waiting and not self._stopping:
                self._changed.wait()
            return None if self._stopping else self._waiting.popleft()

    def _run(self) -> None:
        if self._prepare is not None:
            try:
                self._prepare()
            except Exception as exc:  # reported by /health and to each request; the thread goes on refusing
                log.exception("loading the models failed")
                self.failure = str(exc) or type(exc).__name__
        self.ready.set()
        while (job := self._next()) is not None:
            if job.cancelled:
                job._emit("end")
                continue
            started = time.perf_counter()
            self._execute(job)
            self._durations = [*self._durations[-19:], time.perf_counter() - started]

    def _execute(self, job: Job) -> None:
        if self.failure is not None:
            job._emit("error", RuntimeError(f"the models did not load: {self.failure}"))
            return
        iterator = None
        try:
            iterator = iter(job.work())
            for item in iterator:
                if job.cancelled:
                    break
                job._emit("item", item)
        except Exception as exc:
            job._emit("error", exc)
            return
        finally:
            if isinstance(iterator, Generator):  # stops the answer's generator, and so the reader
                iterator.close()
        job._emit("end")
