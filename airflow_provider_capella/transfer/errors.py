"""The engine's errors (never carrying a presigned URL's query string), and the retries of one request."""

from __future__ import annotations

import logging
import threading

from airflow_provider_capella._http import backoff_seconds, is_retryable, parse_retry_after
from airflow_provider_capella.exceptions import CapellaDownloadError, CapellaOrderExpiredError

log = logging.getLogger("airflow_provider_capella.transfer")


class SourceChangedError(CapellaDownloadError):
    """The remote object changed (size or ETag) while it was being downloaded."""

    def __init__(self, label: str, why: str = "size or validator") -> None:
        text = "what was received is removed and the next try downloads it from the start"
        super().__init__(f"{label}: the asset changed on the server during the download ({why}); {text}")


class IntegrityError(CapellaDownloadError):
    """The bytes written do not match their checksum or the product's digest; what was written is removed."""


class TransferCancelled(Exception):
    """Internal: another asset failed (or the task was stopped), so this transfer stops early."""


def expired_urls_error(path: str, *, refreshed: bool) -> CapellaOrderExpiredError:
    """Build the error for a presigned URL answered with 403, before or after refreshing the URLs once."""
    text = (
        f"the presigned URL for {path} was refused (HTTP 403) even after fetching fresh URLs from the "
        "order: the order has expired (or access was revoked); submit a new order and download again"
        if refreshed
        else f"the presigned URL for {path} was refused (HTTP 403): its signature or the order has expired; "
        "get fresh presigned URLs from the order (or submit a new order) and download again"
    )
    return CapellaOrderExpiredError(text, status=403, code="ORDER_EXPIRED")


def worth_resuming(error: BaseException) -> bool:
    """Tell whether a next try can continue what this one wrote (else it is removed: failed for good)."""
    if isinstance(error, (SourceChangedError, IntegrityError, CapellaOrderExpiredError)):
        return False
    status = getattr(error, "status", None)
    return not (isinstance(status, int) and 400 <= status < 500 and status not in (408, 429))


class Attempts:
    """The failed attempts of one request: wait (``Retry-After``, else jittered backoff) or raise."""

    def __init__(self, label: str, max_attempts: int, cancelled: threading.Event | None = None) -> None:
        self.label, self.max_attempts, self.count = label, max_attempts, 0
        self.cancelled = cancelled or threading.Event()

    def failed(self, error: BaseException, reason: str, retry_after: str | None = None) -> None:
        """Wait before the next attempt after ``error`` (described by ``reason``), or raise."""
        self.count += 1
        retryable = is_retryable(error)
        if not retryable or self.count >= self.max_attempts:
            text = f"giving up after {self.count} tries ({reason})" if retryable else reason
            raise CapellaDownloadError(f"{self.label}: {text}", status=getattr(error, "status", None))
        wait = parse_retry_after(retry_after)
        wait = backoff_seconds(self.count) if wait is None else wait
        attempt = f"attempt {self.count + 1} of {self.max_attempts}"
        log.warning("%s: %s; retrying in %.1f s (%s)", self.label, reason, wait, attempt)
        if self.cancelled.wait(wait):
            raise TransferCancelled()
