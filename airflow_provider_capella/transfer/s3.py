"""An S3 object written with a multipart upload, parts streamed from memory, checksummed and resumable.

Each range being fetched fills one part buffer while its CRC is computed; a full buffer goes up with
that checksum (S3 refuses a part whose bytes do not match, and the part is sent again) through
:class:`PartUploads` while its connection fetches the next part. The upload is created with a
``FULL_OBJECT`` checksum type and completed with the CRC of the whole object, joined from the part CRCs,
so S3 checks the assembled object too. A file of a single part is one ``PutObject`` with its checksum.

An interrupted upload stays open for the next try, in this process or another one, which finds it
(:mod:`.s3_resume`), keeps the parts S3 verified and fetches the rest. An upload for another version
of the source is aborted. A completed object, or a failure that a retry cannot fix, leaves no upload
of ours open on the key.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, wait
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer.checksums import Crc, default_crc, encode
from airflow_provider_capella.transfer.errors import CapellaDownloadError, IntegrityError
from airflow_provider_capella.transfer.planner import (
    ByteRange,
    ResumeState,
    SourceVersion,
    effective_part_size,
    plan_ranges,
)
from airflow_provider_capella.transfer.s3_parts import PartUploads, PartWriter, upload_part
from airflow_provider_capella.transfer.s3_resume import (
    MARKER_PART,
    OpenUpload,
    abort_upload,
    manifest,
    open_uploads_of,
    trusted_parts,
    upload_metadata,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow_provider_capella.transfer.digests import FileDigest
    from airflow_provider_capella.transfer.targets import S3Target

log = logging.getLogger(__name__)


class S3MultipartSink:
    """Streams one object into S3.

    Example::

        sink = S3MultipartSink(s3_client, S3Target("bucket", "capella/x.tif"), part_size=8 * 1024 * 1024)
        sink.begin(SourceVersion("/x.tif", size, '"etag"'), ranges, resume=None)
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
        digest: Callable[[], FileDigest | None] | None = None,
        crc: Crc | None = None,
        open_keys: Callable[[], set[str]] | None = None,
    ) -> None:
        self.location = str(target)
        self.connection_cap: int | None = None
        self.client = client
        self.bucket = target.bucket
        self.key = target.key
        self.crc = crc or default_crc()
        self._part_size = part_size
        self._media_type = media_type
        self._digest_source = digest
        self._digest: FileDigest | None = None
        self._open_keys = open_keys
        self._size = 0
        self._existing: int | None = None
        self._existing_known = False
        self._parts: list[ByteRange] = []
        self.upload_id: str | None = None
        self._etags: dict[int, str] = {}
        self._crcs: dict[int, int] = {}
        self._single: tuple[bytearray, int] | None = None
        self._lock = threading.Lock()
        self._uploads = uploads
        self._pending: list[Future[None]] = []

    # --- what is already there ---------------------------------------------------------------------------
    def existing_size(self) -> int | None:
        """Size of the object already at the key, None without one (asked once: the answer is kept)."""
        if self._existing_known:
            return self._existing
        from botocore.exceptions import ClientError  # lazy: botocore is loaded only for S3 destinations

        try:
            self._existing = int(self.client.head_object(Bucket=self.bucket, Key=self.key)["ContentLength"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            self._existing = None
        self._existing_known = True
        return self._existing

    def resume_state(self, source: Callable[[], SourceVersion]) -> ResumeState | None:
        """Adopt the upload an earlier try left for this source version; abort other versions' uploads."""
        if self._open_keys is not None and self.key not in self._open_keys():
            return None
        candidates = open_uploads_of(self.client, self.bucket, self.key, exact_key=True)
        if not candidates:
            return None
        version = source()
        part_size = effective_part_size(version.size, self._part_size)
        expected = manifest(version, part_size, self.crc)
        chosen: OpenUpload | None = None
        for upload in candidates:
            if chosen is None and upload.matches(expected, self.crc):
                chosen = upload
            else:
                log.info("%s: aborting an upload left for another version of the source", self.location)
                abort_upload(self.client, self.bucket, self.key, upload.upload_id)
        if chosen is None:
            return None
        ranges = plan_ranges(version.size, part_size)
        trusted = trusted_parts(chosen, {part.index + 1: part.length for part in ranges}, self.crc)
        unlisted = [part for part in chosen.parts.values() if self.crc.name not in part.checksums]
        if unlisted:
            log.warning(
                "%s: S3 lists no %s for %d part(s) already uploaded; not verifiable, they are fetched again",
                self.location,
                self.crc.name,
                len(unlisted),
            )
        done = {number - 1 for number in trusted}
        if len(done) == len(ranges):
            done.discard(
                ranges[-1].index
            )  # fetch one part again: its If-Range proves the version is unchanged
        self.upload_id = chosen.upload_id
        self._etags = {number - 1: chosen.parts[number].etag for number in trusted if number - 1 in done}
        self._crcs = {number - 1: value for number, value in trusted.items() if number - 1 in done}
        log.info(
            "%s: resuming the multipart upload an earlier try left: %d of %d parts verified by S3 are kept",
            self.location,
            len(done),
            len(ranges),
        )
        return ResumeState(version.size, version.validator, ranges, done)

    def discard_resume(self) -> None:
        upload_id, self.upload_id = self.upload_id, None
        self._etags, self._crcs = {}, {}
        if upload_id is not None:
            abort_upload(self.client, self.bucket, self.key, upload_id)

    # --- writing -----------------------------------------------------------------------------------------
    def begin(self, source: SourceVersion, ranges: list[ByteRange], resume: ResumeState | None) -> None:
        self._digest = self._digest_source() if self._digest_source is not None else None
        self._size = source.size
        self._parts = ranges if len(ranges) > 1 else plan_ranges(source.size, self._part_size)
        if resume is not None and self.upload_id is not None:
            return
        if len(self._parts) > 1:
            part_size = self._parts[0].length
            created = self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                ChecksumAlgorithm=self.crc.name,
                ChecksumType="FULL_OBJECT",
                Metadata=upload_metadata(source, part_size),
                **self._content_type(),
            )
            self.upload_id = created["UploadId"]
            marker = manifest(source, part_size, self.crc)
            upload_part(self, self.upload_id, MARKER_PART, bytearray(marker), self.crc.of(marker))

    def writer(self, byte_range: ByteRange) -> PartWriter:
        covered = [
            part for part in self._parts if byte_range.start <= part.start and part.end <= byte_range.end
        ]
        return PartWriter(self, covered)

    def new_buffer(self, size: int) -> bytearray:
        """Give a buffer for one part (recycled by the upload pool, which gets it back after the upload)."""
        if self._uploads is None or self.upload_id is None:
            return bytearray(size)
        return self._uploads.take_buffer(size)

    def store_part(self, part: ByteRange, body: bytearray, crc: int) -> None:
        """Upload a full part: in the background when there is an upload pool, else right away."""
        if self.upload_id is None:
            self._single = (body, crc)
            return
        if self._uploads is None:
            self._record(part, upload_part(self, self.upload_id, part.index + 1, body, crc), crc)
            return
        self._raise_failed_upload()
        upload_id, uploads = self.upload_id, self._uploads

        def upload() -> None:
            try:
                self._record(part, upload_part(self, upload_id, part.index + 1, body, crc), crc)
            finally:
                uploads.give_back(body)

        future = uploads.submit(upload)
        with self._lock:
            self._pending.append(future)

    def _record(self, part: ByteRange, etag: str, crc: int) -> None:
        with self._lock:
            self._etags[part.index] = etag
            self._crcs[part.index] = crc

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

    # --- the end -----------------------------------------------------------------------------------------
    def commit(self) -> None:
        self._settle_uploads(cancel=False)
        multipart = self.upload_id is not None
        whole = self._complete() if multipart else self._put_single()
        try:
            self._verify(whole, multipart=multipart)
        except BaseException:
            self.client.delete_object(Bucket=self.bucket, Key=self.key)
            raise
        self._sweep_other_uploads()

    def abort(self, *, keep_resume: bool) -> None:
        self._settle_uploads(cancel=True)
        self._single = None
        if self.upload_id is None:
            return
        if keep_resume:
            log.info(
                "%s: the multipart upload stays open with %d verified part(s); the next try resumes it",
                self.location,
                len(self._etags),
            )
            self.upload_id = None
            return
        self.discard_resume()

    def _content_type(self) -> dict[str, str]:
        return {"ContentType": self._media_type} if self._media_type else {}

    def _put_single(self) -> int:
        body, crc = self._single if self._single is not None else (bytearray(), self.crc.of(b""))
        self._single = None
        if len(body) != self._size:
            raise CapellaDownloadError(f"{self.location}: received {len(body)} bytes, expected {self._size}")
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.key,
            Body=body,
            **{self.crc.parameter: encode(crc)},
            **self._content_type(),
        )
        return crc

    def _complete(self) -> int:
        missing = [part.index + 1 for part in self._parts if part.index not in self._etags]
        if missing:
            raise CapellaDownloadError(f"{self.location}: parts {missing[:5]} were never uploaded")
        whole = self._crcs[self._parts[0].index]
        for part in self._parts[1:]:
            whole = self.crc.combine(whole, self._crcs[part.index], part.length)
        parts = [{"PartNumber": part.index + 1, "ETag": self._etags[part.index]} for part in self._parts]
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": parts},
            ChecksumType="FULL_OBJECT",
            **{self.crc.parameter: encode(whole)},
        )
        self.upload_id = None
        return whole

    def _verify(self, whole: int, *, multipart: bool) -> None:
        """Check the stored object has the size, full-object CRC (and digest, if any) received.

        A multipart object's checksum is compared only when the server says it is a full-object one:
        S3-compatible servers without full-object checksums (older MinIO or moto releases, for example)
        store a checksum of the part checksums, which no byte count can be compared with.
        """
        head = self.client.head_object(Bucket=self.bucket, Key=self.key, ChecksumMode="ENABLED")
        if int(head["ContentLength"]) != self._size:
            raise IntegrityError(
                f"{self.location}: stored {head['ContentLength']} bytes, expected {self._size}; deleted"
            )
        stored = head.get(self.crc.parameter)
        kind = head.get("ChecksumType") or ("COMPOSITE" if multipart else "FULL_OBJECT")
        if stored is not None and kind != "FULL_OBJECT":
            log.info(
                "%s: the S3 server keeps no full-object %s; each part was checked",
                self.location,
                self.crc.name,
            )
        if stored is not None and kind == "FULL_OBJECT" and stored != encode(whole):
            raise IntegrityError(
                f"{self.location}: S3 holds an object whose {self.crc.name} is {stored}, "
                f"but the bytes received have {encode(whole)}; deleted"
            )
        if self._digest is not None:
            self._digest.verify_s3(self, whole)

    def _sweep_other_uploads(self) -> None:
        """Abort older uploads of ours left on this key: the object is complete."""
        try:
            for upload in open_uploads_of(self.client, self.bucket, self.key, exact_key=True):
                abort_upload(self.client, self.bucket, self.key, upload.upload_id)
        except Exception as error:
            log.warning("%s: could not look for older uploads left on this key: %s", self.location, error)
