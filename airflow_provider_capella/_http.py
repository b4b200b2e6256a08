"""The provider's one retry policy (on ``tenacity``), its error decoding, and what every request carries.

docs/http-policy.md explains what is sent again, how long it waits, and why a billable create never is.
"""

from __future__ import annotations

import enum
import http.client
import json
import logging
import random
import ssl
import sys
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
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_BASE_SECONDS = 0.5
DEFAULT_RETRY_CAP_SECONDS = 30.0
RETRY_AFTER_CAP_SECONDS = 60.0
"""The longest ``Retry-After`` honoured for one wait (connection extra ``retry_after_cap_seconds``)."""
POOL_SIZE = 16
"""Pooled connections per API host, for the sync session and the triggerer's shared async client."""
USER_AGENT_PREFIX = "airflow-provider-capella/"
BILLABLE_CREATE_PATHS = frozenset({"/task", "/repeat-requests", "/orders"})
BILLABLE_CREATE_PREFIXES = ("/orders/task/",)


class Failure(enum.Enum):
    """How a request without a usable answer failed: not sent (safe to resend), lost, or fatal (TLS, URL)."""

    NOT_SENT = "not sent"
    LOST = "lost"
    FATAL = "fatal"


_TRANSPORT_RULES = {
    # base class of a library's transport errors: (its never-sent classes, its lost classes); others: FATAL.
    # A library is only consulted when already imported: an error can't come from a module never loaded.
    "requests.exceptions.RequestException": (
        "ConnectTimeout",
        "ConnectionError Timeout ChunkedEncodingError",
    ),
    "httpx.TransportError": (
        "ConnectError ConnectTimeout PoolTimeout",
        "TimeoutException NetworkError RemoteProtocolError",
    ),
    "urllib3.exceptions.HTTPError": (
        "NewConnectionError ConnectTimeoutError",
        "ProtocolError ReadTimeoutError TimeoutError IncompleteRead",
    ),
}


def classify_failure(error: BaseException) -> Failure:
    """Return how ``error`` (raised by ``requests``, ``urllib3``, ``httpx`` or a socket) failed."""
    if _is_tls(error):
        return Failure.FATAL
    for base, (not_sent, lost) in _TRANSPORT_RULES.items():
        module_name, base_name = base.rsplit(".", 1)
        module = sys.modules.get(module_name)
        if module is None or not isinstance(error, getattr(module, base_name)):
            continue
        for class_names, failure in ((not_sent, Failure.NOT_SENT), (lost, Failure.LOST)):
            if isinstance(error, tuple(getattr(module, name) for name in class_names.split())):
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


def describe_failure(error: BaseException) -> str:
    """Return a short, secret-free description of a transport failure (never a URL)."""
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


def _is_tls(error: BaseException | None) -> bool:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (ssl.SSLError, ssl.CertificateError)) or type(error).__name__ == "SSLError":
            return True
        error = error.__cause__ or error.__context__
    return False


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
    """Tell whether a failed request may be sent again: 429; 5xx or lost unless ``billable``; never sent."""
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


def parse_retry_after(value: str | None, *, cap: float = RETRY_AFTER_CAP_SECONDS) -> float | None:
    """Return the wait a ``Retry-After`` value asks for (delta seconds or HTTP date), capped; else None."""
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
    """Return the capped wait a response's ``Retry-After`` asks for (requests or httpx); else None."""
    return parse_retry_after(response.headers.get("Retry-After"), cap=cap)


@dataclass(frozen=True)
class RetryPolicy:
    """The connection's retry extras: attempts in all, backoff base and cap, longest ``Retry-After``."""

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


def decode_response(response: Any, method: str, url: str, *, billable: bool = False) -> Any:
    """Return the decoded JSON body of a successful response (None when empty), or raise its typed error."""
    safe_url = sanitize_url(url)
    status = int(response.status_code)
    if billable and status >= 500:
        raise CapellaAmbiguousCreateError.for_request(
            method, safe_url, reason=f"HTTP {status}", status=status
        )
    if status >= 400:
        retry_after = retry_after_seconds(response)
        raise error_from_response(
            status, response.content, method=method, url=safe_url, retry_after=retry_after
        )
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:
        text = f"{method} {safe_url} returned HTTP {status} with a body that is not JSON"
        raise CapellaServerError(text, status=status, method=method, url=safe_url) from None


def transport_error(
    error: BaseException, method: str, url: str, attempts: int, billable: bool
) -> CapellaError:
    """Return the typed error for a request that got no usable answer and will not be sent again."""
    safe_url, reason = sanitize_url(url), describe_failure(error)
    if billable and classify_failure(error) is Failure.LOST:
        return CapellaAmbiguousCreateError.for_request(method, safe_url, reason=reason)
    return CapellaConnectionError(
        f"{method} {safe_url} failed after {attempts} attempt(s): {reason}", method=method, url=safe_url
    )


def user_agent(role: str | None = None) -> str:
    """Return the provider's one User-Agent, with an optional role such as ``triggerer`` appended."""
    agent = f"{USER_AGENT_PREFIX}{__version__}"
    return f"{agent} ({role})" if role else agent


def authorization_header(api_key: str | None = None, token: str | None = None) -> str:
    """Return the ``Authorization`` value: ``ApiKey <key>`` (preferred) or ``Bearer <token>``."""
    for secret, prefix in ((api_key, "ApiKey"), (token, "Bearer")):
        if secret and secret.strip():
            value = secret.strip()
            scheme = value.split(" ", 1)[0].lower() if " " in value else ""
            return value if scheme in ("apikey", "bearer") else f"{prefix} {value}"
    raise ValueError("no API key or token configured")


def sanitize_url(url: str) -> str:
    """Return a URL fit for logs and messages: no query string (presigned signatures), no user info."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<unparseable url>"
    host = (parts.hostname or "") + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def origin(url: str) -> tuple[str, str, int | None]:
    """Return ``(scheme, host, port)`` of ``url``, the port made explicit, for same-origin checks."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


def new_api_session(agent: str, pool_size: int = POOL_SIZE) -> requests.Session:
    """Return a pooled ``requests`` session with the provider's User-Agent and no retries of its own."""
    import requests  # lazy: keeps `import airflow_provider_capella.operators` cheap at DAG parse time
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = agent
    return session


@dataclass(frozen=True)
class HeaderAuth:
    """``requests`` auth: set the Authorization header, or (``None``) drop it; also skips ``~/.netrc``."""

    value: str | None

    def __call__(self, request: Any) -> Any:
        request.headers.pop("Authorization", None)
        if self.value is not None:
            request.headers["Authorization"] = self.value
        return request

    def __repr__(self) -> str:
        return "HeaderAuth(***)"
