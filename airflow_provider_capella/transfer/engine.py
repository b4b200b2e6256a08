"""One file's transfer: its byte ranges fetched as tasks of the call's shared worker pool (see ``batch``).

A file starts with a *lead* request: a ranged GET for its first part (or, when resuming, the first
missing part, pinned with ``If-Range``). Its ``Content-Range`` tells the size, so the remaining parts are
queued at once while the lead streams on. A server that ignores ``Range`` (200 instead of 206) gets one
plain streaming GET instead. Every range retries on its own: drops, timeouts, 429 and 5xx back off and
continue from the last byte received; a 403 refreshes the presigned URLs once.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._http import Failure, RetryPolicy, Verdict, classify_failure
from airflow_provider_capella.transfer.errors import (
    CapellaDownloadError,
    SourceChangedError,
    TransferCancelled,
    worth_resuming,
)
from airflow_provider_capella.transfer.lead import StaleResume, plan_lead
from airflow_provider_capella.transfer.naming import path_for_log, redact
from airflow_provider_capella.transfer.planner import ByteRange
from airflow_provider_capella.transfer.progress import FileProgress, human_bytes, log
from airflow_provider_capella.transfer.sinks.base import SourceVersion
from airflow_provider_capella.transfer.source import (
    BodyDropped,
    BodyReader,
    parse_content_range,
    total_size_of,
    unsatisfiable_total,
    validator_of,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from airflow_provider_capella.transfer.batch import Batch, FileEntry
    from airflow_provider_capella.transfer.sinks.base import RangeWriter, ResumeState


class _Attempts:
    """Counts failed attempts of one range; waits (interruptibly) or gives up as the retry policy decides."""

    def __init__(self, label: str, policy: RetryPolicy, cancelled: threading.Event) -> None:
        self._label = label
        self._policy = policy
        self._cancelled = cancelled
        self.count = 0

    def failed(
        self, reason: str, *, failure: Failure = Failure.LOST, status: int | None = None, headers: Any = None
    ) -> None:
        self.count += 1
        decision = self._policy.decide(self.count, status=status, headers=headers, failure=failure)
        if decision.verdict is Verdict.FINAL:
            raise CapellaDownloadError(f"{self._label}: {reason}", status=status)
        if not decision.retry:
            raise CapellaDownloadError(f"{self._label}: giving up after {self.count} attempts ({reason})")
        log.warning(
            "%s: %s; retrying in %.1f s (attempt %d of %d)",
            self._label,
            reason,
            decision.wait,
            self.count + 1,
            self._policy.max_attempts,
        )
        if self._cancelled.wait(decision.wait):
            raise TransferCancelled()

    def reset(self) -> None:
        self.count = 0


class FileTransfer:
    """One file moving from its presigned URL into its sink; its ranges run as tasks of the shared pool."""

    def __init__(self, index: int, entry: FileEntry, batch: Batch) -> None:
        self.index = index
        self.ref = entry.ref
        self.sink = entry.sink
        self.label = entry.label
        self.batch = batch
        self.settings = batch.settings
        self.progress = FileProgress(entry.label, batch.settings.progress_interval)
        self.size = 0
        self.validator: str | None = None
        self.ranges_supported = True
        self._lock = threading.Lock()
        self._active = 0
        self._remaining: set[int] | None = None
        self._skipped = False
        self._finished = False
        self._error: BaseException | None = None

    # --- tasks -------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._run(self._start)

    def run_range(self, byte_range: ByteRange) -> None:
        self._run(partial(self._fetch_range, byte_range))

    def _run(self, work: Callable[[], None]) -> None:
        if not self._enter():
            return
        try:
            work()
        except BaseException as error:
            self._fail(error)
        finally:
            self._leave()

    # --- the lead request --------------------------------------------------------------------------------
    def _start(self) -> None:
        self._check_cancelled()
        if not self.batch.override:
            existing = self.sink.existing_size()
            if existing is not None:
                size = self._probe_size()
                if size == existing:
                    log.info("%s is already complete (%s), skipped", self.sink.location, human_bytes(size))
                    self._skipped = True
                    return
                log.warning(
                    "%s exists with %d bytes but the asset has %d; downloading it again",
                    self.sink.location,
                    existing,
                    size,
                )
        resume = None
        if self.batch.enable_resume and not self.batch.override:
            resume = self.sink.resume_state(self._source_version)
        self._lead(resume)

    def _lead(self, resume: ResumeState | None) -> None:
        first = resume.missing[0] if resume else ByteRange(0, 0, self.settings.part_size)
        headers = {"Range": first.header()}
        if resume and resume.validator:
            headers["If-Range"] = resume.validator
        attempts = self._attempts()
        response = self._request(headers, attempts)
        try:
            pending, already, first = plan_lead(self, response, first, resume)
        except StaleResume:
            log.info("%s: the asset changed since the partial download; starting over", self.label)
            self.sink.discard_resume()
            self._lead(None)
            return
        self._queue(pending, first, already)
        lead = next(byte_range for byte_range in pending if byte_range.start == first.start)
        self._complete_range(lead, self.sink.writer(lead), attempts, response)

    def _queue(self, pending: list[ByteRange], lead: ByteRange, already: int) -> None:
        with self._lock:
            self._remaining = {byte_range.index for byte_range in pending}
        self.progress.start(self.size, already)
        if len(pending) > 1 or already:
            action = f"resuming at {human_bytes(already)} of" if already else "downloading"
            log.info(
                "%s %s (%s) to %s in %d part(s)",
                action,
                self.label,
                human_bytes(self.size),
                self.sink.location,
                len(pending),
            )
        assert self.batch.pool is not None
        for byte_range in pending:
            if byte_range.start != lead.start:
                self.batch.pool.submit((self.index, byte_range.index), partial(self.run_range, byte_range))

    def _probe_size(self) -> int:
        return self._source_version().size

    def _source_version(self) -> SourceVersion:
        """Ask for the size and validator with a one-byte ranged GET (presigned URLs may refuse HEAD)."""
        response = self._request({"Range": "bytes=0-0"}, self._attempts())
        with response:
            if response.status_code == 416:
                size = unsatisfiable_total(response.headers.get("Content-Range"))
            else:
                size = total_size_of(response)
            validator = validator_of(response) if response.status_code in (200, 206) else None
        if size is None:
            raise CapellaDownloadError(f"{self.label}: the server reported no size")
        return SourceVersion(self._source_path(), size, validator)

    def version(self) -> SourceVersion:
        """Describe the source as learnt so far (path, size, validator)."""
        return SourceVersion(self._source_path(), self.size, self.validator)

    def _source_path(self) -> str:
        return path_for_log(self.batch.urls.get(self.ref)[0])

    # --- ranges --------------------------------------------------------------------------------------------
    def _fetch_range(self, byte_range: ByteRange) -> None:
        self._complete_range(byte_range, self.sink.writer(byte_range), self._attempts(), None)

    def _complete_range(
        self,
        byte_range: ByteRange,
        writer: RangeWriter,
        attempts: _Attempts,
        response: requests.Response | None,
    ) -> None:
        """Stream ``byte_range`` into ``writer``, re-requesting from the last byte after every drop."""
        try:
            while writer.written < byte_range.length:
                skip = 0
                if response is None:
                    response = self._request(self._range_headers(byte_range, writer.written), attempts)
                    skip = self._check_range_response(response, byte_range, writer.written)
                before = writer.written
                try:
                    with response:
                        self._receive(response, writer, byte_range.length, skip)
                except BodyDropped as drop:
                    if writer.written > before:
                        attempts.reset()
                    attempts.failed(
                        f"connection dropped after {writer.written} of {byte_range.length} bytes ({drop})"
                    )
                response = None
            writer.close()
        except BaseException:
            writer.discard()
            raise
        with self._lock:
            if self._remaining is not None:
                self._remaining.discard(byte_range.index)

    def _range_headers(self, byte_range: ByteRange, offset: int) -> dict[str, str]:
        headers = {"Range": byte_range.header(offset)}
        if self.validator and self.ranges_supported:
            headers["If-Range"] = self.validator
        return headers

    def _check_range_response(self, response: requests.Response, byte_range: ByteRange, offset: int) -> int:
        """How many leading body bytes to skip; raises when the response is not the bytes asked for."""
        status = response.status_code
        if status == 206:
            content_range = parse_content_range(response.headers.get("Content-Range"))
            expected_start = byte_range.start + offset
            if (
                content_range
                and content_range.start == expected_start
                and content_range.total in (None, self.size)
            ):
                return 0
        elif status == 200 and not self.ranges_supported and total_size_of(response) == self.size:
            return byte_range.start + offset
        response.close()
        raise SourceChangedError(
            f"{self.label}: the asset changed on the server during the download (HTTP {status} for a byte "
            "range); it will be downloaded from the start on the next run"
        )

    def _receive(self, response: requests.Response, writer: RangeWriter, length: int, skip: int) -> None:
        reader = BodyReader(response)
        chunk = self.settings.chunk_size
        while skip:
            skip -= len(reader.read(min(chunk, skip)))
        in_place = getattr(writer, "buffer_for", None)
        meter = self.batch.meter
        while writer.written < length:
            self._check_cancelled()
            wanted = min(chunk, length - writer.written)
            target = in_place(wanted) if in_place is not None and reader.direct else None
            if target is not None:  # straight into the part buffer: no copy on the way to S3
                count = reader.read_into(target)
                writer.received(count)  # type: ignore[attr-defined]
            else:
                data = reader.read(wanted)
                writer.write(data)
                count = len(data)
            self.progress.add(count)
            meter.add(count)

    # --- HTTP --------------------------------------------------------------------------------------------
    def _request(self, headers: dict[str, str], attempts: _Attempts) -> requests.Response:
        """Send a streamed GET until answered 200, 206 or 416; retry as the policy says, renew URLs on 403."""
        while True:
            self._check_cancelled()
            url, generation = self.batch.urls.get(self.ref)
            try:
                response = self.batch.session.get(
                    url, headers=headers, stream=True, timeout=self.settings.timeout
                )
            except Exception as error:
                failure = classify_failure(error)
                fatal = failure is Failure.FATAL
                attempts.failed(redact(str(error)) if fatal else type(error).__name__, failure=failure)
                continue
            status = response.status_code
            if status in (200, 206, 416):
                return response
            response.close()
            if status == 403:
                self.batch.urls.renew(self.ref, generation)
            else:
                if status in (429, 503):
                    self.batch.throttled()
                attempts.failed(f"HTTP {status}", status=status, headers=response.headers)

    def _attempts(self) -> _Attempts:
        policy = RetryPolicy(max_attempts=self.settings.max_attempts)
        return _Attempts(self.label, policy, self.batch.cancelled)

    # --- lifecycle -----------------------------------------------------------------------------------------
    def _check_cancelled(self) -> None:
        if self.batch.cancelled.is_set() or self._error is not None:
            raise TransferCancelled()

    def _enter(self) -> bool:
        with self._lock:
            if self._finished:
                return False
            self._active += 1
            return True

    def _fail(self, error: BaseException) -> None:
        with self._lock:
            first = self._error is None
            if first:
                self._error = error
        if first and not isinstance(error, TransferCancelled):
            self.batch.cancel()

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1
            if self._active or self._finished:
                return
            done = self._skipped or self._remaining == set()
            if self._error is None and not done:
                return
            self._finished = True
        self._finish()

    def _finish(self) -> None:
        error = self._error
        if error is None and self._skipped:
            self.batch.totals.file_skipped()
        elif error is None:
            try:
                self.sink.commit()
                seconds = self.progress.seconds
                log.info(
                    "saved %s (%s in %.1f s, %.1f MB/s)",
                    self.sink.location,
                    human_bytes(self.size),
                    seconds,
                    self.progress.received / max(seconds, 1e-9) / 1e6,
                )
                self.batch.totals.file_done(self.progress.received)
            except BaseException as commit_error:
                error = commit_error
        if error is not None:
            self.batch.totals.file_failed(self.progress.received)
            keep = self.batch.enable_resume and worth_resuming(error)
            try:
                self.sink.abort(keep_resume=keep)
            except Exception:
                log.exception("cleaning up %s failed", self.sink.location)
        self.batch.finished(self, error)
