"""The provider's one retry policy (on ``tenacity``), its error decoding, and what every request carries.

One predicate, :func:`is_retryable`, decides what is sent again, for the hook (``requests``), its async
twin (``httpx``) and the download engine:

* 429 is retried (honouring ``Retry-After``, capped), and so are 500, 502, 503, 504, dropped
  connections and timeouts; no other 4xx is, nor a TLS failure or a malformed request;
* a billable create (``POST /task``, ``/repeat-requests``, ``/orders``, ``/orders/task/{id}``) is sent
  again only when it provably never reached the server (the connection could not be opened, or a 429);
  after a 5xx or a lost answer it may have been created, so it raises ``CapellaAmbiguousCreateError``.

The wait before retry ``n`` is full-jitter capped exponential backoff, uniformly drawn from
``[0, min(cap, base * 2 ** (n - 1))]``, unless the server sent ``Retry-After``. The API key travels only
in the ``Authorization`` header, only to the API host; logs and messages show :func:`sanitize_url` forms.

Example::

    for attempt in tenacity.Retrying(**retry_arguments(RetryPolicy(), "GET", url)):
        with attempt:
            response = check_status(session.get(url, timeout=30))
"""

from __future__ import annotations

import enum
import http.client
import json
import logging
import random
import ssl
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import tenacity

from airflow_provider_capella import __version__
from airflow_provider_capella.exceptions import (
    CapellaAmbiguousCreateError,
    CapellaConnectionError,
    CapellaError,
    CapellaServerError,
    error_from_response,
)

if TYPE_CHECKING:
    import requests

log = logging.getLogger("airflow_provider_capella._http")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
"""HTTP statuses worth another attempt; every other 4xx/5xx is final."""
RETRY_AFTER_CAP_SECONDS = 60.0
"""The longest ``Retry-After`` honoured for one wait (connection extra ``retry_after_cap_seconds``)."""
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_BASE_SECONDS = 0.5
DEFAULT_RETRY_CAP_SECONDS = 30.0
POOL_SIZE = 16
"""Pooled connections per API host, for the sync session and the triggerer's shared async client."""
BILLABLE_CREATE_PATHS = frozenset({"/task", "/repeat-requests", "/orders"})
BILLABLE_CREATE_PREFIXES = ("/orders/task/",)
USER_AGENT_PREFIX = "airflow-provider-capella/"


def is_billable_create(method: str, path: str) -> bool:
    """Tell whether ``method path`` creates a billable tasking request, repeat request or order.

    :param method: the HTTP method.
    :param path: the URL path relative to the API base URL.
    """
    trimmed = path.rstrip("/")
    return method.upper() == "POST" and (
        trimmed in BILLABLE_CREATE_PATHS or trimmed.startswith(BILLABLE_CREATE_PREFIXES)
    )


# --- how a transport failure failed ------------------------------------------------------------------


class Failure(enum.Enum):
    """How a request without a usable response failed.

    ``NOT_SENT``: the connection could not be opened (safe to send again, even a billable create);
    ``LOST``: it was (or may have been) sent but the answer never arrived whole; ``FATAL``: another
    attempt cannot help (TLS verification, a malformed URL or header).

    Example::

        classify_failure(requests.exceptions.ConnectTimeout())  # Failure.NOT_SENT
    """

    NOT_SENT = "not sent"
    LOST = "lost"
    FATAL = "fatal"


_TRANSPORT_RULES: tuple[tuple[str, str, tuple[tuple[tuple[str, ...], Failure], ...]], ...] = (
    # (module, base class of its transport errors, first matching classes decide; else FATAL).
    # A library is consulted only when already imported: an error can't come from an unloaded module.
    (
        "requests.exceptions",
        "RequestException",
        (
            (("ConnectTimeout",), Failure.NOT_SENT),
            (("ConnectionError", "Timeout", "ChunkedEncodingError"), Failure.LOST),
        ),
    ),
    (
        "httpx",
        "TransportError",
        (
            (("ConnectError", "ConnectTimeout", "PoolTimeout"), Failure.NOT_SENT),
            (("TimeoutException", "NetworkError", "RemoteProtocolError"), Failure.LOST),
        ),
    ),
    (
        "urllib3.exceptions",
        "HTTPError",
        (
            (("NewConnectionError", "ConnectTimeoutError"), Failure.NOT_SENT),
            (("ProtocolError", "ReadTimeoutError", "TimeoutError", "IncompleteRead"), Failure.LOST),
        ),
    ),
)


def classify_failure(error: BaseException) -> Failure:
    """Return how ``error`` (raised by ``requests``, ``urllib3``, ``httpx`` or a socket) failed.

    :param error: the exception raised while sending a request or reading its answer.
    """
    if _is_tls(error):
        return Failure.FATAL
    for module_name, base_name, rules in _TRANSPORT_RULES:
        module = sys.modules.get(module_name)
        if module is None or not isinstance(error, getattr(module, base_name)):
            continue
        for class_names, failure in rules:
            if isinstance(error, tuple(getattr(module, name) for name in class_names)):
                cause: Any = error.args[0] if error.args else None
                reason = getattr(cause, "reason", cause)  # requests wraps urllib3's connect failure
                if failure is Failure.LOST and isinstance(reason, BaseException) and reason is not error:
                    return Failure.NOT_SENT if classify_failure(reason) is Failure.NOT_SENT else failure
                return failure
        return Failure.FATAL
    if isinstance(error, ConnectionRefusedError):
        return Failure.NOT_SENT
    if isinstance(error, (ConnectionError, TimeoutError, http.client.HTTPException)):
        return Failure.LOST
    return Failure.FATAL


def is_transient_transport_error(error: BaseException) -> bool:
    """Tell whether another attempt may succeed: connection errors, drops and timeouts, not TLS.

    :param error: the exception a request raised.
    """
    return classify_failure(error) is not Failure.FATAL


def describe_failure(error: BaseException | None) -> str:
    """Return a short, secret-free description of a transport failure (never a URL).

    :param error: the exception a request raised, or None.
    """
    if error is None:
        return "unknown error"
    name = type(error).__name__
    failure = classify_failure(error)
    if failure is Failure.FATAL:
        return "TLS error (check the connection's `verify` extra)" if _is_tls(error) else name
    for marker, text in (("ConnectTimeout", "connection timed out"), ("PoolTimeout", "no free connection")):
        if marker in name:
            return text
    if failure is Failure.NOT_SENT:
        return "could not connect"
    if "Timeout" in name or isinstance(error, TimeoutError):
        return "no response before the read timeout"
    if "Chunked" in name or "IncompleteRead" in name:
        return "connection dropped while reading the response"
    return "connection dropped"


def _is_tls(error: BaseException) -> bool:
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, (ssl.SSLError, ssl.CertificateError)) or type(cause).__name__ == "SSLError":
            return True
        cause = cause.__cause__ or cause.__context__
    return False


# --- the one predicate and the wait -----------------------------------------------------------------


class RetryableStatus(Exception):
    """An answer whose status is worth another attempt (429, 5xx), raised so the policy can judge it.

    :param response: the ``requests`` or ``httpx`` response.

    Example::

        check_status(response)  # raises RetryableStatus for a 503
    """

    def __init__(self, response: Any) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.status = int(response.status_code)


def check_status(response: Any) -> Any:
    """Return ``response``, or raise :class:`RetryableStatus` when its status is worth another attempt.

    :param response: a ``requests`` or ``httpx`` response.
    """
    if response.status_code in RETRYABLE_STATUSES:
        raise RetryableStatus(response)
    return response


def is_retryable(error: BaseException, *, billable: bool = False) -> bool:
    """Tell whether the request that failed with ``error`` may be sent again: THE retry predicate.

    ``error`` is a :class:`RetryableStatus`, a ``CapellaError`` with a status, or a transport exception.
    429 is always retried; 500/502/503/504 and lost connections or timeouts only when the request is
    not ``billable`` (it may have been created); a connection that never opened always; nothing else.

    :param error: what the attempt raised.
    :param billable: whether the request creates something billable (never re-sent when ambiguous).
    :return: ``True`` when another attempt is allowed (the caller still counts attempts).

    Example::

        is_retryable(RetryableStatus(response_503), billable=True)  # False: the order may exist
    """
    if isinstance(error, (RetryableStatus, CapellaError)):
        return _retryable(getattr(error, "status", None), None, billable)
    return _retryable(None, classify_failure(error), billable)


def _retryable(status: int | None, failure: Failure | None, billable: bool) -> bool:
    """Apply the rule of :func:`is_retryable` to an answer's status or a transport failure."""
    if status is not None:
        return status == 429 or (status in RETRYABLE_STATUSES and not billable)
    return failure is Failure.NOT_SENT or (failure is Failure.LOST and not billable)


def backoff_seconds(
    attempt: int, *, base: float = DEFAULT_RETRY_BASE_SECONDS, cap: float = DEFAULT_RETRY_CAP_SECONDS
) -> float:
    """Return the jittered wait before retry ``attempt`` (1-based): in ``[0, min(cap, base*2**(n-1))]``.

    :param attempt: how many attempts have failed so far.
    :param base: the ceiling before the first retry; it doubles with every retry.
    :param cap: the largest ceiling.
    """
    ceiling = min(cap, base * (2.0 ** min(64, max(0, attempt - 1))))
    return random.uniform(0.0, max(0.0, ceiling))


def parse_retry_after(value: str | None, *, cap: float = RETRY_AFTER_CAP_SECONDS) -> float | None:
    """Return the wait a ``Retry-After`` value asks for (delta seconds or HTTP date), capped; else None.

    :param value: the header value, or None when absent.
    :param cap: the longest wait honoured.
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
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        seconds = (moment - datetime.now(timezone.utc)).total_seconds()
    return None if seconds != seconds else min(cap, max(0.0, seconds))  # NaN is no answer


def retry_after_seconds(response: Any, *, cap: float = RETRY_AFTER_CAP_SECONDS) -> float | None:
    """Return the capped wait a response's ``Retry-After`` asks for (requests or httpx); else None.

    :param response: a response with a ``headers`` mapping.
    :param cap: the longest wait honoured.
    """
    return parse_retry_after(response.headers.get("Retry-After"), cap=cap)


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts and how long to wait between them (the connection's retry extras).

    :param max_attempts: attempts in all, the first included.
    :param base_seconds: the backoff ceiling before the first retry; it doubles with every retry.
    :param cap_seconds: the largest backoff ceiling.
    :param retry_after_cap_seconds: the longest server-requested ``Retry-After`` honoured.

    Example::

        wait = RetryPolicy(max_attempts=3, base_seconds=0.01).wait(1, RetryableStatus(response_429))
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

        :param headers: the response headers.
        """
        value = headers.get("Retry-After") if headers is not None else None
        return parse_retry_after(value, cap=self.retry_after_cap_seconds)

    def wait(self, attempt: int, error: BaseException | None) -> float:
        """Return the wait before retry ``attempt``: ``Retry-After`` of a retryable answer, else backoff.

        :param attempt: how many attempts have failed so far.
        :param error: what the last attempt raised.
        """
        response = getattr(error, "response", None)
        requested = self.retry_after(response.headers) if response is not None else None
        return self.backoff(attempt) if requested is None else requested

    def decide(
        self,
        attempt: int,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        failure: Failure | None = None,
        billable: bool = False,
    ) -> Decision:
        """Decide what follows attempt ``attempt`` of a hand-written loop, by :func:`is_retryable`'s rule.

        :param attempt: the attempt just made (1-based).
        :param status: the HTTP status of the answer, when there was one.
        :param headers: the answer's headers (for ``Retry-After``).
        :param failure: how the attempt failed when there was no answer.
        :param billable: whether the request creates something billable.
        """
        if status is None and failure is None:
            raise ValueError("decide() needs the status of the answer or the failure")
        reason = f"HTTP {status}" if status is not None else failure.value  # type: ignore[union-attr]
        if not _retryable(status, failure, billable):
            ambiguous = billable and ((status or 0) >= 500 or failure is Failure.LOST)
            return Decision(Verdict.AMBIGUOUS if ambiguous else Verdict.FINAL, reason=reason)
        if attempt >= self.max_attempts:
            return Decision(Verdict.EXHAUSTED, reason=reason)
        requested = self.retry_after(headers) if status is not None else None
        return Decision(Verdict.RETRY, self.backoff(attempt) if requested is None else requested, reason)


class Verdict(enum.Enum):
    """What follows an attempt in a hand-written loop (the download engine's ranged GETs)."""

    RETRY = "retry"
    FINAL = "final"
    EXHAUSTED = "exhausted"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Decision:
    """:meth:`RetryPolicy.decide`'s answer: the verdict, the wait before a retry, and why (for logs)."""

    verdict: Verdict
    wait: float = 0.0
    reason: str = ""

    @property
    def retry(self) -> bool:
        """Whether the request should be sent again after :attr:`wait` seconds."""
        return self.verdict is Verdict.RETRY


def retry_arguments(policy: RetryPolicy, method: str, url: str, *, billable: bool) -> dict[str, Any]:
    """Return the ``tenacity.Retrying`` / ``AsyncRetrying`` arguments of one request under ``policy``.

    :param policy: the connection's retry knobs.
    :param method: the HTTP method (for the retry log line).
    :param url: the URL (sanitized before it is logged).
    :param billable: whether the request creates something billable.

    Example::

        for attempt in tenacity.Retrying(**retry_arguments(policy, "GET", url, billable=False)):
            with attempt:
                response = check_status(session.get(url))
    """

    def wait(state: tenacity.RetryCallState) -> float:
        return policy.wait(state.attempt_number, state.outcome.exception() if state.outcome else None)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        what = str(error) if isinstance(error, RetryableStatus) else type(error).__name__
        wait_s = state.next_action.sleep if state.next_action else 0.0
        log_retry(method, url, what, state.attempt_number, wait_s)

    return {
        "retry": tenacity.retry_if_exception(lambda error: is_retryable(error, billable=billable)),
        "stop": tenacity.stop_after_attempt(max(1, policy.max_attempts)),
        "wait": wait,
        "before_sleep": before_sleep,
        "reraise": True,
    }


def log_retry(method: str, url: str, what: str, attempt: int, wait: float) -> None:
    """Log one retry the same way for every client: method, sanitized URL, cause, attempt, wait."""
    log.warning(
        "Capella API %s %s failed (%s); retry %d in %.2fs", method, sanitize_url(url), what, attempt, wait
    )


def send_with_policy(
    send: Callable[[], requests.Response],
    policy: RetryPolicy,
    *,
    method: str,
    url: str,
    billable: bool = False,
    sleep: Callable[[float], Any] = time.sleep,
) -> requests.Response:
    """Call ``send()`` under the policy; return the last response (a success or a final error answer).

    :param send: sends the request once.
    :param policy: the retry knobs.
    :param method: the HTTP method (for logs and errors).
    :param url: the URL (sanitized before it is logged).
    :param billable: whether the request creates something billable.
    :param sleep: waits between attempts.
    :raises CapellaConnectionError: when no usable answer came (``CapellaAmbiguousCreateError`` when
        a billable create may have been received).
    """
    retrying = tenacity.Retrying(sleep=sleep, **retry_arguments(policy, method, url, billable=billable))
    try:
        for attempt in retrying:
            with attempt:
                return check_status(send())
    except Exception as error:
        return last_answer(error, method, url, retrying, billable=billable)
    raise AssertionError("unreachable")  # pragma: no cover


def last_answer(error: Exception, method: str, url: str, retrying: Any, *, billable: bool) -> Any:
    """Return the answer a retry loop stopped on (a 429/5xx), or raise the typed transport error.

    :param error: what the last attempt raised (tenacity re-raises it once it stops).
    :param method: the HTTP method sent.
    :param url: the URL requested (sanitized in the error).
    :param retrying: the ``tenacity`` controller, for the number of attempts made.
    :param billable: whether the request was a billable create.
    """
    if isinstance(error, RetryableStatus):
        return error.response
    attempts = retrying.statistics.get("attempt_number", 1)
    raise transport_error(error, method, url, attempts, billable) from None


# --- error decoding --------------------------------------------------------------------------------


def decode_response(response: Any, method: str, url: str, *, billable: bool = False) -> Any:
    """Return the decoded JSON body of a successful response (None when empty), or raise its typed error.

    :param response: a ``requests`` or ``httpx`` response.
    :param method: the HTTP method sent (for the message).
    :param url: the URL requested (sanitized here).
    :param billable: whether the request was a billable create: a 5xx then means "may have been created".
    """
    safe_url = sanitize_url(url)
    status = int(response.status_code)
    if status >= 400:
        if billable and status >= 500:
            raise CapellaAmbiguousCreateError.for_request(
                method, safe_url, reason=f"HTTP {status}", status=status
            )
        raise error_from_response(
            status, response.content, method=method, url=safe_url, retry_after=retry_after_seconds(response)
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
    error: BaseException, method: str, url: str, attempts: int, billable: bool
) -> CapellaError:
    """Return the typed error for a request that got no usable answer and will not be sent again.

    :param error: the last exception the transport raised.
    :param method: the HTTP method sent.
    :param url: the URL requested (sanitized here).
    :param attempts: how many attempts were made.
    :param billable: whether it was a billable create (then, unless it never connected, "may exist").
    """
    safe_url, reason = sanitize_url(url), describe_failure(error)
    if billable and classify_failure(error) is Failure.LOST:
        return CapellaAmbiguousCreateError.for_request(method, safe_url, reason=reason)
    return CapellaConnectionError(
        f"{method} {safe_url} failed after {attempts} attempt(s): {reason}", method=method, url=safe_url
    )


# --- what every request carries ----------------------------------------------------------------------


def user_agent(role: str | None = None) -> str:
    """Return the provider's one User-Agent, with an optional role such as ``triggerer`` appended.

    :param role: a word appended in parentheses, or None for the plain agent.
    """
    agent = f"{USER_AGENT_PREFIX}{__version__}"
    return f"{agent} ({role})" if role else agent


def authorization_header(api_key: str | None = None, token: str | None = None) -> str:
    """Return the ``Authorization`` value: ``ApiKey <key>`` (preferred) or ``Bearer <token>``.

    :param api_key: the Capella API key, or None.
    :param token: a bearer token, used when there is no API key.
    """
    for secret, prefix in ((api_key, "ApiKey"), (token, "Bearer")):
        if secret and secret.strip():
            value = secret.strip()
            scheme = value.split(" ", 1)[0].lower() if " " in value else ""
            return value if scheme in ("apikey", "bearer") else f"{prefix} {value}"
    raise ValueError("no API key or token configured")


def sanitize_url(url: str) -> str:
    """Return a URL fit for logs and messages: no query string (presigned signatures), no user info.

    :param url: any URL, possibly presigned.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<unparseable url>"
    host = (parts.hostname or "") + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def origin(url: str) -> tuple[str, str, int | None]:
    """Return ``(scheme, host, port)`` of ``url``, the port made explicit, for same-origin checks.

    :param url: an absolute URL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


def new_api_session(agent: str, pool_size: int = POOL_SIZE) -> requests.Session:
    """Return a pooled ``requests`` session with the provider's User-Agent and no retries of its own.

    :param agent: the User-Agent header.
    :param pool_size: keep-alive connections per host.
    """
    import requests  # lazy: keeps `import airflow_provider_capella.operators` cheap at DAG parse time
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = agent
    return session


class HeaderAuth:
    """``requests`` auth: set the Authorization header, or (``None``) make sure there is none.

    Passing ``auth`` also stops ``requests`` reading ``~/.netrc``.

    :param value: the header value, or None for hosts that must not receive the credential.
    """

    def __init__(self, value: str | None) -> None:
        self._value = value

    def __call__(self, request: Any) -> Any:
        request.headers.pop("Authorization", None)
        if self._value is not None:
            request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "HeaderAuth(***)"
