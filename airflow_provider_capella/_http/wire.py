"""What every request carries and how its answer is read: credentials, User-Agent, safe URLs, decoding.

The API key travels only in the ``Authorization`` header, only to the API host; presigned asset URLs
never get it. Log lines and exception messages show :func:`sanitize_url` forms only (no query string,
no user info). :func:`decode_response` turns a final answer of ``requests`` or ``httpx`` into JSON or
the typed ``CapellaError``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_capella import __version__
from airflow_provider_capella._http.failures import Failure, classify_failure, describe_failure
from airflow_provider_capella.exceptions import (
    CapellaAmbiguousCreateError,
    CapellaConnectionError,
    CapellaError,
    CapellaServerError,
    error_from_response,
)

if TYPE_CHECKING:
    import requests

RETRY_AFTER_CAP_SECONDS = 60.0
"""The longest ``Retry-After`` honoured for one wait (connection extra ``retry_after_cap_seconds``)."""
POOL_SIZE = 16
"""Pooled connections per API host, for the sync session and the triggerer's shared async client."""
USER_AGENT_PREFIX = "airflow-provider-capella/"


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


def decode_response(response: Any, method: str, url: str, *, billable: bool = False) -> Any:
    """Return the decoded JSON body of a successful response (None when empty), or raise its typed error."""
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
