"""The hook's async twin for triggers: read-only Capella API calls that never block the event loop.

A triggerer runs many triggers in one event loop, so everything here is ``async``: the connection comes
from ``await BaseHook.aget_connection(...)``, requests go through ``httpx.AsyncClient`` (it ships with
Airflow 3), waits between attempts are ``asyncio.sleep``, and the imports are at module level so none
happens inside the loop. The retry policy is the provider's one policy
(:mod:`airflow_provider_capella._http`): 429 (honouring ``Retry-After``), 5xx and transport errors are
retried with capped exponential backoff and jitter, as configured on the connection; no other 4xx is.

All triggers of one process that use the same API host and credential share one client per event loop,
with at most :data:`MAX_CONNECTIONS` connections and requests in flight, so a thousand waiting triggers
open a handful of connections rather than a thousand. Only ``GET`` is offered: a trigger only ever
reads, and nothing billable can be sent twice by a retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import ssl
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

import httpx
from airflow.sdk import BaseHook

from airflow_provider_capella import _http
from airflow_provider_capella.exceptions import (
    CapellaConnectionError,
    CapellaError,
    CapellaServerError,
    error_from_response,
)
from airflow_provider_capella.hooks._core import ConnectionSettings

if TYPE_CHECKING:
    from types import TracebackType

log = logging.getLogger(__name__)

USER_AGENT_PREFIX = "airflow-provider-capella/"

MAX_CONNECTIONS = _http.POOL_SIZE
"""Open connections, and requests in flight, per (event loop, API host, credential), shared by every
trigger using them (the sync hook's pool size)."""


class CapellaAsyncHook:
    """Async, read-only access to the Capella API from a trigger; use it as an async context manager.

    The connection is resolved with ``await BaseHook.aget_connection(capella_conn_id)`` when the block
    is entered; the pooled HTTP client is shared with every other trigger of the process that talks to
    the same host with the same credential, and released when the block is left.

    :param capella_conn_id: the Airflow connection id (default ``capella_default``).

    Example::

        async with CapellaAsyncHook("capella_default") as hook:
            task = await hook.get_task("6a8e5c2f-2a0e-4d3b-9d5f-0f1e2d3c4b5a")
    """

    default_conn_name = "capella_default"

    def __init__(self, capella_conn_id: str = default_conn_name) -> None:
        self.capella_conn_id = capella_conn_id
        self._settings: ConnectionSettings | None = None
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._lease: _PoolLease | None = None

    def __repr__(self) -> str:
        return f"CapellaAsyncHook({self.capella_conn_id!r})"

    async def __aenter__(self) -> CapellaAsyncHook:
        self._settings = await aget_settings(self.capella_conn_id)
        self._lease = _PoolLease(self._settings)
        self._client, self._slots = await self._lease.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        lease, self._lease, self._client, self._slots = self._lease, None, None, None
        if lease is not None:
            await lease.release()

    async def get_task(self, tasking_request_id: str) -> dict[str, Any]:
        """One tasking request Feature (``GET /task/{id}``), under the retry policy.

        Example::

            task = await hook.get_task(task_id)
            latest = task["properties"]["statusHistory"][0]["code"]
        """
        return await self.get_json(f"/task/{quote(str(tasking_request_id), safe='')}")

    async def get_json(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        """``GET`` an API path (relative to the connection's base URL); return the decoded JSON body.

        Retries 429, 5xx and transport errors as the connection's retry policy says, then raises the
        typed :class:`~airflow_provider_capella.exceptions.CapellaError` the sync hook would raise.
        """
        client, slots, settings = self._require_open()
        url = f"{settings.base_url}/{path.lstrip('/')}"
        policy = settings.retry
        attempts = max(1, policy.max_attempts)
        for attempt in range(1, attempts + 1):
            try:
                async with slots:
                    response = await client.get(url, params=params)
            except httpx.TransportError as error:
                if attempt == attempts or not is_transient_transport_error(error):
                    raise _transport_failure(error, url, attempt) from None
                wait = _http.backoff_seconds(attempt, base=policy.base_seconds, cap=policy.cap_seconds)
                _log_retry(url, type(error).__name__, attempt, wait)
            else:
                if response.status_code not in _http.RETRYABLE_STATUSES or attempt == attempts:
                    return decode_response(response, url)
                wait = _retry_wait(response, attempt, policy)
                _log_retry(url, f"HTTP {response.status_code}", attempt, wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _require_open(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore, ConnectionSettings]:
        if self._client is None or self._slots is None or self._settings is None:
            raise RuntimeError("use CapellaAsyncHook as `async with CapellaAsyncHook(...) as hook:`")
        return self._client, self._slots, self._settings


async def aget_settings(conn_id: str) -> ConnectionSettings:
    """The connection's settings, fetched without blocking the loop.

    Lookups of the same connection that overlap in time share one fetch: a triggerer that starts a
    thousand triggers at once asks its secrets backends once, not a thousand times in one loop turn.
    Nothing is cached beyond that: a trigger starting later sees the connection as it is then.
    """
    loop = asyncio.get_running_loop()
    in_flight = _LOOKUPS_BY_LOOP.setdefault(loop, {})
    lookup = in_flight.get(conn_id)
    if lookup is None:
        lookup = in_flight[conn_id] = asyncio.ensure_future(_fetch_settings(conn_id))
        lookup.add_done_callback(lambda _: in_flight.pop(conn_id, None))
    return await asyncio.shield(lookup)


_LOOKUPS_BY_LOOP: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, asyncio.Future[ConnectionSettings]]
] = weakref.WeakKeyDictionary()


async def _fetch_settings(conn_id: str) -> ConnectionSettings:
    """One connection lookup.

    ``await BaseHook.aget_connection(conn_id)`` is the way on every supported Airflow. Airflow 3.1's
    version only works inside a supervised process (a worker or the triggerer): elsewhere, such as a
    script driving triggers itself, it fails to import the supervisor channel. Then, or should the
    method be missing, the blocking ``get_connection`` (which reads the secrets backends first) runs in
    a worker thread instead.
    """
    aget_connection = getattr(BaseHook, "aget_connection", None)
    conn = None
    if aget_connection is not None:
        try:
            conn = await aget_connection(conn_id)
        except ImportError:  # Airflow 3.1 outside a supervised process
            conn = None
    if conn is None:
        try:
            conn = await asyncio.to_thread(BaseHook.get_connection, conn_id)
        except ImportError:  # Airflow 3.1 outside a supervised process: only the secrets backends
            raise LookupError(f"The conn_id `{conn_id}` isn't defined in any secrets backend") from None
    return ConnectionSettings.from_connection(conn)


def decode_response(response: httpx.Response, url: str) -> Any:
    """The JSON body of a successful response, or the typed error for a failed one."""
    safe_url = _http.sanitize_url(url)
    if response.status_code >= 400:
        raise error_from_response(
            response.status_code,
            response.content,
            method="GET",
            url=safe_url,
            retry_after=_http.retry_after_seconds(cast(Any, response)),
        )
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise CapellaServerError(
            f"GET {safe_url} returned HTTP {response.status_code} with a body that is not JSON",
            status=response.status_code,
            method="GET",
            url=safe_url,
        ) from None


def is_transient_transport_error(error: BaseException) -> bool:
    """Connection errors, dropped connections and timeouts; not TLS verification failures."""
    if not isinstance(error, httpx.TransportError):
        return False
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return False
        cause = cause.__cause__ or cause.__context__
    return isinstance(error, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError))


def _retry_wait(response: httpx.Response, attempt: int, policy: _http.RetryPolicy) -> float:
    # retry_after_seconds reads only ``response.headers.get``, which httpx offers as requests does
    requested = _http.retry_after_seconds(cast(Any, response), cap=policy.retry_after_cap_seconds)
    if requested is not None:
        return requested
    return _http.backoff_seconds(attempt, base=policy.base_seconds, cap=policy.cap_seconds)


def _transport_failure(error: BaseException, url: str, attempts: int) -> CapellaError:
    safe_url = _http.sanitize_url(url)
    if isinstance(error, httpx.ConnectError) and not is_transient_transport_error(error):
        reason = "TLS error (check the connection's `verify` extra)"
    elif isinstance(error, httpx.ConnectTimeout):
        reason = "connection timed out"
    elif isinstance(error, httpx.TimeoutException):
        reason = "no response before the timeout"
    elif isinstance(error, httpx.ConnectError):
        reason = "could not connect"
    elif isinstance(error, httpx.RemoteProtocolError):
        reason = "connection dropped"
    else:
        reason = type(error).__name__
    return CapellaConnectionError(
        f"GET {safe_url} failed after {attempts} attempt(s): {reason}", method="GET", url=safe_url
    )


def _log_retry(url: str, what: str, attempt: int, wait: float) -> None:
    log.warning(
        "Capella API GET %s failed (%s); retry %d in %.2fs", _http.sanitize_url(url), what, attempt, wait
    )


# --- the shared pool ------------------------------------------------------------------------------


@dataclass
class _Pool:
    """One shared client being created or in use, how many hooks hold it, and its request slots.

    Requests wait for a slot *before* entering the client: httpcore's pool rescans every queued
    request whenever a connection frees up, which for a thousand waiting requests blocks the loop
    for seconds; a semaphore hands out its slots in O(1), first come first served.
    """

    creation: asyncio.Future[httpx.AsyncClient]
    users: int = 0
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_CONNECTIONS))


@dataclass
class _Pools:
    """The pools of one event loop, by (base URL, credential digest, TLS and timeout settings)."""

    by_key: dict[tuple[Any, ...], _Pool] = field(default_factory=dict)


_POOLS_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pools] = weakref.WeakKeyDictionary()


class _PoolLease:
    """Takes a share of the loop's pooled client for some settings, and gives it back (closing the
    client when its last user leaves)."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self._settings = settings
        self._key = _pool_key(settings)
        self._pools: _Pools | None = None
        self._pool: _Pool | None = None

    async def acquire(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        pools = _POOLS_BY_LOOP.setdefault(loop, _Pools())
        pool = pools.by_key.get(self._key)
        if pool is None:
            # building a client loads CA certificates from disk: do it off the loop, once per pool
            creation = asyncio.ensure_future(asyncio.to_thread(new_async_client, self._settings))
            pool = pools.by_key[self._key] = _Pool(creation)
        pool.users += 1
        self._pools, self._pool = pools, pool
        try:
            return await asyncio.shield(pool.creation), pool.slots
        except BaseException:
            await self.release()
            raise

    async def release(self) -> None:
        pools, pool, self._pools, self._pool = self._pools, self._pool, None, None
        if pools is None or pool is None:
            return
        pool.users -= 1
        if pool.users > 0:
            return
        if pools.by_key.get(self._key) is pool:
            del pools.by_key[self._key]
        if not pool.creation.done():
            pool.creation.add_done_callback(_close_when_built)
        elif not pool.creation.cancelled() and pool.creation.exception() is None:
            await pool.creation.result().aclose()


_CLOSING: set[asyncio.Future[None]] = set()
"""Closes of clients whose last user left while they were still being built (kept until done)."""


def _close_when_built(creation: asyncio.Future[httpx.AsyncClient]) -> None:
    if not creation.cancelled() and creation.exception() is None:
        closing = asyncio.ensure_future(creation.result().aclose())
        _CLOSING.add(closing)
        closing.add_done_callback(_CLOSING.discard)


def _pool_key(settings: ConnectionSettings) -> tuple[Any, ...]:
    credential = hashlib.sha256(settings.authorization.encode()).hexdigest()
    return (settings.base_url, credential, settings.verify, settings.timeout)


def new_async_client(settings: ConnectionSettings) -> httpx.AsyncClient:
    """A pooled ``httpx.AsyncClient`` for the API host of ``settings`` (blocking: loads CA certificates).

    The Authorization header is a default header of this client, which only ever requests URLs on the
    API host and never follows redirects. The User-Agent ends in ``(triggerer)``, so API-side logs tell
    a deferred wait's polls from a worker's calls.
    """
    from airflow_provider_capella import __version__

    connect, read = settings.timeout
    return httpx.AsyncClient(
        headers={
            "Authorization": settings.authorization,
            "Accept": "application/json",
            "User-Agent": f"{USER_AGENT_PREFIX}{__version__} (triggerer)",
        },
        timeout=httpx.Timeout(connect=connect, read=read, write=read, pool=None),
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
        verify=_ssl_context(settings.verify),
        follow_redirects=False,
        trust_env=True,
    )


def _ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """``True`` (httpx's certifi bundle, as requests uses), ``False``, or a context for a CA bundle path."""
    if isinstance(verify, bool):
        return verify
    import os

    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)
