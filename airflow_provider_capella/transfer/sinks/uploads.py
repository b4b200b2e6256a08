"""Part uploads that run beside the downloads: a filled part is handed over and its connection moves on.

Without this, a connection would sit idle while its part uploads, halving the throughput into S3. The
number of parts waiting or uploading is bounded (a download blocks when the bound is reached), and part
buffers are recycled, so memory stays at ``part_size * (concurrency + max_pending)`` at most, without the
allocator churn of a fresh buffer per part.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class PartUploads:
    """A bounded pool of upload threads shared by every S3 object of a download call.

    Example::

        uploads = PartUploads(threads=8, max_pending=8)
        future = uploads.submit(lambda: client.upload_part(...))
        future.result()
        uploads.shutdown()
    """

    def __init__(self, threads: int, max_pending: int) -> None:
        self._slots = threading.BoundedSemaphore(max_pending)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="capella-upload")
        self._free: dict[int, list[bytearray]] = {}
        self._lock = threading.Lock()

    def take_buffer(self, size: int) -> bytearray:
        """Take a part buffer of exactly ``size`` bytes, recycled when one is free."""
        with self._lock:
            free = self._free.get(size)
            if free:
                return free.pop()
        return bytearray(size)

    def give_back(self, buffer: bytearray) -> None:
        with self._lock:
            self._free.setdefault(len(buffer), []).append(buffer)

    def submit(self, upload: Callable[[], None]) -> Future[None]:
        """Queue ``upload``; blocks while ``max_pending`` uploads are already waiting or running."""
        self._slots.acquire()
        try:
            future = self._executor.submit(upload)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._free.clear()
