"""The policy over ``requests``: the hook's pooled, authenticated session to the Capella API.

:func:`send_with_policy` is the one blocking retry loop: it sends, asks
:meth:`~airflow_provider_capella._http.policy.RetryPolicy.decide`, sleeps, and raises the typed
transport error when the policy stops. :class:`CapellaHttp` (the hook's client) and the download
engine's ``asset_bytesize`` both use it; only what they send differs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_capella._http.errors import decode_response, log_retry, transport_error
from airflow_provider_capella._http.failures import classify_failure
from airflow_provider_capella._http.headers import origin, user_agent
from airflow_provider_capella._http.policy import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    POOL_SIZE,
    RetryPolicy,
    is_billable_create,
)

if TYPE_CHECKING:
    import requests


def send_with_policy(
    send: Callable[[], requests.Response],
    policy: RetryPolicy,
    *,
    method: str,
    url: str,
    billable: bool = False,
    sleep: Callable[[float], Any] = time.sleep,
) -> requests.Response:
    """Call ``send()`` until the policy stops; return the last response (success or final error answer).

    A retryable answer is closed before the next attempt. An ambiguous billable 5xx is returned as it
    is (the decoder turns it into ``CapellaAmbiguousCreateError``). A transport failure that is final,
    exhausted or ambiguous raises the typed error.

    :param send: sends the request once and returns the response (streamed or not).
    :param policy: the retry policy.
    :param method: the HTTP method (for logs and errors).
    :param url: the URL (sanitized before it is logged).
    :param billable: whether the request creates something billable.
    :param sleep: waits between attempts.

    Example::

        policy = RetryPolicy(max_attempts=3)
        response = send_with_policy(lambda: session.get(url, timeout=30), policy, method="GET", url=url)
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            response = send()
        except Exception as error:
            decision = policy.decide(attempt, failure=classify_failure(error), billable=billable)
            if not decision.retry:
                raise transport_error(error, method, url, attempt, decision) from None
            log_retry(method, url, type(error).__name__, attempt, decision.wait)
        else:
            decision = policy.decide(
                attempt, status=response.status_code, headers=response.headers, billable=billable
            )
            if not decision.retry:
                return response
            response.close()
            log_retry(method, url, decision.reason, attempt, decision.wait)
        sleep(decision.wait)


class CapellaHttp:
    """An authenticated, pooled ``requests`` session to one Capella API host, under the retry policy.

    :param base_url: the API base URL.
    :param authorization: the ``Authorization`` header value (see ``authorization_header``).
    :param timeout: ``(connect, read)`` seconds for every request.
    :param verify: TLS verification: a bool or a CA bundle path.
    :param retry: the retry policy (the default policy when None).
    :param user_agent: the User-Agent (the provider's one agent when None).

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
            self._session = new_api_session(self._user_agent or user_agent())
        return self._session

    def close(self) -> None:
        """Release the pooled connections (a new pool opens on the next request)."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def url_for(self, path_or_url: str) -> str:
        """Return the absolute URL of an API path (absolute URLs are kept)."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def is_api_host(self, url: str) -> bool:
        """Tell whether ``url`` is on the API host, i.e. may receive the Authorization header."""
        return origin(url) == origin(self.base_url)

    def is_billable(self, method: str, url: str) -> bool:
        """Tell whether sending ``method url`` creates something billable (so is never re-sent blindly)."""
        path = urlsplit(url).path[len(urlsplit(self.base_url).path) :]
        return self.is_api_host(url) and is_billable_create(method, path)

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

        Raises a :class:`~airflow_provider_capella.exceptions.CapellaError` subclass on failure.

        :param method: the HTTP method.
        :param path_or_url: a path relative to the base URL, or an absolute URL (e.g. a next-page link).
        :param json: the JSON body, if any.
        :param params: query parameters, if any.
        :param authorized_hosts: extra origins (e.g. a configured search URL) that may get the key.
        """
        url = self.url_for(path_or_url)
        billable = self.is_billable(method, url)
        may_authorize = self.is_api_host(url) or origin(url) in {origin(host) for host in authorized_hosts}
        auth = _HeaderAuth(self._authorization) if may_authorize else _NoAuth()

        def send_once() -> requests.Response:
            return self.session.request(
                method,
                url,
                json=json,
                params=params,
                headers={"Accept": "application/json"},
                auth=auth,
                timeout=self.timeout,
                verify=self.verify,
            )

        response = send_with_policy(send_once, self.retry, method=method, url=url, billable=billable)
        return decode_response(response, method, url, billable=billable)


def new_api_session(agent: str, pool_size: int = POOL_SIZE) -> requests.Session:
    """Return a pooled session with the provider's User-Agent and no retries of its own.

    :param agent: the User-Agent header.
    :param pool_size: keep-alive connections per host.
    """
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.trust_env = True
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = agent
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
    """requests auth hook for other hosts: no Authorization header at all (and no ~/.netrc)."""

    def __call__(self, request: Any) -> Any:
        request.headers.pop("Authorization", None)
        return request
