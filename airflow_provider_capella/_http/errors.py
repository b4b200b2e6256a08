"""The one error decoder: a final answer or a failed request becomes JSON or a typed ``CapellaError``.

Both HTTP clients (``requests`` and ``httpx``) hand their last response here; both offer
``status_code``, ``headers`` and ``content``, so one function serves both. Error bodies of every shape
the API sends (``{"error": {...}}``, ``{"error": "plain string"}``, ``{"message": ...}``, non-JSON gateway
pages) are read by :func:`airflow_provider_capella.exceptions.error_from_response`. URLs in messages are
sanitized; the API key never appears.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from airflow_provider_capella._http.failures import describe_failure
from airflow_provider_capella._http.headers import sanitize_url
from airflow_provider_capella._http.policy import Decision, Verdict, retry_after_seconds
from airflow_provider_capella.exceptions import (
    CapellaAmbiguousCreateError,
    CapellaConnectionError,
    CapellaError,
    CapellaServerError,
    error_from_response,
)

log = logging.getLogger("airflow_provider_capella._http")


def decode_response(response: Any, method: str, url: str, *, billable: bool = False) -> Any:
    """Return the decoded JSON body of a successful response (None when empty), or raise its typed error.

    :param response: a ``requests`` or ``httpx`` response.
    :param method: the HTTP method sent (for the message).
    :param url: the URL requested (sanitized here).
    :param billable: whether the request was a billable create: a 5xx then means "may have been created".

    Example::

        body = decode_response(response, "GET", url)
    """
    safe_url = sanitize_url(url)
    status = int(response.status_code)
    if status >= 400:
        if billable and status >= 500:
            raise CapellaAmbiguousCreateError.for_request(
                method, safe_url, reason=f"HTTP {status}", status=status
            )
        raise error_from_response(
            status,
            response.content,
            method=method,
            url=safe_url,
            retry_after=retry_after_seconds(response),
        )
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        raise CapellaServerError(
            f"{method} {safe_url} returned HTTP {status} with a body that is not JSON",
            status=status,
            method=method,
            url=safe_url,
        ) from None


def transport_error(
    error: BaseException, method: str, url: str, attempts: int, decision: Decision
) -> CapellaError:
    """Return the typed error for a request that got no usable response and will not be sent again.

    :param error: the last exception the transport raised.
    :param method: the HTTP method sent.
    :param url: the URL requested (sanitized here).
    :param attempts: how many attempts were made.
    :param decision: the policy's final decision (``AMBIGUOUS`` gives ``CapellaAmbiguousCreateError``).

    Example::

        raise transport_error(error, "GET", url, 5, decision) from None
    """
    safe_url = sanitize_url(url)
    reason = describe_failure(error)
    if decision.verdict is Verdict.AMBIGUOUS:
        return CapellaAmbiguousCreateError.for_request(method, safe_url, reason=reason)
    return CapellaConnectionError(
        f"{method} {safe_url} failed after {attempts} attempt(s): {reason}", method=method, url=safe_url
    )


def log_retry(method: str, url: str, what: str, attempt: int, wait: float) -> None:
    """Log one retry the same way for every client: method, sanitized URL, cause, attempt, wait.

    :param method: the HTTP method.
    :param url: the URL (sanitized here).
    :param what: the cause, e.g. ``HTTP 503`` or ``ReadTimeout``.
    :param attempt: the attempt that failed (1-based).
    :param wait: the seconds until the next attempt.
    """
    log.warning(
        "Capella API %s %s failed (%s); retry %d in %.2fs", method, sanitize_url(url), what, attempt, wait
    )
