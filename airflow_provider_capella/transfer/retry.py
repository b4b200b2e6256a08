"""The engine's one retry rule: which failed GETs of a presigned URL are sent again, and after how long.

:func:`is_retryable` is the only predicate; :class:`Attempts` applies it to the failures of one request
(one byte range). A 403 never reaches it: the engine refreshes the presigned URLs once instead.
"""

from __future__ import annotations

import logging
import random
import threading
from typing import Any

from airflow_provider_capella._http import is_transient_transport_error, parse_retry_after
from airflow_provider_capella.transfer.errors import CapellaDownloadError, TransferCancelled

log = logging.getLogger("airflow_provider_capella.transfer")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0


class HTTPStatusError(CapellaDownloadError):
    """An answer that is neither the bytes asked for nor a 403; keeps ``Retry-After`` for the wait."""

    def __init__(self, status: int, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status}", status=status)
        self.retry_after = retry_after


def is_retryable(error: BaseException) -> bool:
    """Tell whether another attempt may succeed after ``error``: the one retry predicate of the engine.

    It sees :class:`HTTPStatusError` (an unexpected answer: retried for 429 and 5xx, never another 4xx),
    ``BodyDropped`` (a body cut mid-stream: a ``ConnectionError``), and whatever ``requests``, ``urllib3``
    or the socket layer raised while sending (connection errors, drops and timeouts are retried; TLS
    failures and malformed URLs are not).
    """
    status = getattr(error, "status", None)
    if isinstance(status, int):
        return status in RETRYABLE_STATUSES
    return is_transient_transport_error(error)


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
                f"{self.label}: giving up after {self.count} attempts ({reason})", status=status
            )
        wait = parse_retry_after(getattr(error, "retry_after", None))
        if wait is None:
            wait = random.uniform(
                0.0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** (self.count - 1))
            )
        log.warning(
            "%s: %s; retrying in %.1f s (attempt %d of %d)",
            self.label,
            reason,
            wait,
            self.count + 1,
            self.max_attempts,
        )
        if self.cancelled.wait(wait):
            raise TransferCancelled()

    def reset(self) -> None:
        """Start counting again (the last attempt made progress)."""
        self.count = 0
