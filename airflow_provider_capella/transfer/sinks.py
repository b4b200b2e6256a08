"""Where downloaded bytes go: a local file (here) or an S3 object (:mod:`.s3`), and the sink factory."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer.errors import CapellaDownloadError, log
from airflow_provider_capella.transfer.planner import ByteRange, ResumeState, SourceVersion
from airflow_provider_capella.transfer.s3 import S3MultipartSink
from airflow_provider_capella.transfer.s3_parts import PartUploads, PartWriter, list_uploads
from airflow_provider_capella.transfer.s3client import s3_client
from airflow_provider_capella.transfer.settings import TransferSettings
from airflow_provider_capella.transfer.targets import LocalTarget, Target

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.digests import FileDigest


STATE_VERSION = 1


class LocalFileSink:
    """Writes one local file atomically (``<name>.part``, renamed), resumable across runs (``.part.json``).

    Every sink: ``existing_size``, ``resume_state``, ``begin``, a ``writer`` per range, then ``commit``
    (verify, make it appear) or ``abort`` (leaving only what a resume needs, if ``keep_resume``).
    """

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
        fd = self._close()
        actual = os.path.getsize(self.temp_path)
        try:
            if fd is None or actual != self._size:
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

    def _close(self) -> int | None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        return fd

    def _save_state(self) -> None:
        assert self._state is not None
        state, ranges = self._state, [[part.start, part.end] for part in self._state.ranges]
        record: dict[str, Any] = dict(version=STATE_VERSION, size=state.size, validator=state.validator)
        record.update(ranges=ranges, done=sorted(state.done))
        scratch = self.state_path + ".tmp"
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


class SinkFactory:
    """``factory(target, media_type)`` gives the sink for one of the call's targets; then ``close()``."""

    def __init__(self, settings: TransferSettings, aws_conn_id: str | None, targets: list[Target]) -> None:
        """Make the S3 client now if a target needs one: a bad ``aws_conn_id`` fails before any download."""
        self.settings, self._lock = settings, threading.Lock()
        self._open_keys: dict[str, set[str]] = {}
        self.uploads: PartUploads | None = None
        keys: dict[str, list[str]] = {}
        for target in targets:
            if not isinstance(target, LocalTarget):
                keys.setdefault(target.bucket, []).append(target.key)
        # an S3 prefix is a plain string prefix: character by character is what is wanted
        self._prefixes = {bucket: os.path.commonprefix(names) for bucket, names in keys.items()}  # noqa: RUF071
        if keys:
            connections = settings.s3_connection_cap()
            pending = max(1, connections // 2) if settings.adaptive else settings.concurrency
            self.client = s3_client(aws_conn_id, max_pool_connections=connections + pending + 2)
            self.uploads = PartUploads(threads=pending, max_pending=pending)

    def __call__(self, target: Target, media_type: str | None = None) -> Sink:
        """Make the sink for ``target`` (one of the call's targets)."""
        if isinstance(target, LocalTarget):
            return LocalFileSink(target.path)
        return S3MultipartSink(self, target, media_type)

    def keys_with_open_uploads(self, bucket: str) -> set[str]:
        """Keys of the call's bucket with an open multipart upload: one listing per call, not one per file."""
        with self._lock:
            if bucket not in self._open_keys:
                uploads = list_uploads(self.client, bucket, self._prefixes.get(bucket, ""))
                self._open_keys[bucket] = {entry["Key"] for entry in uploads}
            return self._open_keys[bucket]

    def close(self) -> None:
        """Stop the part upload threads."""
        if self.uploads is not None:
            self.uploads.shutdown()
            self.uploads = None


Sink = LocalFileSink | S3MultipartSink
RangeWriter = _FileRangeWriter | PartWriter
