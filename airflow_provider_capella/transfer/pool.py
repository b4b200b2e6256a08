"""One bounded pool of worker threads shared by every file of a download call, its size adjustable live.

Tasks are taken in priority order ``(file index, part index)``: the parts of earlier files go first, so
files complete one after the other while every connection stays busy, and the number of part buffers
in memory never exceeds the number of workers. :meth:`WorkerPool.set_limit` changes how many workers
may run a task at once (the adaptive connection count); a worker over the limit finishes its task
first, so a connection is never cut mid-range.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

Task = Callable[[], None]
_STOP = (1 << 62,)


class WorkerPool:
    """``size`` daemon threads running submitted tasks by ascending priority, at most ``limit`` at once.

    Example::

        pool = WorkerPool(32, limit=8)
        pool.submit((0, 1), lambda: print("part 1 of file 0"))
        pool.set_limit(16)
        pool.shutdown()
    """

    def __init__(self, size: int, name: str = "capella-transfer", *, limit: int | None = None) -> None:
        self.size = size
        self._queue: queue.PriorityQueue[tuple[tuple[int, ...], int, Task | None]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._gate = threading.Condition()
        self._limit = size if limit is None else max(1, min(limit, size))
        self._running = 0
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{number}", daemon=True)
            for number in range(size)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> int:
        """Let at most ``limit`` (1..size) tasks run at once from now on; returns the limit applied."""
        with self._gate:
            self._limit = max(1, min(limit, self.size))
            self._gate.notify_all()
            return self._limit

    def backlog(self) -> int:
        """Tasks waiting for a worker."""
        return self._queue.qsize()

    def submit(self, priority: tuple[int, ...], task: Task) -> None:
        """Queue ``task``; lower priorities run first."""
        self._queue.put((priority, next(self._order), task))

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop the workers once the tasks already queued have run."""
        self.set_limit(self.size)
        for _ in self._threads:
            self._queue.put((_STOP, next(self._order), None))
        for thread in self._threads:
            thread.join(timeout)

    def _work(self) -> None:
        while True:
            with self._gate:
                while self._running >= self._limit:
                    self._gate.wait()
                self._running += 1
            try:
                _, _, task = self._queue.get()
                if task is None:
                    return
                try:
                    task()
                except BaseException:  # a task reports its own failures; never let a worker die
                    log.exception("transfer task crashed")
            finally:
                with self._gate:
                    self._running -= 1
                    self._gate.notify()
