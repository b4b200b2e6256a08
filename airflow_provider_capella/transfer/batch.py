"""One download call: every file's transfer on one shared, adaptive pool of connections, one error at the end.

Tasks run in priority order ``(file index, part index)``: earlier files' parts first, so files complete
one after the other while every connection stays busy, and part buffers never outnumber the workers. A
worker over the (adaptive) limit finishes its task first: a connection is never cut mid-range. The first
file that fails for good cancels the others; their partial state is removed, or kept for a resume.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from airflow_provider_capella.transfer.adaptive import ConnectionController, Meter
from airflow_provider_capella.transfer.engine import FileTransfer
from airflow_provider_capella.transfer.errors import (
    CapellaDownloadError,
    CapellaOrderExpiredError,
    TransferCancelled,
)
from airflow_provider_capella.transfer.progress import BatchTotals, log
from airflow_provider_capella.transfer.source import AssetRef, PresignedUrls, new_session, redact

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.digests import FileDigest
    from airflow_provider_capella.transfer.settings import TransferSettings
    from airflow_provider_capella.transfer.sinks import Sink

INTERRUPT_GRACE_SECONDS = 60.0
Task = Callable[[], None]
_STOP = (1 << 62,)


class WorkerPool:
    """``size`` daemon threads running submitted tasks by ascending priority, at most ``limit`` at once."""

    def __init__(self, size: int, *, limit: int) -> None:
        self.size = size
        self._queue: queue.PriorityQueue[tuple[tuple[int, ...], int, Task | None]] = queue.PriorityQueue()
        self._order, self._gate = itertools.count(), threading.Condition()
        self._limit, self._running = max(1, min(limit, size)), 0
        self._threads = [
            threading.Thread(target=self._work, name=f"capella-transfer-{number}", daemon=True)
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
        """Count the tasks waiting for a worker."""
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


@dataclass(frozen=True)
class FileEntry:
    """One file of a batch: which presigned URL, into which sink, named how in logs."""

    ref: AssetRef
    sink: Sink
    label: str
    digest: Callable[[], FileDigest | None] | None = None  # fetches the file's digest, if it has one


class Batch:
    """Downloads a list of files with one pool of connections; :meth:`run` raises one error at the end."""

    def __init__(
        self, urls: PresignedUrls, settings: TransferSettings, *, override: bool, enable_resume: bool
    ) -> None:
        self.urls, self.settings = urls, settings
        self.override, self.enable_resume = override, enable_resume
        self.cancelled, self.totals, self.meter = threading.Event(), BatchTotals(), Meter()
        self.pool: WorkerPool | None = None
        self.controller: ConnectionController | None = None
        self._lock, self._all_done = threading.Lock(), threading.Event()
        self._pending = 0
        self._failures: list[tuple[FileTransfer, BaseException]] = []

    def run(self, entries: list[FileEntry]) -> None:
        """Transfer every entry, log a summary line, and raise one error naming the files that failed."""
        if not entries:
            return
        transfers = [FileTransfer(index, entry, self) for index, entry in enumerate(entries)]
        self._pending = len(transfers)
        self.pool, self.controller = self._connections(entries)
        self.session = new_session(self.settings.connection_cap)
        try:
            for transfer in transfers:
                self.pool.submit((transfer.index, -1), partial(transfer.run, transfer.start))
            while not self._all_done.wait(0.5):
                pass
        except BaseException:
            self.cancel()
            self._all_done.wait(INTERRUPT_GRACE_SECONDS)
            raise
        finally:
            if self.controller is not None:
                self.controller.stop()
            self.pool.shutdown(timeout=5)
            self.session.close()
        if self.controller is not None:
            log.info("connections used: %s", self.controller.summary())
        log.info("%s", self.totals.summary())
        self._raise_failures(len(transfers))

    def _connections(self, entries: list[FileEntry]) -> tuple[WorkerPool, ConnectionController | None]:
        """Make the worker pool: a fixed size, or adaptive between 1 and the cap of every sink."""
        caps = [getattr(entry.sink, "connection_cap", None) for entry in entries]
        cap = min([self.settings.connection_cap, *(limit for limit in caps if limit)])
        start = min(self.settings.concurrency, cap)
        pool = WorkerPool(cap, limit=start)
        if not self.settings.adaptive or cap <= 1:
            return pool, None
        controller = ConnectionController(pool, self.meter, start=start, cap=cap)
        controller.start()
        return pool, controller

    def throttled(self) -> None:
        """Tell the connection controller the server pushed back (429 or 503)."""
        if self.controller is not None:
            self.controller.throttled()

    def cancel(self) -> None:
        self.cancelled.set()

    def finished(self, transfer: FileTransfer, error: BaseException | None) -> None:
        with self._lock:
            if error is not None:
                self._failures.append((transfer, error))
            self._pending -= 1
            if self._pending == 0:
                self._all_done.set()

    def _raise_failures(self, count: int) -> None:
        real = [
            (transfer, error)
            for transfer, error in self._failures
            if not isinstance(error, TransferCancelled)
        ]
        if not real:
            if self._failures:
                raise CapellaDownloadError("the download was cancelled")
            return
        for _, error in real:
            if isinstance(error, CapellaOrderExpiredError):
                raise error
        details = "; ".join(f"{transfer.label}: {redact(str(error))}" for transfer, error in real[:10])
        raise CapellaDownloadError(
            f"{len(real)} of {count} file(s) failed: {details}. Completed files are kept (and skipped next "
            "time); partial local files resume on the next run."
        ) from real[0][1]
