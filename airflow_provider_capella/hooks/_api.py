"""What every resource function receives: the one HTTP client, the search URL and the caller's identity.

The resource modules (``_catalog``, ``_orders``, ``_requests``, ``_downloads``) are plain functions of a
:class:`CapellaApi`; :class:`~airflow_provider_capella.hooks.capella.CapellaHook` builds one per
connection and delegates to them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable

    from airflow_provider_capella._http import CapellaHttp

MAX_CONCURRENCY = 8
"""At most this many API calls in flight from one hook method (paging, bulk cancel/update)."""


class CapellaApi:
    """The authenticated client plus what resource functions need beside it.

    :param http: the one HTTP client (retry policy, error decoding, credential scoping).
    :param search_url: the catalog search endpoint of the connection.
    :param log: where resource functions report progress (the hook's logger).

    Example::

        api = CapellaApi(http_client(settings), search_url=settings.search_url, log=hook.log)
        user = api.user()
    """

    def __init__(self, http: CapellaHttp, *, search_url: str, log: logging.Logger | Any) -> None:
        self.http = http
        self.search_url = search_url
        self.log = log
        self._user: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        authorized_hosts: tuple[str, ...] = (),
    ) -> Any:
        """Send one API request through the HTTP policy; return the decoded JSON answer.

        :param method: the HTTP method.
        :param path: a path below the base URL, or an absolute URL on an authorized host.
        :param json: the JSON body, if any.
        :param params: query parameters, if any.
        :param authorized_hosts: further URLs (beyond the base URL) the credential may be sent to.
        :return: the decoded answer (``None`` for an empty body).
        """
        return self.http.request(method, path, json=json, params=params, authorized_hosts=authorized_hosts)

    def user(self) -> dict[str, Any]:
        """Return ``GET /user`` (fetched once): the user and organization ids scoping searches and orders.

        :return: the user record (``id``, ``organizationId``, ``email``, ...).
        """
        if self._user is None:
            self.remember_user(self.call("GET", "/user"))
        return self._user  # type: ignore[return-value]

    def remember_user(self, user: dict[str, Any]) -> None:
        """Keep a freshly fetched ``GET /user`` answer for later scoping.

        :param user: the user record.
        """
        with self._lock:
            self._user = user

    def each(self, function: Callable[[str], Any], keys: Iterable[str]) -> dict[str, Any]:
        """Return ``{key: function(key)}`` with at most :data:`MAX_CONCURRENCY` calls in flight, in order.

        :param function: the call to make per key.
        :param keys: the keys (ids), in the order the result keeps.
        :return: each key's result.
        """
        ordered = list(keys)
        if len(ordered) <= 1:
            return {key: function(key) for key in ordered}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENCY, len(ordered))) as pool:
            futures = {key: pool.submit(function, key) for key in ordered}
            return {key: future.result() for key, future in futures.items()}

    def close(self) -> None:
        """Release the client's pooled connections."""
        self.http.close()
