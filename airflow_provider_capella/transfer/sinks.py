"""Where downloaded bytes go: a local file, or an S3 object as a checksummed, resumable multipart upload."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer import planner, s3_parts
from airflow_provider_capella.transfer.errors import CapellaDownloadError, IntegrityError, log
from airflow_provider_capella.transfer.planner import ByteRange, ResumeState, SourceVersion
from airflow_provider_capella.transfer.s3client import s3_client
from airflow_provider_capella.transfer.settings import TransferSettings
from airflow_provider_capella.transfer.targets import S3Target, Target

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.digests import FileDigest


STATE_VERSION = 1


class LocalFileSink:
    """Writes one local file atomically (``<name>.part``, renamed), resumable across runs (``.part.json``)."""

    def __init__(self, path: str) -> None:
        self.location = self.path = path
        self.temp_path, self.state_path = path + ".part", path + ".part.json"
        self.digest: FileDigest | None = None
        self._fd: int | None = None
        self._state: ResumeState | None = None
        self._lock, self._size = threading.Lock(), 0

    def existing_size(self) -> int | None:
        return os.path.getsize(self.path) if os.path.isfile(self.path) else None

    def resume_state(self, source: Callable[[], SourceVersion]) -> ResumeState | None:
        try:
            with open(self.state_path, encoding="utf-8") as handle:
                record = json.load(handle)
            if record.get("version") != STATE_VERSION:
                return None
            ranges = [ByteRange(index, start, end) for index, (start, end) in enumerate(record["ranges"])]
            state = ResumeState(int(record["size"]), record.get("validator"), ranges, set(record["done"]))
            if os.path.getsize(self.temp_path) != state.size or not state.missing:
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return state

    def discard_resume(self) -> None:
        for leftover in (self.state_path, self.temp_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(leftover)

    def begin(self, source: SourceVersion, ranges: list[ByteRange], resume: ResumeState | None) -> None:
        self._size = source.size
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        if resume is not None:
            self._fd, self._state = os.open(self.temp_path, os.O_RDWR), resume
            return
        self.discard_resume()
        self._fd = os.open(self.temp_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        os.ftruncate(self._fd, source.size)
        if len(ranges) > 1:
            self._state = ResumeState(source.size, source.validator, ranges)
            self._save_state()

    def writer(self, byte_range: ByteRange) -> _FileRangeWriter:
        assert self._fd is not None, "begin() first"
        return _FileRangeWriter(self, self._fd, byte_range)

    def mark_done(self, byte_range: ByteRange) -> None:
        if self._state is not None:
            with self._lock:
                self._state.done.add(byte_range.index)
                self._save_state()

    def commit(self) -> None:
        self._close()
        actual = os.path.getsize(self.temp_path)
        try:
            if actual != self._size:
                raise CapellaDownloadError(f"{self.path}: wrote {actual} of {self._size} bytes; discarded")
            if self.digest is not None:
                self.digest.verify_file(self.temp_path, self.path)
        except BaseException:
            self.discard_resume()
            raise
        os.replace(self.temp_path, self.path)
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.state_path)

    def abort(self, *, keep_resume: bool) -> None:
        self._close()
        if keep_resume and self._state is not None and self._state.done:
            done, total = len(self._state.done), len(self._state.ranges)
            log.info("kept %d of %d parts of %s to resume later", done, total, self.path)
        else:
            self.discard_resume()

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _save_state(self) -> None:
        state, scratch = self._state, self.state_path + ".tmp"
        assert state is not None
        record: dict[str, Any] = dict(version=STATE_VERSION, size=state.size, validator=state.validator)
        record.update(ranges=[[part.start, part.end] for part in state.ranges], done=sorted(state.done))
        with open(scratch, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(scratch, self.state_path)


class _FileRangeWriter:
    """Writes one range at its offset (``os.pwrite``: parts are written concurrently into one file)."""

    def __init__(self, sink: LocalFileSink, fd: int, byte_range: ByteRange) -> None:
        self._sink, self._fd, self._range = sink, fd, byte_range
        self.written = 0

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            count = os.pwrite(self._fd, view, self._range.start + self.written)
            self.written += count
            view = view[count:]

    def close(self) -> None:
        self._sink.mark_done(self._range)

    def discard(self) -> None:
        return None


class S3MultipartSink:
    """Streams one object into S3: a checksummed multipart upload, or one ``PutObject`` for one part."""

    def __init__(self, factory: SinkFactory, target: S3Target, media_type: str | None) -> None:
        assert factory.uploads is not None, "the factory makes the uploads for its S3 targets"
        self.location, self.bucket, self.key = str(target), target.bucket, target.key
        self.client, self.connection_cap = factory.client, factory.settings.s3_connection_cap()
        self._part_size, self._uploads = factory.settings.part_size, factory.uploads
        self._open_keys = partial(factory.keys_with_open_uploads, target.bucket)
        self.crc = s3_parts.default_crc()
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
        part_size = planner.effective_part_size(version.size, self._part_size)
        expected = s3_parts.manifest(version, part_size, self.crc)
        chosen = next((upload for upload in candidates if upload.matches(expected, self.crc)), None)
        for upload in candidates:
            if upload is not chosen:
                log.info("%s: aborting an upload left for another version of the source", self.location)
                s3_parts.abort_upload(self.client, self.bucket, self.key, upload.upload_id)
        if chosen is None:
            return None
        ranges = planner.plan_ranges(version.size, part_size)
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
        self._parts = ranges if len(ranges) > 1 else planner.plan_ranges(source.size, self._part_size)
        if len(self._parts) == 1 or (resume is not None and self.upload_id is not None):
            return
        part_size = self._parts[0].length
        validator = (source.validator or "").strip('"')  # the source version, in ASCII as S3 metadata must be
        values = {"source": source.path, "size": source.size, "validator": validator, "part-size": part_size}
        metadata = {f"capella-{k}": str(v).encode("ascii", "replace").decode() for k, v in values.items()}
        options = dict(ChecksumAlgorithm=self.crc.name, ChecksumType="FULL_OBJECT", Metadata=metadata)
        options.update(Bucket=self.bucket, Key=self.key, **self._extra)
        self.upload_id = self.client.create_multipart_upload(**options)["UploadId"]
        marker = bytearray(s3_parts.manifest(source, part_size, self.crc))
        s3_parts.upload_part(self, self.upload_id, s3_parts.MARKER_PART, marker, self.crc.of(marker))

    def writer(self, byte_range: ByteRange) -> s3_parts.PartWriter:
        first, end = byte_range.start, byte_range.end
        return s3_parts.PartWriter(self, [p for p in self._parts if first <= p.start and p.end <= end])

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
            options = {"UploadId": self.upload_id, "MultipartUpload": {"Parts": parts}}
            options.update({"ChecksumType": "FULL_OBJECT", crc.parameter: s3_parts.encode(whole)})
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=self.key, **options)
            self.upload_id = None
        else:
            body, whole = self._single if self._single is not None else (bytearray(), crc.of(b""))
            self._single = None
            if len(body) != self._size:
                raise CapellaDownloadError(f"{self.location}: received {len(body)} of {self._size} bytes")
            checksum = {crc.parameter: s3_parts.encode(whole)}
            self.client.put_object(Bucket=self.bucket, Key=self.key, Body=body, **checksum, **self._extra)
        try:  # read back the stored object's size, full-object CRC (when the server keeps one) and digest
            head = self.client.head_object(Bucket=self.bucket, Key=self.key, ChecksumMode="ENABLED")
            if int(head["ContentLength"]) != self._size:
                raise IntegrityError(f"{self.location}: stored {head['ContentLength']} of {self._size} bytes")
            stored = head.get(crc.parameter)
            kind = head.get("ChecksumType") or ("COMPOSITE" if multipart else "FULL_OBJECT")
            if stored is not None and kind != "FULL_OBJECT":
                log.info("%s: no full-object %s stored; each part was checked", self.location, crc.name)
            elif stored is not None and stored != s3_parts.encode(whole):
                raise IntegrityError(
                    f"{self.location}: S3 holds an object whose {crc.name} is {stored}, "
                    f"but the bytes received have {s3_parts.encode(whole)}; deleted"
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


class SinkFactory:
    """``factory(target, media_type)`` gives the sink for one of the call's targets; then ``close()``."""

    def __init__(self, settings: TransferSettings, aws_conn_id: str | None, targets: list[Target]) -> None:
        """Make the S3 client now if a target needs one: a bad ``aws_conn_id`` fails before any download."""
        self.settings, self._lock = settings, threading.Lock()
        self._open_keys: dict[str, set[str]] = {}
        self.uploads: s3_parts.PartUploads | None = None
        keys: dict[str, list[str]] = {}
        for target in targets:
            if isinstance(target, S3Target):
                keys.setdefault(target.bucket, []).append(target.key)
        # an S3 prefix is a plain string prefix: character by character is what is wanted
        self._prefixes = {bucket: os.path.commonprefix(names) for bucket, names in keys.items()}  # noqa: RUF071
        if keys:
            connections = settings.s3_connection_cap()
            pending = max(1, connections // 2) if settings.adaptive else settings.concurrency
            self.client = s3_client(aws_conn_id, max_pool_connections=connections + pending + 2)
            self.uploads = s3_parts.PartUploads(threads=pending, max_pending=pending)

    def __call__(self, target: Target, media_type: str | None = None) -> Sink:
        return LocalFileSink(target) if isinstance(target, str) else S3MultipartSink(self, target, media_type)

    def keys_with_open_uploads(self, bucket: str) -> set[str]:
        """Keys of the call's bucket with an open multipart upload: one listing per call, not one per file."""
        with self._lock:
            if bucket not in self._open_keys:
                uploads = s3_parts.list_uploads(self.client, bucket, self._prefixes.get(bucket, ""))
                self._open_keys[bucket] = {entry["Key"] for entry in uploads}
            return self._open_keys[bucket]

    def close(self) -> None:
        if self.uploads is not None:
            self.uploads.shutdown()


# every sink: existing_size, resume_state, begin, a writer per range, then commit or abort
Sink = LocalFileSink | S3MultipartSink
RangeWriter = _FileRangeWriter | s3_parts.PartWriter
