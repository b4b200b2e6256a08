"""The provider's one retry policy, as pure decisions: what is retried, and how long to wait first.

Every client of the provider (the hook's ``requests`` session, the trigger's ``httpx`` client and the
download engine's ranged GETs on presigned URLs) sends a request, then asks :meth:`RetryPolicy.decide`
what to do with the outcome. The rules:

* 429 and 5xx answers, connection errors, dropped connections and timeouts are retried; no other 4xx
  ever is, nor a TLS failure;
* the wait before retry ``n`` is capped exponential backoff with full jitter, uniformly drawn from
  ``[0, min(cap, base * 2 ** (n - 1))]``, unless the answer carries ``Retry-After`` (delta seconds or an
  HTTP date), which is honoured up to ``retry_after_cap_seconds``;
* a billable create (``POST /task``, ``POST /repeat-requests``, ``POST /orders``,
  ``POST /orders/task/{id}``) is sent again only
  when it provably never reached the server (the connection could not be opened, or a 429); after any
  other failure it may have been created, so the verdict is ``AMBIGUOUS`` and it is never re-sent.

Nothing here does I/O: the transport edges send, sleep and raise.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from airflow_provider_capella._http.failures import Failure

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
"""HTTP statuses worth another attempt; every other 4xx/5xx is final."""

RETRY_AFTER_CAP_SECONDS = 60.0
"""The longest ``Retry-After`` the provider is willing to honour for one wait."""

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_BASE_SECONDS = 0.5
DEFAULT_RETRY_CAP_SECONDS = 30.0
POOL_SIZE = 16
"""Pooled connections per API host, for the sync session and for the triggerer's shared async client."""

BILLABLE_CREATE_PATHS = frozenset({"/task", "/repeat-requests", "/orders"})
"""``POST`` to one of these paths creates something the customer pays for."""

BILLABLE_CREATE_PREFIXES = ("/orders/task/",)
"""``POST`` to a path under one of these prefixes is billable too (an order for a tasking request)."""


def is_billable_create(method: str, path: str) -> bool:
    """Tell whether ``method path`` creates a billable tasking request, repeat request or order.

    :param method: the HTTP method.
    :param path: the URL path relative to the API base URL.

    Example::

        is_billable_create("POST", "/orders")  # True
        is_billable_create("POST", "/orders/task/6c4e5c2f-2a0e-4d3b-9d5f-0f1e2d3c4b5a")  # True
    """
    if method.upper() != "POST":
        return False
    trimmed = path.rstrip("/")
    return trimmed in BILLABLE_CREATE_PATHS or trimmed.startswith(BILLABLE_CREATE_PREFIXES)


class Verdict(enum.Enum):
    """What to do after an attempt.

    ``RETRY``: wait :attr:`Decision.wait` seconds, then send again. ``FINAL``: not worth another attempt
    (a success, another 4xx, a fatal transport error): map the outcome. ``EXHAUSTED``: worth another
    attempt, but the attempts are used up. ``AMBIGUOUS``: a billable create that may have reached the
    server: never re-sent; raise ``CapellaAmbiguousCreateError``.

    Example::

        if decision.verdict is Verdict.AMBIGUOUS: ...
    """

    RETRY = "retry"
    FINAL = "final"
    EXHAUSTED = "exhausted"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Decision:
    """The policy's answer for one attempt: the verdict, the wait before a retry, and why (for logs).

    Example::

        Decision(Verdict.RETRY, wait=1.0, reason="HTTP 429")
    """

    verdict: Verdict
    wait: float = 0.0
    reason: str = ""

    @property
    def retry(self) -> bool:
        """Whether the request should be sent again after :attr:`wait` seconds."""
        return self.verdict is Verdict.RETRY


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, how long to wait between them, and which outcomes are worth another attempt.

    :param max_attempts: attempts in all, the first included (at least one is always made).
    :param base_seconds: the backoff ceiling before the first retry; it doubles with every retry.
    :param cap_seconds: the largest backoff ceiling.
    :param retry_after_cap_seconds: the longest server-requested ``Retry-After`` honoured for one wait.

    Example::

        policy = RetryPolicy(max_attempts=3, base_seconds=0.01)
        decision = policy.decide(1, status=503)  # Decision(Verdict.RETRY, wait=0.00..., reason='HTTP 503')
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_seconds: float = DEFAULT_RETRY_BASE_SECONDS
    cap_seconds: float = DEFAULT_RETRY_CAP_SECONDS
    retry_after_cap_seconds: float = RETRY_AFTER_CAP_SECONDS

    def backoff(self, attempt: int) -> float:
        """Return the jittered wait before retry number ``attempt`` (1-based).

        :param attempt: how many attempts have failed so far.
        """
        return backoff_seconds(attempt, base=self.base_seconds, cap=self.cap_seconds)

    def retry_after(self, headers: Mapping[str, str] | None) -> float | None:
        """Return the capped wait a response's ``Retry-After`` header asks for, or None without one.

        :param headers: the response headers (any case-insensitive mapping, as requests and httpx offer).
        """
        value = headers.get("Retry-After") if headers is not None else None
        return parse_retry_after(value, cap=self.retry_after_cap_seconds)

    def decide(
        self,
        attempt: int,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        failure: Failure | None = None,
        billable: bool = False,
    ) -> Decision:
        """Decide what follows attempt number ``attempt``, answered ``status`` or failed with ``failure``.

        :param attempt: the attempt just made (1-based).
        :param status: the HTTP status of the answer, when there was one.
        :param headers: the answer's headers (for ``Retry-After``).
        :param failure: how the attempt failed when there was no answer.
        :param billable: whether the request creates something billable (never re-sent when ambiguous).
        """
        if status is not None:
            return self._after_answer(attempt, status, headers, billable)
        if failure is None:
            raise ValueError("decide() needs the status of the answer or the failure")
        reason = failure.value
        if failure is Failure.FATAL:
            return Decision(Verdict.FINAL, reason=reason)
        if billable and failure is not Failure.NOT_SENT:
            return Decision(Verdict.AMBIGUOUS, reason=reason)
        if attempt >= self.max_attempts:
            return Decision(Verdict.EXHAUSTED, reason=reason)
        return Decision(Verdict.RETRY, self.backoff(attempt), reason)

    def _after_answer(
        self, attempt: int, status: int, headers: Mapping[str, str] | None, billable: bool
    ) -> Decision:
        reason = f"HTTP {status}"
        if billable and status >= 500:
            return Decision(Verdict.AMBIGUOUS, reason=reason)
        if status not in RETRYABLE_STATUSES:
            return Decision(Verdict.FINAL, reason=reason)
        if attempt >= self.max_attempts:
            return Decision(Verdict.EXHAUSTED, reason=reason)
        requested = self.retry_after(headers)
        return Decision(Verdict.RETRY, self.backoff(attempt) if requested is None else requested, reason)


def backoff_seconds(
    attempt: int, *, base: float = DEFAULT_RETRY_BASE_SECONDS, cap: float = DEFAULT_RETRY_CAP_SECONDS
) -> float:
    """Return the wait before retry number ``attempt`` (1-based): capped exponential with full jitter.

    :param attempt: how many attempts have failed so far.
    :param base: the ceiling before the first retry; it doubles with every retry.
    :param cap: the largest ceiling.

    Example::

        time.sleep(backoff_seconds(3))  # uniformly in [0, min(30, 0.5 * 2**2)]
    """
    ceiling = min(cap, base * (2.0 ** min(64, max(0, attempt - 1))))
    return random.uniform(0.0, max(0.0, ceiling))


def parse_retry_after(value: str | None, *, cap: float = RETRY_AFTER_CAP_SECONDS) -> float | None:
    """Return the wait a ``Retry-After`` value asks for (delta seconds or HTTP date), capped; else None.

    :param value: the header value, or None when absent.
    :param cap: the longest wait honoured.

    Example::

        parse_retry_after("3")  # 3.0
    """
    value = (value or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        seconds = (moment - datetime.now(timezone.utc)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(cap, max(0.0, seconds))


def retry_after_seconds(response: Any, *, cap: float = RETRY_AFTER_CAP_SECONDS) -> float | None:
    """Return the capped wait a response's ``Retry-After`` asks for (requests or httpx); else None.

    :param response: a response with a ``headers`` mapping.
    :param cap: the longest wait honoured.

    Example::

        wait = retry_after_seconds(response) or backoff_seconds(attempt)
    """
    return parse_retry_after(response.headers.get("Retry-After"), cap=cap)
