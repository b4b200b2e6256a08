"""One download call: every file on one shared, adaptive pool of connections, one error at the end."""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from airflow_provider_capella.exceptions import CapellaDownloadError, CapellaOrderExpiredError
from airflow_provider_capella.transfer.engine import FileTransfer, human_bytes, log
from airflow_provider_capella.transfer.errors import TransferCancelled
from airflow_provider_capella.transfer.source import AssetRef, Fetcher, PresignedUrls, redact

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.digests import FileDigest
    from airflow_provider_capella.transfer.settings import TransferSettings
    from airflow_provider_capella.transfer.sinks import Sink

INTERRUPT_GRACE_SECONDS = 60.0
Task = Callable[[], None]
Clock = Callable[[], float]
Counter = Callable[[], int]
_STOP = (1 << 62,)
WINDOW_SECONDS = 0.3
GAIN_SHARE = 0.5
HOLD_SHARE = 0.95
THROTTLE_HOLD_SECONDS = 10.0
MIN_PROBE = 2


class ConnectionController:
    """Adjusts ``pool``'s limit between 1 and ``cap`` from the throughput: ``received()`` bytes so far."""

    def __init__(
        self, pool: WorkerPool, received: Counter, *, start: int, cap: int, clock: Clock = time.monotonic
    ) -> None:
        self.pool, self.received, self.window, self.clock = pool, received, WINDOW_SECONDS, clock
        self.cap = max(1, cap)
        self.pool.set_limit(min(start, self.cap))
        self._stop, self._lock = threading.Event(), threading.Lock()
        self._thread = threading.Thread(target=self._run, name="capella-connections", daemon=True)
        self._phase = "grow"  # then "shrink" (trying fewer connections) or "hold"
        self._previous: tuple[int, float] | None = None  # (connections, rate) of the last step
        self._held_until, self._last_cut = 0.0, float("-inf")
        self._ceiling, self._grown = self.cap, False
        self._final: int | None = None
        self.history: list[tuple[int, float]] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop adjusting (the pool's limit at this moment is the call's last)."""
        self._final = self.pool.limit
        self._stop.set()
        self._thread.join(2)

    def summary(self) -> str:
        """Describe the connection counts the call went through, e.g. ``8 -> 16 -> 32``."""
        counts = [connections for connections, _ in self.history] + [self._final or self.pool.limit]
        return " -> ".join(str(count) for count, _ in itertools.groupby(counts))

    def throttled(self) -> None:
        """Halve the connections and hold growth back: the server pushed back (429, 503, SlowDown)."""
        with self._lock:
            now = self.clock()
            if now - self._last_cut < 2 * self.window:
                return  # one cut per burst: the parallel requests of one moment all see the same 429
            self._last_cut = now
            current = self.pool.limit
            self._ceiling = reduced = self.pool.set_limit(max(1, current // 2))
            self._held_until = now + THROTTLE_HOLD_SECONDS
            self._phase, self._previous = "grow", None
        if reduced < current:
            log.info("the server is throttling: %d connections now (was %d)", reduced, current)

    def _run(self) -> None:
        last_total, last_time = self.received(), self.clock()
        while not self._stop.wait(self.window):
            total, now = self.received(), self.clock()
            rate = (total - last_total) / max(now - last_time, 1e-6)
            last_total, last_time = total, now
            with self._lock:
                self.step(rate)

    def step(self, rate: float) -> None:
        """Take one decision from the throughput ``rate`` (bytes/s) measured at the current limit."""
        connections = self.pool.limit
        self.history.append((connections, rate))
        if self.clock() >= self._held_until and self._ceiling < self.cap:
            self._ceiling = min(self.cap, self._ceiling + max(1, self._ceiling // 2))
        previous, self._previous = self._previous, (connections, rate)
        if self._phase == "grow":
            if previous is not None and previous[0] < connections:
                count, before = previous  # paid off: at least half the proportional gain in throughput
                expected = before * connections / count
                if not (rate >= before + GAIN_SHARE * (expected - before) if before > 0 else rate > 0):
                    self._set(previous[0], "adding connections did not add throughput")
                    self._phase, self._previous = ("hold" if self._grown else "shrink"), previous
                    return
                self._grown = True
            if connections < self._ceiling and self.pool.backlog() > 0:
                self._set(min(self._ceiling, connections * 2), "more connections add throughput")
        elif self._phase == "shrink":
            if previous is not None and previous[0] > connections and rate < HOLD_SHARE * previous[1]:
                self._set(previous[0], "fewer connections were slower")
                self._phase = "hold"
            elif connections // 2 >= MIN_PROBE:
                self._set(connections // 2, "trying fewer connections")
            else:
                self._phase = "hold"

    def _set(self, connections: int, reason: str) -> None:
        before, after = self.pool.limit, self.pool.set_limit(connections)
        if after != before:
            log.debug("connections %d -> %d: %s", before, after, reason)


class WorkerPool:
    """``size`` daemon threads running submitted tasks by ascending priority, at most ``limit`` at once."""

    def __init__(self, size: int, *, limit: int) -> None:
        self.size = size
        self._queue: queue.PriorityQueue[tuple[tuple[int, ...], int, Task | None]] = queue.PriorityQueue()
        self._order, self._gate = itertools.count(), threading.Condition()
        self.limit, self._running = max(1, min(limit, size)), 0  # how many tasks may run at once
        self._threads = [
            threading.Thread(target=self._work, name=f"capella-transfer-{number}", daemon=True)
            for number in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def set_limit(self, limit: int) -> int:
        """Let at most ``limit`` (1..size) tasks run at once from now on; returns the limit applied."""
        with self._gate:
            self.limit = max(1, min(limit, self.size))
            self._gate.notify_all()
            return self.limit

    def backlog(self) -> int:
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
                self._gate.wait_for(lambda: self._running < self.limit)
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
    digest: Callable[[], FileDigest | str | None] | None = None  # the file's digest (or why none), fetched


class Batch:
    """Downloads a list of files with one pool of connections; :meth:`run` raises one error at the end."""

    def __init__(
        self, urls: PresignedUrls, settings: TransferSettings, *, override: bool, enable_resume: bool
    ) -> None:
        self.urls, self.settings = urls, settings
        self.override, self.enable_resume = override, enable_resume
        self.cancelled, self._started = threading.Event(), time.monotonic()
        self.transfers: list[FileTransfer] = []
        self.pool: WorkerPool  # made by run(), with the call's number of connections
        self._lock, self._all_done, self._pending = threading.Lock(), threading.Event(), 0
        self._failures: list[tuple[FileTransfer, BaseException]] = []

    def run(self, entries: list[FileEntry]) -> None:
        """Transfer every entry, log a summary line, and raise one error naming the files that failed."""
        self.transfers = transfers = [FileTransfer(index, entry, self) for index, entry in enumerate(entries)]
        self._pending = len(transfers)
        caps = [getattr(entry.sink, "connection_cap", None) for entry in entries]  # S3 sinks have one
        cap = min([self.settings.connection_cap, *(limit for limit in caps if limit)])
        start = min(self.settings.concurrency, cap)
        self.pool, controller = WorkerPool(cap, limit=start), None
        if self.settings.adaptive and cap > 1:
            controller = ConnectionController(self.pool, self._received, start=start, cap=cap)
            controller.start()
        throttled = controller.throttled if controller is not None else None
        self.fetcher = Fetcher(self.urls, self.settings.timeout, self.settings.connection_cap, throttled)
        try:
            for transfer in transfers:
                self.pool.submit((transfer.index, -1), partial(transfer.run, transfer.start))
            while not self._all_done.wait(0.5):
                pass
        except BaseException:
            self.cancelled.set()
            self._all_done.wait(INTERRUPT_GRACE_SECONDS)
            raise
        finally:
            if controller is not None:
                controller.stop()
            self.pool.shutdown(timeout=5)
            self.fetcher.close()
        if controller is not None:
            log.info("connections used: %s", controller.summary())
        seconds = max(time.monotonic() - self._started, 1e-9)
        skipped, failed = sum(transfer.skipped for transfer in transfers), len(self._failures)
        count, size = len(transfers) - skipped - failed, self._received()
        files = f"{count} file{'s' if count != 1 else ''}, {human_bytes(size)}"
        text = f"downloaded {files} in {seconds:.1f} s ({size / seconds / 1e6:.1f} MB/s)"
        text += f"; {skipped} already complete, skipped" if skipped else ""
        log.info("%s", text + (f"; {failed} failed" if failed else ""))
        real = [failure for failure in self._failures if type(failure[1]) is not TransferCancelled]
        if self._failures and not real:
            raise CapellaDownloadError("the download was cancelled")
        for _, error in real:
            if isinstance(error, CapellaOrderExpiredError):
                raise error
        if real:
            details = "; ".join(f"{transfer.label}: {redact(str(error))}" for transfer, error in real[:10])
            raise CapellaDownloadError(
                f"{len(real)} of {len(transfers)} file(s) failed: {details}. Completed files are kept (and "
                "skipped next time); partial local files resume on the next run."
            ) from real[0][1]

    def _received(self) -> int:
        return sum(transfer.received for transfer in self.transfers)

    def finished(self, transfer: FileTransfer, error: BaseException | None) -> None:
        with self._lock:
            if error is not None:
                self._failures.append((transfer, error))
            self._pending -= 1
            if self._pending == 0:
                self._all_done.set()
