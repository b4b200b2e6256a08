"""An S3 object written as a checksummed, resumable multipart upload (see docs/transfer.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from functools import partial
from typing import TYPE_CHECKING

from airflow_provider_capella.transfer import s3_parts
from airflow_provider_capella.transfer.checksums import default_crc, encode
from airflow_provider_capella.transfer.errors import CapellaDownloadError, IntegrityError, log
from airflow_provider_capella.transfer.planner import (
    ByteRange,
    ResumeState,
    SourceVersion,
    effective_part_size,
    plan_ranges,
)

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.digests import FileDigest
    from airflow_provider_capella.transfer.sinks import SinkFactory
    from airflow_provider_capella.transfer.targets import S3Target


class S3MultipartSink:
    """Streams one object into S3: a checksummed multipart upload, or one ``PutObject`` for one part."""

    def __init__(self, factory: SinkFactory, target: S3Target, media_type: str | None) -> None:
        assert factory.uploads is not None, "the factory makes the uploads for its S3 targets"
        self.location, self.bucket, self.key, self.client = (
            str(target),
            target.bucket,
            target.key,
            factory.client,
        )
        self.connection_cap = factory.settings.s3_connection_cap()
        self._part_size, self._uploads = factory.settings.part_size, factory.uploads
        self._open_keys = partial(factory.keys_with_open_uploads, target.bucket)
        self.crc = default_crc()
        self.upload_id: str | None = None
        self._extra = {"ContentType": media_type} if media_type else {}
        self.digest: FileDigest | None = None
        self._size = 0
        self._parts: list[ByteRange] = []
        self._sent: dict[int, tuple[str, int]] = {}  # part index -> ETag and CRC of the parts uploaded
        self._single: tuple[bytearray, int] | None = None  # the body and CRC of a one-part object
        self._lock = threading.Lock()
        self._pending: list[Future[None]] = []

    def existing_size(self) -> int | None:
        """Size of the object already at the key, None without one."""
        from botocore.exceptions import ClientError  # lazy: botocore is loaded only for S3 destinations

        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=self.key)["ContentLength"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
        return None

    def resume_state(self, source: Callable[[], SourceVersion]) -> ResumeState | None:
        """Adopt the upload an earlier try left for this source version; abort other versions' uploads."""
        if self.key not in self._open_keys():
            return None
        candidates = s3_parts.open_uploads_of(self.client, self.bucket, self.key, exact_key=True)
        if not candidates:
            return None
        version = source()
        part_size = effective_part_size(version.size, self._part_size)
        expected = s3_parts.manifest(version, part_size, self.crc)
        chosen = next((upload for upload in candidates if upload.matches(expected, self.crc)), None)
        for upload in candidates:
            if upload is not chosen:
                log.info("%s: aborting an upload left for another version of the source", self.location)
                s3_parts.abort_upload(self.client, self.bucket, self.key, upload.upload_id)
        if chosen is None:
            return None
        ranges = plan_ranges(version.size, part_size)
        trusted = chosen.trusted_parts({part.index + 1: part.length for part in ranges}, self.crc)
        unlisted = sum(self.crc.name not in part.checksums for part in chosen.parts.values())
        if unlisted:
            log.warning("%s: %d part(s) without a %s fetched again", self.location, unlisted, self.crc.name)
        done = {number - 1 for number in trusted}
        if len(done) == len(ranges):  # fetch one part again: its If-Match proves the version is unchanged
            done.discard(ranges[-1].index)
        self.upload_id = chosen.upload_id
        self._sent = {n - 1: (chosen.parts[n].etag, crc) for n, crc in trusted.items() if n - 1 in done}
        log.info("%s: resuming an earlier upload, %d of %d parts kept", self.location, len(done), len(ranges))
        return ResumeState(version.size, version.validator, ranges, done)

    def discard_resume(self) -> None:
        upload_id, self.upload_id = self.upload_id, None
        self._sent = {}
        if upload_id is not None:
            s3_parts.abort_upload(self.client, self.bucket, self.key, upload_id)

    def begin(self, source: SourceVersion, ranges: list[ByteRange], resume: ResumeState | None) -> None:
        self._size = source.size
        self._parts = ranges if len(ranges) > 1 else plan_ranges(source.size, self._part_size)
        if len(self._parts) == 1 or (resume is not None and self.upload_id is not None):
            return
        part_size = self._parts[0].length
        values = {
            "source": source.path,
            "size": source.size,
            "validator": (source.validator or "").strip('"'),
        }
        values["part-size"] = part_size  # the source version, ASCII only as S3 metadata must be
        metadata = {f"capella-{k}": str(v).encode("ascii", "replace").decode() for k, v in values.items()}
        self.upload_id = self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            ChecksumAlgorithm=self.crc.name,
            ChecksumType="FULL_OBJECT",
            Metadata=metadata,
            **self._extra,
        )["UploadId"]
        marker = bytearray(s3_parts.manifest(source, part_size, self.crc))
        s3_parts.upload_part(self, self.upload_id, s3_parts.MARKER_PART, marker, self.crc.of(marker))

    def writer(self, byte_range: ByteRange) -> s3_parts.PartWriter:
        inside = [
            part for part in self._parts if byte_range.start <= part.start and part.end <= byte_range.end
        ]
        return s3_parts.PartWriter(self, inside)

    def new_buffer(self, size: int) -> bytearray:
        """Give a buffer for one part (recycled by the upload pool, which gets it back after the upload)."""
        return bytearray(size) if self.upload_id is None else self._uploads.take_buffer(size)

    def store_part(self, part: ByteRange, body: bytearray, crc: int) -> None:
        """Upload a full part in the background (a one-part object is kept for one ``PutObject``)."""
        upload_id, uploads = self.upload_id, self._uploads
        if upload_id is None:
            self._single = (body, crc)
            return

        def upload() -> None:
            try:
                etag = s3_parts.upload_part(self, upload_id, part.index + 1, body, crc)
                with self._lock:
                    self._sent[part.index] = (etag, crc)
            finally:
                uploads.give_back(body)

        with self._lock:
            for future in self._pending:
                if future.done() and not future.cancelled():
                    future.result()  # raises the error of an upload that failed
        future = uploads.submit(upload)
        with self._lock:
            self._pending.append(future)

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
                future.result()  # raises the error of an upload that failed

    def commit(self) -> None:
        self._settle_uploads(cancel=False)
        multipart, crc = self.upload_id is not None, self.crc
        if multipart:
            missing = [part.index + 1 for part in self._parts if part.index not in self._sent]
            if missing:
                raise CapellaDownloadError(f"{self.location}: parts {missing[:5]} were never uploaded")
            whole = self._sent[self._parts[0].index][1]
            for part in self._parts[1:]:
                whole = crc.combine(whole, self._sent[part.index][1], part.length)
            parts = [{"PartNumber": p.index + 1, "ETag": self._sent[p.index][0]} for p in self._parts]
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": parts},
                ChecksumType="FULL_OBJECT",
                **{crc.parameter: encode(whole)},
            )
            self.upload_id = None
        else:
            body, whole = self._single if self._single is not None else (bytearray(), crc.of(b""))
            self._single = None
            if len(body) != self._size:
                raise CapellaDownloadError(f"{self.location}: received {len(body)} of {self._size} bytes")
            checksum = {crc.parameter: encode(whole)}
            self.client.put_object(Bucket=self.bucket, Key=self.key, Body=body, **checksum, **self._extra)
        try:  # read back the stored object's size, full-object CRC (when the server keeps one) and digest
            head = self.client.head_object(Bucket=self.bucket, Key=self.key, ChecksumMode="ENABLED")
            if int(head["ContentLength"]) != self._size:
                raise IntegrityError(f"{self.location}: stored {head['ContentLength']} of {self._size} bytes")
            stored = head.get(crc.parameter)
            kind = head.get("ChecksumType") or ("COMPOSITE" if multipart else "FULL_OBJECT")
            if stored is not None and kind != "FULL_OBJECT":
                log.info("%s: no full-object %s stored; each part was checked", self.location, crc.name)
            elif stored is not None and stored != encode(whole):
                raise IntegrityError(
                    f"{self.location}: S3 holds an object whose {crc.name} is {stored}, "
                    f"but the bytes received have {encode(whole)}; deleted"
                )
            if self.digest is not None:
                self.digest.verify_s3(self, whole)
        except BaseException:
            self.client.delete_object(Bucket=self.bucket, Key=self.key)
            raise
        try:  # the object is complete: abort older uploads of ours left on this key
            for upload in s3_parts.open_uploads_of(self.client, self.bucket, self.key, exact_key=True):
                s3_parts.abort_upload(self.client, self.bucket, self.key, upload.upload_id)
        except Exception as error:
            log.warning("%s: could not look for older uploads left on this key: %s", self.location, error)

    def abort(self, *, keep_resume: bool) -> None:
        self._settle_uploads(cancel=True)
        self._single = None
        if self.upload_id is not None and keep_resume:
            log.info("%s: the upload stays open with %d part(s) to resume", self.location, len(self._sent))
            self.upload_id = None
        self.discard_resume()
