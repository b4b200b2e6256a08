"""One bounded pool of worker threads shared by every file of a download call.

Tasks are taken in priority order ``(file index, part index)``: the parts of earlier files go first, so
files complete one after the other while every connection stays busy, and the number of part buffers
in memory never exceeds the number of workers.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

Task = Callable[[], None]


class WorkerPool:
    """``size`` daemon threads running submitted tasks by ascending priority.

    Example::

        pool = WorkerPool(8)
        pool.submit((0, 1), lambda: print("part 1 of file 0"))
        pool.shutdown()
    """

    def __init__(self, size: int, name: str = "capella-transfer") -> None:
        self._queue: queue.PriorityQueue[tuple[tuple[int, ...], int, Task | None]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{number}", daemon=True)
            for number in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, priority: tuple[int, ...], task: Task) -> None:
        self._queue.put((priority, next(self._order), task))

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop the workers once the tasks already queued have run."""
        for _ in self._threads:
            self._queue.put(((1 << 62,), next(self._order), None))
        for thread in self._threads:
            thread.join(timeout)

    def _work(self) -> None:
        while True:
            _, _, task = self._queue.get()
            if task is None:
                return
            try:
                task()
            except BaseException:  # a task reports its own failures; never let a worker die
                log.exception("transfer task crashed")
