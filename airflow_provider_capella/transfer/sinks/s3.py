"""An S3 object written with a multipart upload, parts streamed from memory (no local staging).

Each range being fetched fills one part buffer; a full buffer is handed to :class:`PartUploads` (when
given) and uploaded while its connection fetches the next part. So at most ``concurrency`` buffers are
being filled and ``max_pending`` are being uploaded: memory is bounded by ``part_size`` times those. A
file of a single part is written with one ``PutObject``. On failure the multipart upload is aborted, so
nothing is left behind; the object appears only when ``CompleteMultipartUpload`` succeeds.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, wait
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer.errors import CapellaDownloadError
from airflow_provider_capella.transfer.planner import ByteRange, plan_ranges
from airflow_provider_capella.transfer.sinks.base import ResumeState
from airflow_provider_capella.transfer.targets import S3Target

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.sinks.uploads import PartUploads

log = logging.getLogger(__name__)

ABORT_ATTEMPTS = 3


class S3MultipartSink:
    """Streams one object into S3.

    Example::

        sink = S3MultipartSink(s3_client, S3Target("bucket", "capella/x.tif"), part_size=8 * 1024 * 1024)
        sink.begin(size, ranges, validator=None, resume=None)
        ...
        sink.commit()
    """

    def __init__(
        self,
        client: Any,
        target: S3Target,
        *,
        part_size: int,
        media_type: str | None = None,
        uploads: PartUploads | None = None,
    ) -> None:
        self.location = str(target)
        self._client = client
        self._bucket = target.bucket
        self._key = target.key
        self._part_size = part_size
        self._media_type = media_type
        self._size = 0
        self._parts: list[ByteRange] = []
        self._upload_id: str | None = None
        self._etags: dict[int, str] = {}
        self._single_body: bytearray | None = None
        self._lock = threading.Lock()
        self._uploads = uploads
        self._pending: list[Future[None]] = []

    def existing_size(self) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self._client.head_object(Bucket=self._bucket, Key=self._key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def resume_state(self) -> ResumeState | None:
        return None

    def discard_resume(self) -> None:
        return None

    def begin(
        self, size: int, ranges: list[ByteRange], validator: str | None, resume: ResumeState | None
    ) -> None:
        self._size = size
        self._parts = ranges if len(ranges) > 1 else plan_ranges(size, self._part_size)
        if len(self._parts) > 1:
            extra = {"ContentType": self._media_type} if self._media_type else {}
            created = self._client.create_multipart_upload(Bucket=self._bucket, Key=self._key, **extra)
            self._upload_id = created["UploadId"]

    def writer(self, byte_range: ByteRange) -> _PartWriter:
        covered = [
            part for part in self._parts if byte_range.start <= part.start and part.end <= byte_range.end
        ]
        return _PartWriter(self, covered)

    def store_part(self, part: ByteRange, body: bytearray) -> None:
        """Upload a full part: in the background when there is an upload pool, else right away."""
        if self._upload_id is None:
            self._single_body = body
            return
        if self._uploads is None:
            self._upload_part(self._upload_id, part, body)
            return
        self._raise_failed_upload()
        upload_id, uploads = self._upload_id, self._uploads

        def upload() -> None:
            try:
                self._upload_part(upload_id, part, body)
            finally:
                uploads.give_back(body)

        future = uploads.submit(upload)
        with self._lock:
            self._pending.append(future)

    def new_buffer(self, size: int) -> bytearray:
        """A buffer for one part (recycled through the upload pool, which gets it back after the upload)."""
        if self._uploads is None or self._upload_id is None:
            return bytearray(size)
        return self._uploads.take_buffer(size)

    def _upload_part(self, upload_id: str, part: ByteRange, body: bytearray) -> None:
        response = self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=upload_id, PartNumber=part.index + 1, Body=body
        )
        with self._lock:
            self._etags[part.index] = response["ETag"]

    def _raise_failed_upload(self) -> None:
        with self._lock:
            finished = [future for future in self._pending if future.done() and not future.cancelled()]
        for future in finished:
            error = future.exception()
            if error is not None:
                raise error

    def _settle_uploads(self, *, cancel: bool) -> None:
        """Wait for every background upload of this object (cancelling queued ones if ``cancel``)."""
        with self._lock:
            pending, self._pending = self._pending, []
        if cancel:
            for future in pending:
                future.cancel()
        wait(pending)
        if not cancel:
            for future in pending:
                error = future.exception()
                if error is not None:
                    raise error

    def commit(self) -> None:
        self._settle_uploads(cancel=False)
        if self._upload_id is None:
            self._put_single()
        else:
            self._complete()
        actual = self.existing_size()
        if actual != self._size:
            self._client.delete_object(Bucket=self._bucket, Key=self._key)
            raise CapellaDownloadError(
                f"{self.location}: stored {actual} bytes, expected {self._size}; deleted"
            )

    def abort(self, *, keep_resume: bool) -> None:
        self._settle_uploads(cancel=True)
        upload_id, self._upload_id = self._upload_id, None
        self._single_body = None
        if upload_id is None:
            return
        for attempt in range(1, ABORT_ATTEMPTS + 1):
            try:
                self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=upload_id)
                return
            except Exception as error:  # keep trying: an open upload costs the user storage
                log.warning(
                    "aborting the multipart upload of %s failed (attempt %d): %s",
                    self.location,
                    attempt,
                    error,
                )
        log.error(
            "could not abort multipart upload %s of %s; abort it or add a lifecycle rule",
            upload_id,
            self.location,
        )

    def _put_single(self) -> None:
        body = self._single_body if self._single_body is not None else bytearray()
        self._single_body = None
        if len(body) != self._size:
            raise CapellaDownloadError(f"{self.location}: received {len(body)} bytes, expected {self._size}")
        extra = {"ContentType": self._media_type} if self._media_type else {}
        self._client.put_object(Bucket=self._bucket, Key=self._key, Body=body, **extra)

    def _complete(self) -> None:
        missing = [part.index + 1 for part in self._parts if part.index not in self._etags]
        if missing:
            raise CapellaDownloadError(f"{self.location}: parts {missing[:5]} were never uploaded")
        parts = [{"PartNumber": part.index + 1, "ETag": self._etags[part.index]} for part in self._parts]
        self._client.complete_multipart_upload(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": parts}
        )
        self._upload_id = None


class _PartWriter:
    """Fills one preallocated part buffer at a time, uploading it when full; a range may span parts."""

    def __init__(self, sink: S3MultipartSink, parts: list[ByteRange]) -> None:
        self._sink = sink
        self._parts = parts
        self._current = 0
        self._buffer: bytearray | None = None
        self._filled = 0
        self.written = 0

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            part = self._parts[self._current]
            if self._buffer is None:
                self._buffer = self._sink.new_buffer(part.length)
                self._filled = 0
            count = min(part.length - self._filled, len(view))
            self._buffer[self._filled : self._filled + count] = view[:count]
            self._filled += count
            self.written += count
            view = view[count:]
            if self._filled == part.length:
                self._flush(part)

    def close(self) -> None:
        if self._current < len(self._parts) and self._parts[self._current].length == 0:
            self._flush(self._parts[self._current])

    def discard(self) -> None:
        self._buffer = None

    def _flush(self, part: ByteRange) -> None:
        body, self._buffer = self._buffer if self._buffer is not None else bytearray(), None
        self._sink.store_part(part, body)
        self._current += 1
