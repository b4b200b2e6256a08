"""The provider's one retry policy (on ``tenacity``), its error decoding, and what every request carries.

One predicate, :func:`is_retryable`, decides what is sent again, for the hook (``requests``), its async
twin (``httpx``) and the download engine: 429 always; 500/502/503/504, dropped connections and timeouts
unless the request is a billable create (it may have been created: ``CapellaAmbiguousCreateError``); a
connection that never opened always; nothing else. Waits are full-jitter capped exponential backoff
unless the server sent ``Retry-After``. :mod:`.failures` tells how a transport error failed, :mod:`.wire`
what a request carries and how its answer is decoded; docs/http-policy.md explains the policy.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any

import tenacity

from airflow_provider_capella._http.failures import Failure, classify_failure, describe_failure
from airflow_provider_capella._http.wire import (
    POOL_SIZE,
    RETRY_AFTER_CAP_SECONDS,
    USER_AGENT_PREFIX,
    HeaderAuth,
    authorization_header,
    decode_response,
    new_api_session,
    origin,
    parse_retry_after,
    retry_after_seconds,
    sanitize_url,
    transport_error,
    user_agent,
)
from airflow_provider_capella.exceptions import CapellaError

log = logging.getLogger("airflow_provider_capella._http")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
"""HTTP statuses worth another attempt; every other 4xx/5xx is final."""
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_BASE_SECONDS = 0.5
DEFAULT_RETRY_CAP_SECONDS = 30.0
BILLABLE_CREATE_PATHS = frozenset({"/task", "/repeat-requests", "/orders"})
BILLABLE_CREATE_PREFIXES = ("/orders/task/",)


def is_billable_create(method: str, path: str) -> bool:
    """Tell whether ``method path`` creates a billable tasking request, repeat request or order."""
    trimmed = path.rstrip("/")
    return method.upper() == "POST" and (
        trimmed in BILLABLE_CREATE_PATHS or trimmed.startswith(BILLABLE_CREATE_PREFIXES)
    )


class RetryableStatus(Exception):
    """An answer (``requests`` or ``httpx``) whose status is worth another attempt (429, 5xx)."""

    def __init__(self, response: Any) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.status = int(response.status_code)


def check_status(response: Any) -> Any:
    """Return ``response``, or raise :class:`RetryableStatus` when its status is worth another attempt."""
    if response.status_code in RETRYABLE_STATUSES:
        raise RetryableStatus(response)
    return response


def is_retryable(error: BaseException, *, billable: bool = False) -> bool:
    """Tell whether the request that failed with ``error`` may be sent again: THE retry predicate.

    ``error`` is a :class:`RetryableStatus`, a ``CapellaError`` with a status, or a transport exception.
    429 is always retried; 500/502/503/504 and lost connections or timeouts only when the request is
    not ``billable`` (it may have been created); a connection that never opened always; nothing else.
    """
    if isinstance(error, (RetryableStatus, CapellaError)):
        status = getattr(error, "status", None)
        return status == 429 or (status in RETRYABLE_STATUSES and not billable)
    failure = classify_failure(error)
    return failure is Failure.NOT_SENT or (failure is Failure.LOST and not billable)


def backoff_seconds(
    attempt: int, *, base: float = DEFAULT_RETRY_BASE_SECONDS, cap: float = DEFAULT_RETRY_CAP_SECONDS
) -> float:
    """Return the jittered wait before retry ``attempt`` (1-based): in ``[0, min(cap, base*2**(n-1))]``."""
    ceiling = min(cap, base * (2.0 ** min(64, max(0, attempt - 1))))
    return random.uniform(0.0, max(0.0, ceiling))


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts and how long to wait between them (the connection's retry extras).

    :param max_attempts: attempts in all, the first included.
    :param base_seconds: the backoff ceiling before the first retry; it doubles with every retry.
    :param cap_seconds: the largest backoff ceiling.
    :param retry_after_cap_seconds: the longest server-requested ``Retry-After`` honoured.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_seconds: float = DEFAULT_RETRY_BASE_SECONDS
    cap_seconds: float = DEFAULT_RETRY_CAP_SECONDS
    retry_after_cap_seconds: float = RETRY_AFTER_CAP_SECONDS

    def backoff(self, attempt: int) -> float:
        """Return the jittered wait before retry number ``attempt`` (1-based)."""
        return backoff_seconds(attempt, base=self.base_seconds, cap=self.cap_seconds)

    def wait(self, attempt: int, error: BaseException | None) -> float:
        """Return the wait before retry ``attempt``: ``Retry-After`` of a retryable answer, else backoff."""
        response = getattr(error, "response", None)
        requested = (
            None if response is None else retry_after_seconds(response, cap=self.retry_after_cap_seconds)
        )
        return self.backoff(attempt) if requested is None else requested


def retry_arguments(policy: RetryPolicy, method: str, url: str, *, billable: bool) -> dict[str, Any]:
    """Return the ``tenacity.Retrying`` / ``AsyncRetrying`` arguments of one request under ``policy``."""

    def wait(state: tenacity.RetryCallState) -> float:
        return policy.wait(state.attempt_number, state.outcome.exception() if state.outcome else None)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        what = str(error) if isinstance(error, RetryableStatus) else type(error).__name__
        wait_s = state.next_action.sleep if state.next_action else 0.0
        message = "Capella API %s %s failed (%s); retry %d in %.2fs"
        log.warning(message, method, sanitize_url(url), what, state.attempt_number, wait_s)

    return {
        "retry": tenacity.retry_if_exception(lambda error: is_retryable(error, billable=billable)),
        "stop": tenacity.stop_after_attempt(max(1, policy.max_attempts)),
        "wait": wait,
        "before_sleep": before_sleep,
        "reraise": True,
    }


def last_answer(error: Exception, method: str, url: str, retrying: Any, *, billable: bool) -> Any:
    """Return the answer a retry loop stopped on (a 429/5xx), or raise the typed transport error."""
    if isinstance(error, RetryableStatus):
        return error.response
    attempts = retrying.statistics.get("attempt_number", 1)
    raise transport_error(error, method, url, attempts, billable) from None


__all__ = [
    "BILLABLE_CREATE_PATHS", "DEFAULT_CONNECT_TIMEOUT", "DEFAULT_MAX_ATTEMPTS", "DEFAULT_READ_TIMEOUT",
    "DEFAULT_RETRY_BASE_SECONDS", "DEFAULT_RETRY_CAP_SECONDS", "POOL_SIZE", "RETRYABLE_STATUSES",
    "RETRY_AFTER_CAP_SECONDS", "USER_AGENT_PREFIX", "Failure", "HeaderAuth", "RetryPolicy",
    "RetryableStatus", "authorization_header", "backoff_seconds", "check_status",
    "classify_failure", "decode_response", "describe_failure", "is_billable_create", "is_retryable",
    "last_answer", "new_api_session", "origin",
    "parse_retry_after", "retry_after_seconds", "retry_arguments", "sanitize_url",
    "transport_error", "user_agent",
]  # fmt: skip
