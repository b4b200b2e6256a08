"""The one HTTP policy of the provider: what is retried, how long to wait, what is never re-sent.

One implementation, three transports:

* :mod:`.policy` (pure): :class:`RetryPolicy` decides after every attempt: 429, 5xx, connection errors
  and timeouts are retried with capped exponential backoff and full jitter (``Retry-After`` honoured,
  capped); no other 4xx is; a billable create (``POST /task``, ``/repeat-requests``, ``/orders``) that may
  have reached the server is never re-sent (``CapellaAmbiguousCreateError``);
* :mod:`.failures`: the one transient-error predicate, for ``requests``, ``httpx`` and sockets alike;
* :mod:`.errors`: the one error decoder (JSON or a typed ``CapellaError``) and the one retry log line;
* :mod:`.headers`: the ``Authorization`` value, the one User-Agent, URLs fit for logs;
* :mod:`.sync`: :class:`CapellaHttp` over ``requests`` (the hook), and :func:`send_with_policy`, the
  blocking retry loop that the download engine's size probe shares;
* :mod:`.aio`: ``AsyncCapellaHttp`` over ``httpx`` (the trigger), imported on demand since it loads
  ``httpx``.

The download engine's ranged GETs on presigned URLs (no ``Authorization`` header, ever) ask the same
:meth:`RetryPolicy.decide` inside their resumable loop.

Example::

    from airflow_provider_capella import _http

    http = _http.CapellaHttp("https://api.capellaspace.com", authorization=_http.authorization_header("KEY"))
    user = http.request("GET", "/user")
"""

from __future__ import annotations

from airflow_provider_capella._http.errors import decode_response, log_retry, transport_error
from airflow_provider_capella._http.failures import (
    Failure,
    classify_failure,
    describe_failure,
    is_transient_transport_error,
    never_reached_server,
)
from airflow_provider_capella._http.headers import (
    USER_AGENT_PREFIX,
    authorization_header,
    origin,
    sanitize_url,
    user_agent,
)
from airflow_provider_capella._http.policy import (
    BILLABLE_CREATE_PATHS,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRY_BASE_SECONDS,
    DEFAULT_RETRY_CAP_SECONDS,
    POOL_SIZE,
    RETRY_AFTER_CAP_SECONDS,
    RETRYABLE_STATUSES,
    Decision,
    RetryPolicy,
    Verdict,
    backoff_seconds,
    is_billable_create,
    parse_retry_after,
    retry_after_seconds,
)
from airflow_provider_capella._http.sync import CapellaHttp, new_api_session, send_with_policy

__all__ = [
    "BILLABLE_CREATE_PATHS",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_RETRY_BASE_SECONDS",
    "DEFAULT_RETRY_CAP_SECONDS",
    "POOL_SIZE",
    "RETRYABLE_STATUSES",
    "RETRY_AFTER_CAP_SECONDS",
    "USER_AGENT_PREFIX",
    "CapellaHttp",
    "Decision",
    "Failure",
    "RetryPolicy",
    "Verdict",
    "authorization_header",
    "backoff_seconds",
    "classify_failure",
    "decode_response",
    "describe_failure",
    "is_billable_create",
    "is_transient_transport_error",
    "log_retry",
    "never_reached_server",
    "new_api_session",
    "origin",
    "parse_retry_after",
    "retry_after_seconds",
    "sanitize_url",
    "send_with_policy",
    "transport_error",
    "user_agent",
]
