"""The one HTTP policy of the provider: pooled session, timeouts, retries and error mapping.

Everything that talks to the Capella API goes through :class:`CapellaHttp`; the download engine reuses
the primitives :func:`backoff_seconds`, :func:`retry_after_seconds`, :data:`RETRYABLE_STATUSES` and
:func:`sanitize_url` so that the whole provider backs off the same way.

Policy:

* every request has a connect and a read timeout;
* 429 (honouring ``Retry-After``, capped), 5xx, connection errors, dropped connections and timeouts are
  retried with capped exponential backoff and full jitter; no other 4xx is ever retried;
* requests that create billable things (``POST /task``, ``POST /repeat-requests``, ``POST /orders``) are
  retried only when they provably never reached the server (the connection could not be opened, or 429);
  any other failure raises :class:`~airflow_provider_capella.exceptions.CapellaAmbiguousCreateError`;
* the API key travels only in the ``Authorization`` header to the API host, and never appears in a log
  line or exception message.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import requests
    from tenacity import RetryCallState

log = logging.getLogger(__name__)

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

BILLABLE_CREATE_PATHS = frozenset({"/task", "/repeat-requests", "/orders"})
"""``POST`` to one of these paths creates something the customer pays for."""


def backoff_seconds(attempt: int, *, base: float = DEFAULT_RETRY_BASE_SECONDS, cap: float = 30.0) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): capped exponential with full jitter.

    Example::

        time.sleep(backoff_seconds(3))  # uniformly in [0, min(30, 0.5 * 2**2)]
    """
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return random.uniform(0.0, max(0.0, ceiling))


def retry_after_seconds(response: requests.Response, *, cap: float = RETRY_AFTER_CAP_SECONDS) -> float | None:
    """The wait a response asks for in ``Retry-After`` (delta seconds or HTTP date), capped; else None.

    Example::

        wait = retry_after_seconds(response) or backoff_seconds(attempt)
    """
    value = (response.headers.get("Retry-After") or "").strip()
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


def sanitize_url(url: str) -> str:
    """A URL fit for logs and messages: no query string (presigned signatures), no user info.

    Example::

        sanitize_url("https://bucket.s3.amazonaws.com/a.tif?Signature=abc")  # 'https://bucket.s3.amazonaws.com/a.tif'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def authorization_header(api_key: str | None = None, token: str | None = None) -> str:
    """The ``Authorization`` value: ``ApiKey <key>`` (preferred) or ``Bearer <token>``, prefix added if bare.

    Example::

        authorization_header(api_key="abc")  # 'ApiKey abc'
    """
    for secret, prefix in ((api_key, "ApiKey"), (token, "Bearer")):
        if secret and secret.strip():
            value = secret.strip()
            scheme = value.split(" ", 1)[0].lower() if " " in value else ""
            if scheme in ("apikey", "bearer"):
                return value
            return f"{prefix} {value}"
    raise ValueError("no API key or token configured")


def is_billable_create(method: str, path: str) -> bool:
    """Whether ``method path`` creates a billable tasking request, repeat request or order."""
    return method.upper() == "POST" and path.rstrip("/") in BILLABLE_CREATE_PATHS


def never_reached_server(error: BaseException) -> bool:
    """True when the request provably was not received: the connection could not be opened, or the
    request could not even be built (invalid URL or header)."""
    import requests

    if isinstance(
        error,
        (
            requests.exceptions.ConnectTimeout,
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidHeader,
        ),
    ):
        return True
    if isinstance(error, requests.exceptions.SSLError) or not isinstance(
        error, requests.exceptions.ConnectionError
    ):
        return False
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    cause: Any = error.args[0] if error.args else None
    reason = getattr(cause, "reason", cause)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def is_transient_transport_error(error: BaseException) -> bool:
    """Connection errors, dropped connections and timeouts (not TLS verification failures)."""
    import requests

    if isinstance(error, requests.exceptions.SSLError):
        return False
    return isinstance(
        error,
        (
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ),
    )


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts and how long to wait between them.

    Example::

        RetryPolicy(max_attempts=3, base_seconds=0.01)
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_seconds: float = DEFAULT_RETRY_BASE_SECONDS
    cap_seconds: float = DEFAULT_RETRY_CAP_SECONDS
    retry_after_cap_seconds: float = RETRY_AFTER_CAP_SECONDS


class _RetryableStatus(Exception):
    """Internal: a response whose status is worth another attempt (carries the response)."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class CapellaHttp:
    """An authenticated, pooled session to one Capella API host, with the provider's retry policy.

    Example::

        http = CapellaHttp("https://api.capellaspace.com", authorization="ApiKey KEY")
        user = http.request("GET", "/user")
    """

    def __init__(
        self,
        base_url: str,
        *,
        authorization: str,
        timeout: tuple[float, float] = (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT),
        verify: bool | str = True,
        retry: RetryPolicy | None = None,
        user_agent: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.verify = verify
        self.retry = retry or RetryPolicy()
        self._authorization = authorization
        self._user_agent = user_agent
        self._session: requests.Session | None = None

    def __repr__(self) -> str:
        return f"CapellaHttp({self.base_url!r})"

    @property
    def session(self) -> requests.Session:
        """The pooled session; the Authorization header is added per request, only for the API host."""
        if self._session is None:
            self._session = _new_session(self._user_agent)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def url_for(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def is_api_host(self, url: str) -> bool:
        """Whether ``url`` is on the API host, i.e. may receive the Authorization header."""
        return _origin(url) == _origin(self.base_url)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        authorized_hosts: tuple[str, ...] = (),
    ) -> Any:
        """Send one API call under the retry policy; return the decoded JSON body (None if empty).

        ``authorized_hosts`` lists extra origins (e.g. a configured search URL) that may get the key.
        Raises a :class:`~airflow_provider_capella.exceptions.CapellaError` subclass on failure.
        """
        import requests
        from tenacity import RetryError

        url = self.url_for(path_or_url)
        billable = is_billable_create(method, urlsplit(url).path[len(urlsplit(self.base_url).path) :])
        may_authorize = self.is_api_host(url) or _origin(url) in {_origin(host) for host in authorized_hosts}
        auth = _HeaderAuth(self._authorization) if may_authorize else _NoAuth()

        def send_once() -> requests.Response:
            response = self.session.request(
                method,
                url,
                json=json,
                params=params,
                headers={"Accept": "application/json"},
                auth=auth,
                timeout=self.timeout,
                verify=self.verify,
            )
            if response.status_code in RETRYABLE_STATUSES and (not billable or response.status_code == 429):
                raise _RetryableStatus(response)
            return response

        try:
            response = self._retrying(method, url, billable)(send_once)
        except RetryError as exhausted:
            response = self._final_failure(exhausted.last_attempt.exception(), method, url, billable)
        except requests.RequestException as error:  # not retryable (e.g. TLS) or an ambiguous billable create
            response = self._final_failure(error, method, url, billable)
        return _decode(response, method, url, billable)

    def _retrying(self, method: str, url: str, billable: bool) -> Any:
        from tenacity import Retrying, stop_after_attempt

        return Retrying(
            stop=stop_after_attempt(max(1, self.retry.max_attempts)),
            wait=self._wait,
            retry=self._should_retry_for(billable),
            before_sleep=self._log_retry(method, url),
            reraise=False,
        )

    def _should_retry_for(self, billable: bool) -> Any:
        from tenacity import retry_if_exception

        def should_retry(error: BaseException) -> bool:
            if isinstance(error, _RetryableStatus):
                return True
            if billable and not never_reached_server(error):
                return False
            return is_transient_transport_error(error)

        return retry_if_exception(should_retry)

    def _wait(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, _RetryableStatus):
            requested = retry_after_seconds(error.response, cap=self.retry.retry_after_cap_seconds)
            if requested is not None:
                return requested
        return backoff_seconds(
            retry_state.attempt_number, base=self.retry.base_seconds, cap=self.retry.cap_seconds
        )

    @staticmethod
    def _log_retry(method: str, url: str) -> Any:
        safe_url = sanitize_url(url)

        def before_sleep(retry_state: RetryCallState) -> None:
            error = retry_state.outcome.exception() if retry_state.outcome else None
            what = (
                f"HTTP {error.response.status_code}"
                if isinstance(error, _RetryableStatus)
                else type(error).__name__
            )
            wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
            log.warning(
                "Capella API %s %s failed (%s); retry %d in %.2fs",
                method,
                safe_url,
                what,
                retry_state.attempt_number,
                wait,
            )

        return before_sleep

    def _final_failure(
        self, error: BaseException | None, method: str, url: str, billable: bool
    ) -> requests.Response:
        """A response to map (retries exhausted on a status), or raise the typed transport error."""
        from airflow_provider_capella import exceptions

        if isinstance(error, _RetryableStatus):
            return error.response
        safe_url = sanitize_url(url)
        if billable and error is not None and not never_reached_server(error):
            raise exceptions.CapellaAmbiguousCreateError.for_request(
                method, safe_url, reason=_describe(error)
            ) from None
        raise exceptions.CapellaConnectionError(
            f"{method} {safe_url} failed after {self.retry.max_attempts} attempt(s): {_describe(error)}",
            method=method,
            url=safe_url,
        ) from None


def _decode(response: requests.Response, method: str, url: str, billable: bool) -> Any:
    from airflow_provider_capella import exceptions

    safe_url = sanitize_url(url)
    if response.status_code >= 400:
        if billable and response.status_code >= 500:
            raise exceptions.CapellaAmbiguousCreateError.for_request(
                method, safe_url, reason=f"HTTP {response.status_code}", status=response.status_code
            )
        raise exceptions.error_from_response(
            response.status_code,
            response.content,
            method=method,
            url=safe_url,
            retry_after=retry_after_seconds(response),
        )
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise exceptions.CapellaServerError(
            f"{method} {safe_url} returned HTTP {response.status_code} with a body that is not JSON",
            status=response.status_code,
            method=method,
            url=safe_url,
        ) from None


def _describe(error: BaseException | None) -> str:
    """A short, secret-free description of a transport error (no URLs with query strings)."""
    if error is None:
        return "unknown error"
    import requests

    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(error, requests.exceptions.ReadTimeout):
        return "no response before the read timeout"
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS error (check the connection's `verify` extra)"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "connection dropped while reading the response"
    if never_reached_server(error):
        return "could not connect"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "connection dropped"
    return type(error).__name__


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _new_session(user_agent: str | None) -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.trust_env = True
    adapter = HTTPAdapter(pool_connections=POOL_SIZE, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if user_agent:
        session.headers["User-Agent"] = user_agent
    return session


class _HeaderAuth:
    """requests auth hook: sets the Authorization header (passing ``auth`` also disables ~/.netrc lookup)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "_HeaderAuth(***)"


class _NoAuth:
    """requests auth hook for non-API hosts: no Authorization header at all (and no ~/.netrc)."""

    def __call__(self, request: Any) -> Any:
        request.headers.pop("Authorization", None)
        return request
