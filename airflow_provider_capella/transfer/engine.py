"""One file's transfer: its byte ranges run as tasks of the call's shared pool (see docs/transfer.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from airflow_provider_capella.transfer import errors, source
from airflow_provider_capella.transfer.errors import log
from airflow_provider_capella.transfer.planner import ByteRange, ResumeState, SourceVersion, plan_ranges

if TYPE_CHECKING:
    import requests

    from airflow_provider_capella.transfer.batch import Batch, FileEntry
    from airflow_provider_capella.transfer.sinks import RangeWriter


def human_bytes(count: float) -> str:
    """Write a byte count in decimal units, as rates are quoted in MB/s: ``1.25 GB``."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.2f} {unit}"
        count /= 1000
    return f"{count:.2f} TB"


class FileTransfer:
    """One file moving from its presigned URL into its sink; its ranges run as tasks of the shared pool."""

    def __init__(self, index: int, entry: FileEntry, batch: Batch) -> None:
        self.index, self.batch, self.settings = index, batch, batch.settings
        self.ref, self.sink, self.label, self.digest = entry.ref, entry.sink, entry.label, entry.digest
        self.received = self.already = 0  # bytes received by this call, and kept from an earlier one
        self.started = self._last_log = time.monotonic()
        self.size, self.ranges_supported = 0, True
        self.validator: str | None = None
        self.verification: tuple[bool, str] | None = None  # checked against the product's digest, or why not
        self._lock, self._progress_lock, self._active = threading.Lock(), threading.Lock(), 0
        self._remaining: set[int] | None = None  # indexes of the ranges not written yet, once planned
        self.skipped = self._finished = False  # skipped: complete already
        self._error: BaseException | None = None

    def run(self, work: Callable[[], None]) -> None:
        """Run one task of this file (its start or a range); the last task to end finishes the file."""
        with self._lock:
            if self._finished:
                return
            self._active += 1
        try:
            work()
        except BaseException as error:
            with self._lock:
                first = self._error is None
                if first:
                    self._error = error
            if first and not isinstance(error, errors.TransferCancelled):
                self.batch.cancelled.set()
        finally:
            self._leave()

    def start(self) -> None:
        """Skip a complete file, or find what a previous run left, then send the lead request."""
        self._check_cancelled()
        resume = None
        where = self.sink.location
        if not self.batch.override:
            existing = self.sink.existing_size()
            if existing is not None:
                size = self.version(probe=True).size
                if size == existing:
                    log.info("%s is already complete (%s), skipped", where, human_bytes(size))
                    self.skipped = True
                    return
                log.warning("%s has %d bytes but the asset %d; downloading it again", where, existing, size)
            if self.batch.enable_resume:
                resume = self.sink.resume_state(partial(self.version, probe=True))
        found = self.digest() if self.digest is not None else None  # fetched before the file's first byte
        if isinstance(found, str):
            self.verification = (False, found)
        else:
            self.sink.digest = found
        self._lead(resume)

    def _lead(self, resume: ResumeState | None) -> None:
        first = resume.missing[0] if resume else ByteRange(0, 0, self.settings.part_size)
        attempts = self._attempts()
        try:
            headers = {"Range": first.header(), **source.pinned(resume.validator if resume else None)}
            response = self.batch.fetcher.get(self.ref, headers, attempts)
            try:
                pending, already = self._plan(response, first, resume)
            except BaseException:
                response.close()
                raise
        except errors.SourceChangedError:  # the partial download belongs to another version of the asset
            if resume is None:
                raise
            log.info("%s: the asset changed since the partial download; starting over", self.label)
            self.sink.discard_resume()
            self._lead(None)
            return
        with self._lock:
            self._remaining = {byte_range.index for byte_range in pending}
        self.already, self.started = already, time.monotonic()
        self._last_log = self.started
        if len(pending) > 1 or already:
            action = f"resuming at {human_bytes(already)} of" if already else "downloading"
            what = f"{self.label} ({human_bytes(self.size)})"
            log.info("%s %s to %s in %d part(s)", action, what, self.sink.location, len(pending))
        for byte_range in pending[1:]:
            task = partial(self.run, partial(self._complete_range, byte_range, None, None))
            self.batch.pool.submit((self.index, byte_range.index), task)
        self._complete_range(pending[0], attempts, response)

    def _plan(
        self, response: requests.Response, first: ByteRange, resume: ResumeState | None
    ) -> tuple[list[ByteRange], int]:
        """Learn size and validator from the lead answer, begin the sink; the ranges to fetch, bytes done."""
        status, total = response.status_code, source.total_size_of(response)
        if status != 206 and resume is not None:
            raise errors.SourceChangedError(self.label)  # Range was ignored: start afresh
        validator = source.validator_of(response) if status != 416 else None
        if status == 206:
            content_range = source.parse_content_range(response.headers.get("Content-Range"))
            if content_range is None or total is None or content_range[0] != first.start:
                raise errors.CapellaDownloadError(f"{self.label}: unexpected Content-Range from the server")
            if resume is not None:
                if total != resume.size or (resume.validator and validator not in (None, resume.validator)):
                    raise errors.SourceChangedError(self.label)
                self.size, self.validator = total, resume.validator
                self.sink.begin(self.version(), resume.ranges, resume)
                return resume.missing, resume.bytes_done
            ranges = plan_ranges(total, self.settings.part_size, first_end=content_range[1] + 1)
        elif status == 200:
            if total is None:
                raise errors.CapellaDownloadError(f"{self.label}: the server sent no Content-Length")
            log.info("%s: the server ignores Range requests; one connection downloads it", self.label)
            self.ranges_supported, ranges = False, [ByteRange(0, 0, total)]
        elif total == 0:  # 416 to bytes=0-...: an empty file (bytes */0)
            response.close()
            ranges = [ByteRange(0, 0, 0)]
        else:
            raise errors.CapellaDownloadError(f"{self.label}: the server refused the byte range (HTTP 416)")
        self.size, self.validator = ranges[-1].end, validator
        if self.sink.digest is not None and self.sink.digest.size not in (None, self.size):
            listed = f"the product's digest lists {self.sink.digest.size}"
            raise errors.IntegrityError(f"{self.label}: the server has {self.size} bytes; {listed}")
        self.sink.begin(self.version(), ranges, None)
        return ranges, 0

    def version(self, *, probe: bool = False) -> SourceVersion:
        """Describe the source: its URL's path, size and validator (as learnt, or asked now if ``probe``)."""
        known = self.batch.fetcher.probe(self.ref, self._attempts()) if probe else (self.size, self.validator)
        return SourceVersion(source.path_for_log(self.batch.urls.get(self.ref)[0]), *known)

    def _complete_range(
        self, byte_range: ByteRange, attempts: errors.Attempts | None, response: requests.Response | None
    ) -> None:
        """Stream ``byte_range`` into its writer, re-requesting from the last byte after every drop."""
        attempts = attempts or self._attempts()
        writer = self.sink.writer(byte_range)
        try:
            while writer.written < byte_range.length:
                skip = 0
                if response is None:
                    headers = {"Range": byte_range.header(writer.written), **source.pinned(self.validator)}
                    response = self.batch.fetcher.get(self.ref, headers, attempts)
                    skip = self._check_range_response(response, byte_range, writer.written)
                before = writer.written
                try:
                    with response:
                        self._receive(response, writer, byte_range.length, skip)
                except source.BodyDropped as drop:
                    if writer.written > before:
                        attempts.count = 0  # that attempt made progress: count again
                    got = f"{writer.written} of {byte_range.length} bytes"
                    attempts.failed(drop, f"connection dropped after {got} ({drop})")
                response = None
            writer.close()
        except BaseException:
            writer.discard()
            raise
        with self._lock:
            if self._remaining is not None:
                self._remaining.discard(byte_range.index)

    def _check_range_response(self, response: requests.Response, byte_range: ByteRange, offset: int) -> int:
        """How many leading body bytes to skip; raises when the response is not the bytes asked for."""
        status = response.status_code
        if status == 206:
            content_range = source.parse_content_range(response.headers.get("Content-Range"))
            start, total = (content_range[0], content_range[2]) if content_range else (None, None)
            if start == byte_range.start + offset and total in (None, self.size):
                return 0
        elif status == 200 and not self.ranges_supported and source.total_size_of(response) == self.size:
            return byte_range.start + offset
        response.close()
        raise errors.SourceChangedError(self.label, f"HTTP {status} for a byte range")

    def _receive(self, response: requests.Response, writer: RangeWriter, length: int, skip: int) -> None:
        reader = source.BodyReader(response)
        chunk = self.settings.chunk_size
        while skip:
            skip -= len(reader.read(min(chunk, skip)))
        in_place = getattr(writer, "buffer_for", None)
        while writer.written < length:
            self._check_cancelled()
            wanted = min(chunk, length - writer.written)
            target = in_place(wanted) if in_place is not None and reader.direct else None
            if target is not None:  # straight into the part buffer: no copy on the way to S3
                count = reader.read_into(target)
                writer.received(count)  # type: ignore[union-attr]
            else:
                data = reader.read(wanted)
                writer.write(data)
                count = len(data)
            self._progress(count)

    def _progress(self, count: int) -> None:
        """Count bytes received; log the file's progress at most every ``progress_interval`` seconds."""
        with self._progress_lock:
            self.received += count
            now = time.monotonic()
            if now - self._last_log < self.settings.progress_interval:
                return
            self._last_log = now
        done = self.already + self.received
        rate = self.received / max(now - self.started, 1e-9)
        percent = 100.0 * done / self.size if self.size else 100.0
        eta = "unknown"
        if rate > 0:
            minutes, seconds = divmod(max(0, round((self.size - done) / rate)), 60)
            eta = f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
        of = f"{human_bytes(done)} of {human_bytes(self.size)} ({percent:.1f}%)"
        log.info("%s: %s at %.1f MB/s, ETA %s", self.label, of, rate / 1e6, eta)

    def _attempts(self) -> errors.Attempts:
        return errors.Attempts(self.label, self.settings.max_attempts, self.batch.cancelled)

    def _check_cancelled(self) -> None:
        if self.batch.cancelled.is_set() or self._error is not None:
            raise errors.TransferCancelled()

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1
            done = self.skipped or self._remaining == set()
            if self._active or self._finished or (self._error is None and not done):
                return
            self._finished = True
        error = self._error
        if error is None and not self.skipped:
            try:
                self.sink.commit()
                if self.sink.digest is not None:
                    self.verification = (True, f"{self.sink.digest.algorithm} listed by the product's digest")
                seconds, size = time.monotonic() - self.started, human_bytes(self.size)
                rate = self.received / max(seconds, 1e-9) / 1e6
                log.info("saved %s (%s in %.1f s, %.1f MB/s)", self.sink.location, size, seconds, rate)
            except BaseException as commit_error:
                error = commit_error
        if error is not None:
            keep = self.batch.enable_resume and errors.worth_resuming(error)
            try:
                self.sink.abort(keep_resume=keep)
            except Exception:
                log.exception("cleaning up %s failed", self.sink.location)
        self.batch.finished(self, error)
