"""One download call: every file's transfer on one shared, adaptive pool of connections, one error at the end.

The first file that fails for good cancels the others; their temporary state is cleaned up, or kept
when a next try can resume it. :meth:`Batch.run` then raises one error naming every failed file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airflow_provider_capella.transfer.adaptive import ConnectionController, Meter
from airflow_provider_capella.transfer.engine import FileTransfer
from airflow_provider_capella.transfer.errors import (
    CapellaDownloadError,
    CapellaOrderExpiredError,
    TransferCancelled,
)
from airflow_provider_capella.transfer.naming import redact
from airflow_provider_capella.transfer.pool import WorkerPool
from airflow_provider_capella.transfer.progress import BatchTotals, log

if TYPE_CHECKING:
    import requests

    from airflow_provider_capella.transfer.settings import TransferSettings
    from airflow_provider_capella.transfer.sinks.base import Sink
    from airflow_provider_capella.transfer.urls import AssetRef, PresignedUrls

INTERRUPT_GRACE_SECONDS = 60.0


@dataclass(frozen=True)
class FileEntry:
    """One file of a batch: which presigned URL, into which sink, named how in logs.

    Example::

        FileEntry(ref=("CAPELLA_X", "HH"), sink=LocalFileSink("/data/x.tif"), label="x.tif")
    """

    ref: AssetRef
    sink: Sink
    label: str


class Batch:
    """Downloads a list of files with one pool of ``settings.concurrency`` connections.

    The first file that fails for good cancels the others (their temporary state is cleaned up or kept
    for resuming) and :meth:`run` raises one error naming every failed file.

    Example::

        batch = Batch(session=new_session(8), urls=urls, settings=TransferSettings(),
                      override=False, enable_resume=True)
        batch.run([FileEntry(("CAPELLA_X", "HH"), LocalFileSink("/data/x.tif"), "x.tif")])
    """

    def __init__(
        self,
        *,
        session: requests.Session,
        urls: PresignedUrls,
        settings: TransferSettings,
        override: bool,
        enable_resume: bool,
    ) -> None:
        self.session = session
        self.urls = urls
        self.settings = settings
        self.override = override
        self.enable_resume = enable_resume
        self.cancelled = threading.Event()
        self.totals = BatchTotals()
        self.pool: WorkerPool | None = None
        self.meter = Meter()
        self.controller: ConnectionController | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self._all_done = threading.Event()
        self._failures: list[tuple[FileTransfer, BaseException]] = []

    def run(self, entries: list[FileEntry], *, summary: bool = True) -> None:
        """Transfer every entry; raise one error naming the files that failed.

        :param entries: the files.
        :param summary: log the closing summary line (not for the digest documents fetched first).
        """
        if not entries:
            return
        transfers = [FileTransfer(index, entry, self) for index, entry in enumerate(entries)]
        self._pending = len(transfers)
        self.pool, self.controller = self._connections(entries)
        try:
            for transfer in transfers:
                self.pool.submit((transfer.index, -1), transfer.start)
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
        if summary and self.controller is not None:
            log.info("connections used: %s", self.controller.summary())
        if summary:
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
