"""The hook's foundation: the Airflow connection → settings → one authenticated :class:`CapellaHttp`.

Resource mixins (catalog, orders, tasking, repeat, downloads) build on :class:`HookCore`; the public
:class:`~airflow_provider_capella.hooks.capella.CapellaHook` composes them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from airflow_provider_capella import _http
from airflow_provider_capella.exceptions import CapellaAuthenticationError, CapellaValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

DEFAULT_BASE_URL = "https://api.capellaspace.com"
MAX_CONCURRENCY = 8
"""At most this many API calls in flight from one hook method (paging, bulk cancel/update)."""


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
    """The API base URL from the connection host: https:// added when no scheme, http:// kept."""
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
    """``timeout`` extra: seconds (the read timeout), ``[connect, read]`` or ``"connect,read"``."""
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
    """``verify`` extra: a bool, "true"/"false", or a CA bundle path."""
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


class HookCore(BaseHook):
    """Connection handling and the raw API call shared by every resource mixin."""

    conn_name_attr = "capella_conn_id"
    default_conn_name = "capella_default"
    conn_type = "capella"
    hook_name = "Capella Space"

    def __init__(self, capella_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.capella_conn_id = capella_conn_id
        self._settings: ConnectionSettings | None = None
        self._client: _http.CapellaHttp | None = None
        self._user: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def settings(self) -> ConnectionSettings:
        """The resolved connection (fetched once per hook)."""
        if self._settings is None:
            self._settings = ConnectionSettings.from_connection(self.get_connection(self.capella_conn_id))
        return self._settings

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def search_url(self) -> str:
        return self.settings.search_url

    def get_conn(self) -> _http.CapellaHttp:
        """The authenticated HTTP client (pooled session + retry policy) for this connection."""
        with self._lock:
            if self._client is None:
                settings = self.settings
                self._client = _http.CapellaHttp(
                    settings.base_url,
                    authorization=settings.authorization,
                    timeout=settings.timeout,
                    verify=settings.verify,
                    retry=settings.retry,
                    user_agent=_user_agent(),
                )
            return self._client

    def close(self) -> None:
        """Release pooled connections (the hook stays usable; a new pool opens on the next call)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _api(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        authorized_hosts: tuple[str, ...] = (),
    ) -> Any:
        return self.get_conn().request(
            method, path, json=json, params=params, authorized_hosts=authorized_hosts
        )

    def _user_info(self) -> dict[str, Any]:
        """``GET /user``, once per hook: the user and organization ids that scope searches and orders."""
        if self._user is None:
            self._user = self._api("GET", "/user")
        return self._user

    def _run_bounded(self, function: Callable[[str], Any], keys: Iterable[str]) -> dict[str, Any]:
        """``{key: function(key)}`` with at most :data:`MAX_CONCURRENCY` calls in flight, keys in order."""
        ordered = list(keys)
        if len(ordered) <= 1:
            return {key: function(key) for key in ordered}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENCY, len(ordered))) as pool:
            futures = {key: pool.submit(function, key) for key in ordered}
            return {key: future.result() for key, future in futures.items()}


def _user_agent() -> str:
    from airflow_provider_capella import __version__

    return f"airflow-provider-capella/{__version__}"
