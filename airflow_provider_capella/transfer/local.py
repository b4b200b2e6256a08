"""A local file written under a temporary name beside the target and renamed into place on success.

Parallel parts are written at their offsets into ``<name>.part``. For a multi-part file a small JSON
record ``<name>.part.json`` lists the object's size, its validator (ETag) and the parts already written,
so a crash or an Airflow retry continues from there instead of starting over.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from airflow_provider_capella.transfer.errors import CapellaDownloadError
from airflow_provider_capella.transfer.planner import ByteRange, ResumeState, SourceVersion

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.digests import FileDigest

log = logging.getLogger(__name__)

STATE_VERSION = 1


class LocalFileSink:
    """Writes one local file atomically, resumable across runs."""

    def __init__(self, path: str, digest: Callable[[], FileDigest | None] | None = None) -> None:
        self.location = self.path = path
        self.temp_path = path + ".part"
        self.state_path = path + ".part.json"
        self._digest_source = digest
        self._digest: FileDigest | None = None
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._state: ResumeState | None = None
        self._size = 0

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
        self._digest = self._digest_source() if self._digest_source is not None else None
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
        if self._fd is None:
            raise RuntimeError("begin() first")
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
                raise CapellaDownloadError(
                    f"{self.path}: wrote {actual} bytes, expected {self._size}; discarded"
                )
            if self._digest is not None:
                self._digest.verify_file(self.temp_path, self.path)
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
        record = {
            "version": STATE_VERSION,
            "size": self._state.size,
            "validator": self._state.validator,
            "ranges": [[byte_range.start, byte_range.end] for byte_range in self._state.ranges],
            "done": sorted(self._state.done),
        }
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
