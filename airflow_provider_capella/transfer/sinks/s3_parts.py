"""Filling part buffers (CRC computed on the way in) and sending a part with the checksum S3 verifies."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from airflow_provider_capella.transfer.checksums import encode
from airflow_provider_capella.transfer.errors import IntegrityError

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.planner import ByteRange
    from airflow_provider_capella.transfer.sinks.s3 import S3MultipartSink

log = logging.getLogger(__name__)

CHECKSUM_REFUSALS = ("BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "InvalidChecksum")
SEND_ATTEMPTS = 3


def upload_part(sink: S3MultipartSink, upload_id: str, number: int, body: bytearray, crc: int) -> str:
    """Send one part with its CRC; a part S3 refuses as corrupted in transit is sent again. Returns its ETag.

    The buffer still holds the bytes the CRC was computed over, so a refusal means the copy on the wire
    was damaged; after :data:`SEND_ATTEMPTS` refusals the file fails (and its upload is aborted).
    """
    from botocore.exceptions import ClientError

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
            if attempt == SEND_ATTEMPTS:
                break
            log.warning(
                "%s: S3 refused part %d: its bytes did not match their %s (%s); sending it again "
                "(attempt %d of %d)",
                sink.location,
                number,
                sink.crc.name,
                code,
                attempt + 1,
                SEND_ATTEMPTS,
            )
    raise IntegrityError(
        f"{sink.location}: S3 refused part {number} {SEND_ATTEMPTS} times: its bytes arrived damaged"
    )


class PartWriter:
    """Fills one part buffer at a time, CRC included, uploading it when full; a range may span parts.

    Example::

        writer = sink.writer(byte_range)
        writer.write(chunk)   # repeated until the range is complete
        writer.close()
    """

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
        update = self._sink.crc.update
        while view:
            part = self._parts[self._current]
            if self._buffer is None:
                self._buffer = self._sink.new_buffer(part.length)
                self._filled = self._crc = 0
            count = min(part.length - self._filled, len(view))
            piece = view[:count]
            self._buffer[self._filled : self._filled + count] = piece
            self._crc = update(piece, self._crc)
            self._filled += count
            self.written += count
            view = view[count:]
            if self._filled == part.length:
                self._flush(part)

    def buffer_for(self, amount: int) -> memoryview | None:
        """Where the next ``amount`` bytes can be received in place (no copy), when they fit one part."""
        if self._current >= len(self._parts):
            return None
        part = self._parts[self._current]
        if self._buffer is None:
            self._buffer = self._sink.new_buffer(part.length)
            self._filled = self._crc = 0
        room = part.length - self._filled
        return memoryview(self._buffer)[self._filled : self._filled + min(room, amount)]

    def received(self, count: int) -> None:
        """``count`` bytes were received into :meth:`buffer_for`'s view."""
        assert self._buffer is not None
        part = self._parts[self._current]
        piece = memoryview(self._buffer)[self._filled : self._filled + count]
        self._crc = self._sink.crc.update(piece, self._crc)
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
