"""A Capella connection → :class:`ConnectionSettings` → the one authenticated :class:`CapellaHttp`.

:class:`~airflow_provider_capella.hooks.capella.CapellaHook` and its async twin read connections with
:meth:`ConnectionSettings.from_connection`; :func:`http_client` builds the sync client from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_capella import _http
from airflow_provider_capella.constants import DEFAULT_BASE_URL
from airflow_provider_capella.exceptions import CapellaAuthenticationError, CapellaValidationError


@dataclass(frozen=True)
class ConnectionSettings:
    """What a Capella connection resolves to. ``repr`` never shows the credential.

    Example::

        ConnectionSettings.from_connection(BaseHook.get_connection("capella_default"))
    """

    base_url: str
    search_url: str
    authorization: str
    timeout: tuple[float, float]
    verify: bool | str
    retry: _http.RetryPolicy

    def __repr__(self) -> str:
        return f"ConnectionSettings(base_url={self.base_url!r}, search_url={self.search_url!r})"

    @classmethod
    def from_connection(cls, conn: Any) -> ConnectionSettings:
        """Resolve an Airflow connection; raise ``CapellaAuthenticationError`` when it has no credential.

        :param conn: the Airflow ``Connection`` (host, port, password, extras).
        :return: the settings, the credential folded into the ``Authorization`` header value.
        """
        extra = dict(conn.extra_dejson or {})
        base_url = normalize_base_url(conn.host, conn.port)
        api_key = conn.password or extra.get("api_key")
        token = extra.get("token")
        if not (api_key and str(api_key).strip()) and not (token and str(token).strip()):
            raise CapellaAuthenticationError(
                f"Capella connection {conn.conn_id!r} has no API key (password) and no `token` extra"
            )
        search_url = str(extra.get("search_url") or "").strip() or f"{base_url}/catalog/search"
        if "://" not in search_url:
            search_url = f"https://{search_url}"
        return cls(
            base_url=base_url,
            search_url=search_url.rstrip("/"),
            authorization=_http.authorization_header(api_key=api_key, token=token),
            timeout=parse_timeout(extra.get("timeout")),
            verify=parse_verify(extra.get("verify")),
            retry=_http.RetryPolicy(
                max_attempts=1 + int(_extra_number(extra, "max_retries", _http.DEFAULT_MAX_ATTEMPTS - 1)),
                base_seconds=_extra_number(extra, "retry_base_seconds", _http.DEFAULT_RETRY_BASE_SECONDS),
                cap_seconds=_extra_number(extra, "retry_cap_seconds", _http.DEFAULT_RETRY_CAP_SECONDS),
                retry_after_cap_seconds=_extra_number(
                    extra, "retry_after_cap_seconds", _http.RETRY_AFTER_CAP_SECONDS
                ),
            ),
        )


def normalize_base_url(host: str | None, port: int | None = None) -> str:
    """Return the API base URL of a connection host: ``https://`` added when no scheme, ``http://`` kept."""
    raw = (host or "").strip().rstrip("/")
    if not raw:
        return DEFAULT_BASE_URL
    if "://" not in raw:
        raw = f"https://{raw}"
    if port:
        scheme, rest = raw.split("://", 1)
        authority, slash, path = rest.partition("/")
        if ":" not in authority.rsplit("]", 1)[-1]:
            raw = f"{scheme}://{authority}:{port}{slash}{path}"
    return raw


def parse_timeout(value: Any) -> tuple[float, float]:
    """Parse the ``timeout`` extra: seconds (the read timeout), ``[connect, read]`` or ``"connect,read"``."""
    if value is None or value == "":
        return (_http.DEFAULT_CONNECT_TIMEOUT, _http.DEFAULT_READ_TIMEOUT)
    parts = value.split(",") if isinstance(value, str) else value
    try:
        if isinstance(parts, list | tuple):
            connect, read = (float(part) for part in parts)
        else:
            read = float(parts)
            connect = min(_http.DEFAULT_CONNECT_TIMEOUT, read)
    except (TypeError, ValueError):
        raise CapellaValidationError.argument_error(
            "timeout", f"connection extra must be seconds or [connect, read], got {value!r}"
        ) from None
    if connect <= 0 or read <= 0:
        raise CapellaValidationError.argument_error("timeout", f"must be positive, got {value!r}")
    return (connect, read)


def parse_verify(value: Any) -> bool | str:
    """Parse the ``verify`` extra: a bool, "true"/"false", or a CA bundle path."""
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    return str(value)


def _extra_number(extra: dict[str, Any], key: str, default: float) -> float:
    value = extra.get(key)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CapellaValidationError.argument_error(
            key, f"connection extra must be a number, got {value!r}"
        ) from None
    if number < 0:
        raise CapellaValidationError.argument_error(key, f"connection extra must be >= 0, got {value!r}")
    return number


def http_client(settings: ConnectionSettings) -> _http.CapellaHttp:
    """Build the authenticated HTTP client (pooled session + the retry policy) for ``settings``.

    :param settings: the resolved connection.
    :return: a new :class:`~airflow_provider_capella._http.CapellaHttp`; close it when done.

    Example::

        client = http_client(ConnectionSettings.from_connection(conn))
    """
    return _http.CapellaHttp(
        settings.base_url,
        authorization=settings.authorization,
        timeout=settings.timeout,
        verify=settings.verify,
        retry=settings.retry,
        user_agent=_user_agent(),
    )


def _user_agent() -> str:
    from airflow_provider_capella import __version__

    return f"airflow-provider-capella/{__version__}"
