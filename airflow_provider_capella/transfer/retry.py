"""The engine's retries of failed GETs of a presigned URL: the provider's one retry rule, applied per range.

What is retried is decided by :func:`airflow_provider_capella._http.is_retryable`, the same predicate the
hook and its async twin use (a presigned GET is never billable): 429 and 5xx answers, dropped
connections and timeouts; never another 4xx, never a TLS failure. :class:`Attempts` counts the failures
of one request (one byte range) and waits ``Retry-After``, else the same jittered backoff. A 403 never
reaches it: the engine refreshes the presigned URLs once instead.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from airflow_provider_capella._http import backoff_seconds, is_retryable, parse_retry_after
from airflow_provider_capella.transfer.errors import CapellaDownloadError, TransferCancelled

log = logging.getLogger("airflow_provider_capella.transfer")


class HTTPStatusError(CapellaDownloadError):
    """An answer that is neither the bytes asked for nor a 403; keeps ``Retry-After`` for the wait."""

    def __init__(self, status: int, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status}", status=status)
        self.retry_after = retry_after


class Attempts:
    """The failed attempts of one request: wait (``Retry-After``, else jittered backoff) or raise."""

    def __init__(self, label: str, max_attempts: int, cancelled: threading.Event | None = None) -> None:
        self.label, self.max_attempts, self.count = label, max_attempts, 0
        self.cancelled = cancelled or threading.Event()

    def failed(self, error: BaseException, reason: str) -> None:
        """Wait before the next attempt after ``error`` (described by ``reason``), or raise."""
        self.count += 1
        status: Any = getattr(error, "status", None)
        if not is_retryable(error):
            raise CapellaDownloadError(f"{self.label}: {reason}", status=status)
        if self.count >= self.max_attempts:
            raise CapellaDownloadError(
                f"{self.label}: giving up after {self.count} tries ({reason})", status=status
            )
        wait = parse_retry_after(getattr(error, "retry_after", None))
        if wait is None:
            wait = backoff_seconds(self.count)
        attempt = f"attempt {self.count + 1} of {self.max_attempts}"
        log.warning("%s: %s; retrying in %.1f s (%s)", self.label, reason, wait, attempt)
        if self.cancelled.wait(wait):
            raise TransferCancelled()

    def reset(self) -> None:
        """Start counting again (the last attempt made progress)."""
        self.count = 0
