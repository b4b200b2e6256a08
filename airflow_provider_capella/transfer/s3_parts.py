"""S3 parts: filling part buffers (CRC computed on the way in), sending them beside the downloads.

A filled part is handed to :class:`PartUploads` and its connection moves on: without this, a connection
would sit idle while its part uploads, halving the throughput into S3. The number of parts waiting or
uploading is bounded (a download blocks when the bound is reached), and part buffers are recycled, so
memory stays at ``part_size * (concurrency + max_pending)`` at most, without the allocator churn of a
fresh buffer per part. Each part goes up with its checksum, which S3 verifies.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from airflow_provider_capella.transfer.checksums import encode
from airflow_provider_capella.transfer.errors import IntegrityError

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.planner import ByteRange
    from airflow_provider_capella.transfer.s3 import S3MultipartSink

log = logging.getLogger(__name__)

CHECKSUM_REFUSALS = ("BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "InvalidChecksum")
SEND_ATTEMPTS = 3


def upload_part(sink: S3MultipartSink, upload_id: str, number: int, body: bytearray, crc: int) -> str:
    """Send one part with its CRC; a part S3 refuses as corrupted in transit is sent again. Returns its ETag.

    The buffer still holds the bytes the CRC was computed over, so a refusal means the copy on the wire
    was damaged; after :data:`SEND_ATTEMPTS` refusals the file fails (and its upload is aborted).
    """
    from botocore.exceptions import ClientError  # lazy: botocore is loaded only for S3 destinations

    checksum = {sink.crc.parameter: encode(crc)}
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            response = sink.client.upload_part(
                Bucket=sink.bucket, Key=sink.key, UploadId=upload_id, PartNumber=number, Body=body, **checksum
            )
            return str(response["ETag"])
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code not in CHECKSUM_REFUSALS:
                raise
            if attempt < SEND_ATTEMPTS:
                what = f"part {number}: its bytes did not match their {sink.crc.name} ({code})"
                log.warning(
                    "%s: S3 refused %s; sending it again (attempt %d)", sink.location, what, attempt + 1
                )
    raise IntegrityError(
        f"{sink.location}: S3 refused part {number} {SEND_ATTEMPTS} times: its bytes arrived damaged"
    )


class PartWriter:
    """Fills one part buffer at a time, CRC included, uploading it when full; a range may span parts."""

    def __init__(self, sink: S3MultipartSink, parts: list[ByteRange]) -> None:
        self._sink = sink
        self._parts = parts
        self._current = 0
        self._buffer: bytearray | None = None
        self._filled = 0
        self._crc = 0
        self.written = 0

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            target = self.buffer_for(len(view))
            if target is None:
                raise ValueError(f"{self._sink.location}: more bytes than the range holds")
            count = len(target)
            target[:] = view[:count]
            self.received(count)
            view = view[count:]

    def buffer_for(self, amount: int) -> memoryview | None:
        """Where the next ``amount`` bytes can be received in place (no copy), when they fit one part."""
        if self._current >= len(self._parts):
            return None
        part = self._parts[self._current]
        if self._buffer is None:
            self._buffer = self._sink.new_buffer(part.length)
            self._filled = self._crc = 0
        return memoryview(self._buffer)[self._filled : self._filled + min(part.length - self._filled, amount)]

    def received(self, count: int) -> None:
        """Take in the ``count`` bytes received into :meth:`buffer_for`'s view."""
        assert self._buffer is not None
        part = self._parts[self._current]
        self._crc = self._sink.crc.update(
            memoryview(self._buffer)[self._filled : self._filled + count], self._crc
        )
        self._filled += count
        self.written += count
        if self._filled == part.length:
            self._flush(part)

    def close(self) -> None:
        if self._current < len(self._parts) and self._parts[self._current].length == 0:
            self._buffer = bytearray()
            self._flush(self._parts[self._current])

    def discard(self) -> None:
        self._buffer = None

    def _flush(self, part: ByteRange) -> None:
        body, self._buffer = self._buffer if self._buffer is not None else bytearray(), None
        self._sink.store_part(part, body, self._crc)
        self._current += 1


class PartUploads:
    """A bounded pool of upload threads shared by every S3 object of a download call, recycling buffers."""

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
