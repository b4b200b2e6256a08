"""The policy over ``httpx``: the async client a trigger uses, never blocking the event loop.

It follows the same :class:`~airflow_provider_capella._http.policy.RetryPolicy` decisions, the same
error decoder and the same billable-create rule as the sync client; only the transport differs:
``httpx.AsyncClient`` from a per-loop shared pool (:mod:`~airflow_provider_capella._http.aio_pool`),
and ``asyncio.sleep`` between attempts. ``httpx`` is imported at module level so that no import
happens inside the event loop.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from airflow_provider_capella._http.aio_pool import ClientSettings, PoolLease
from airflow_provider_capella._http.errors import decode_response, log_retry, transport_error
from airflow_provider_capella._http.failures import classify_failure
from airflow_provider_capella._http.headers import sanitize_url, user_agent
from airflow_provider_capella._http.policy import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    RetryPolicy,
    is_billable_create,
)

if TYPE_CHECKING:
    from types import TracebackType


class AsyncCapellaHttp:
    """An async client to one Capella API host, under the provider's one retry policy.

    Use it as an async context manager: entering takes a share of the event loop's pooled
    ``httpx.AsyncClient`` for these settings, leaving gives it back.

    :param base_url: the API base URL.
    :param authorization: the ``Authorization`` header value.
    :param timeout: ``(connect, read)`` seconds for every request.
    :param verify: TLS verification: a bool or a CA bundle path.
    :param retry: the retry policy (the default policy when None).
    :param user_agent: the User-Agent (the provider's one agent, role ``triggerer``, when None).

    Example::

        async with AsyncCapellaHttp("https://api.capellaspace.com", authorization="ApiKey KEY") as http:
            task = await http.request("GET", "/task/6a8e5c2f-2a0e-4d3b-9d5f-0f1e2d3c4b5a")
    """

    def __init__(  # the sync CapellaHttp's options, mirrored on purpose: one client, two transports
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
        self.retry = retry or RetryPolicy()
        self._settings = ClientSettings(
            self.base_url, authorization, timeout, verify, user_agent or _triggerer_agent()
        )
        self._lease: PoolLease | None = None
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None

    def __repr__(self) -> str:
        return f"AsyncCapellaHttp({self.base_url!r})"

    async def __aenter__(self) -> AsyncCapellaHttp:
        lease = PoolLease(self._settings)
        self._client, self._slots = await lease.acquire()
        self._lease = lease
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Give the pooled client back (closing it when this was its last user)."""
        lease, self._lease, self._client, self._slots = self._lease, None, None, None
        if lease is not None:
            await lease.release()

    async def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """Send one API call under the retry policy; return the decoded JSON body (None if empty).

        Raises the typed :class:`~airflow_provider_capella.exceptions.CapellaError` the sync client
        would raise, including ``CapellaAmbiguousCreateError`` for a billable create never re-sent.

        :param method: the HTTP method.
        :param path: a path relative to the base URL (this client only talks to the API host).
        :param json: the JSON body, if any.
        :param params: query parameters, if any.
        """
        client, slots = self._require_open()
        if "://" in path:
            raise ValueError(f"`path` must be relative to the API base URL, got {sanitize_url(path)!r}")
        url = f"{self.base_url}/{path.lstrip('/')}"
        billable = is_billable_create(method, "/" + path.lstrip("/"))
        attempt = 0
        while True:
            attempt += 1
            try:
                async with slots:
                    response = await client.request(method, url, json=json, params=params)
            except httpx.TransportError as error:
                decision = self.retry.decide(attempt, failure=classify_failure(error), billable=billable)
                if not decision.retry:
                    raise transport_error(error, method, url, attempt, decision) from None
                log_retry(method, url, type(error).__name__, attempt, decision.wait)
            else:
                decision = self.retry.decide(
                    attempt, status=response.status_code, headers=response.headers, billable=billable
                )
                if not decision.retry:
                    return decode_response(response, method, url, billable=billable)
                log_retry(method, url, decision.reason, attempt, decision.wait)
            await asyncio.sleep(decision.wait)

    def _require_open(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        if self._client is None or self._slots is None:
            raise RuntimeError("use AsyncCapellaHttp as `async with AsyncCapellaHttp(...) as http:`")
        return self._client, self._slots


def _triggerer_agent() -> str:
    return user_agent("triggerer")
