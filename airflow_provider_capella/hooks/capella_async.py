"""``CapellaAsyncHook``: the sync hook's endpoints, retry policy and errors over ``httpx``, for triggers.

Triggers on one loop share one client per host and credential (see docs/hook-design.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import os
import ssl
import weakref
from dataclasses import dataclass, field
from typing import Any

import httpx
from airflow.sdk import BaseHook
from tenacity import AsyncRetrying

from airflow_provider_capella import _http
from airflow_provider_capella._payloads import checks
from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.hooks.capella import (
    GET_ACCESS_REQUEST,
    GET_USER,
    TASKING,
    ConnectionSettings,
    Endpoint,
    RequestKind,
)

MAX_CONNECTIONS = _http.POOL_SIZE  # open connections, and requests in flight, per (loop, host, credential)


class CapellaAsyncHook:
    """Async access to the Capella API from a trigger (``GET`` s only); use it as an async context manager.

    :param capella_conn_id: the Airflow connection id (default ``capella_default``).

    Example::

        async with CapellaAsyncHook("capella_default") as hook:
            task = await hook.get_task("6a8e5c2f-2a0e-4d3b-9d5f-0f1e2d3c4b5a")
    """

    default_conn_name = DEFAULT_CONN_ID

    def __init__(self, capella_conn_id: str = DEFAULT_CONN_ID) -> None:
        self.capella_conn_id = capella_conn_id
        self.settings: ConnectionSettings | None = None
        self._pools: dict[tuple[Any, ...], _Pool] | None = None
        self._pool: _Pool | None = None
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"CapellaAsyncHook({self.capella_conn_id!r})"

    async def __aenter__(self) -> CapellaAsyncHook:
        """Take a share of the loop's client for this connection (built off the loop, once per pool)."""
        self.settings = settings = await aget_settings(self.capella_conn_id)
        pools = self._pools = _POOLS_BY_LOOP.setdefault(asyncio.get_running_loop(), {})
        pool = pools.get(key := _pool_key(settings))
        if pool is None:  # building a client loads CA certificates from disk
            pool = pools[key] = _Pool(asyncio.ensure_future(asyncio.to_thread(_new_client, settings)))
        pool.users += 1
        self._pool = pool
        try:
            self._client = await asyncio.shield(pool.creation)
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Give the share back; the last user out closes the client."""
        pools, pool, self._pools, self._pool, self._client = self._pools, self._pool, None, None, None
        if pools is None or pool is None or self.settings is None:
            return
        pool.users -= 1
        if pool.users > 0:
            return
        if pools.get(_pool_key(self.settings)) is pool:
            del pools[_pool_key(self.settings)]
        if not pool.creation.done():
            pool.creation.add_done_callback(_close_when_built)
        elif not pool.creation.cancelled() and pool.creation.exception() is None:
            await pool.creation.result().aclose()

    async def _a_call(
        self, endpoint: Endpoint, *ids: str, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """Send one request under the retry policy: the async ``CapellaHook._call``."""
        if self._client is None or self._pool is None or self.settings is None:
            raise RuntimeError("use CapellaAsyncHook as `async with CapellaAsyncHook(...) as hook:`")
        method, url, billable = self.settings.request_target(endpoint, ids)
        retrying = AsyncRetrying(**_http.retry_arguments(self.settings.retry, method, url, billable=billable))
        try:
            async for attempt in retrying:
                with attempt:
                    async with self._pool.slots:
                        response = await self._client.request(method, url, json=json, params=params)
                    _http.check_status(response)
        except Exception as error:
            response = _http.last_answer(error, method, url, retrying, billable=billable)
        return _http.decode_response(response, method, url, billable=billable)

    async def whoami(self) -> dict[str, Any]:
        """Return the user the credential belongs to (``GET /user``)."""
        return await self._a_call(GET_USER)

    async def get_request(self, request_id: str, *, kind: RequestKind = TASKING) -> dict[str, Any]:
        """Fetch one tasking or repeat request Feature; the id is checked before anything is sent."""
        return await self._a_call(kind.get, checks.uuid_text(kind.id_argument, request_id))

    async def get_task(self, tasking_request_id: str) -> dict[str, Any]:
        """Fetch one tasking request Feature (``GET /task/{id}``)."""
        return await self.get_request(tasking_request_id, kind=TASKING)

    async def get_access_request(self, access_request_id: str) -> dict[str, Any]:
        """Fetch one access request Feature (``GET /ma/accessrequests/{id}``)."""
        checked = checks.uuid_text("access_request_id", access_request_id)
        return await self._a_call(GET_ACCESS_REQUEST, checked)


async def aget_settings(conn_id: str) -> ConnectionSettings:
    """Return the connection's settings without blocking the loop; overlapping lookups share one fetch."""
    in_flight = _LOOKUPS_BY_LOOP.setdefault(asyncio.get_running_loop(), {})
    lookup = in_flight.get(conn_id)
    if lookup is None:
        lookup = in_flight[conn_id] = asyncio.ensure_future(_fetch_settings(conn_id))
        lookup.add_done_callback(lambda _: in_flight.pop(conn_id, None))
    return await asyncio.shield(lookup)


_LOOKUPS_BY_LOOP: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, asyncio.Future[ConnectionSettings]]
] = weakref.WeakKeyDictionary()
_WARMED: list[bool] = []


async def _fetch_settings(conn_id: str) -> ConnectionSettings:
    """Look a connection up with ``aget_connection`` (3.1: in a supervised process only), else in a thread."""
    conn = None
    aget_connection = getattr(BaseHook, "aget_connection", None)
    if aget_connection is not None:
        if not _WARMED:
            _WARMED.append(True)
            for module in ("airflow.sdk.execution_time.supervisor", "airflow.sdk.definitions.connection"):
                with contextlib.suppress(ImportError):
                    await asyncio.to_thread(importlib.import_module, module)
        with contextlib.suppress(ImportError):  # Airflow 3.1 outside a supervised process
            conn = await aget_connection(conn_id)
    if conn is None:
        try:
            conn = await asyncio.to_thread(BaseHook.get_connection, conn_id)
        except ImportError:  # Airflow 3.1 outside a supervised process: only the secrets backends
            raise LookupError(f"The conn_id `{conn_id}` isn't defined in any secrets backend") from None
    return ConnectionSettings.from_connection(conn)


def _pool_key(settings: ConnectionSettings) -> tuple[Any, ...]:
    credential = hashlib.sha256(settings.authorization.encode()).hexdigest()  # never the key itself
    return (settings.base_url, credential, settings.verify, settings.timeout)


def _new_client(settings: ConnectionSettings) -> httpx.AsyncClient:
    """Build the client (blocking: it loads CA certificates). It only ever requests the API host."""
    connect, read = settings.timeout
    verify: Any = settings.verify
    if isinstance(verify, str):
        capath = os.path.isdir(verify)
        verify = ssl.create_default_context(
            capath=verify if capath else None, cafile=None if capath else verify
        )
    return httpx.AsyncClient(
        headers={
            "Authorization": settings.authorization,
            "Accept": "application/json",
            "User-Agent": _http.user_agent("triggerer"),
        },
        timeout=httpx.Timeout(connect=connect, read=read, write=read, pool=None),
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
        verify=verify,
        follow_redirects=False,
        trust_env=True,
    )


@dataclass
class _Pool:
    """One shared client (being built or in use), its users, and its request slots (an O(1) semaphore)."""

    creation: asyncio.Future[httpx.AsyncClient]
    users: int = 0
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_CONNECTIONS))


_POOLS_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[Any, ...], _Pool]] = (
    weakref.WeakKeyDictionary()
)
_CLOSING: set[asyncio.Future[None]] = set()  # closes of clients left while still being built


def _close_when_built(creation: asyncio.Future[httpx.AsyncClient]) -> None:
    if not creation.cancelled() and creation.exception() is None:
        closing = asyncio.ensure_future(creation.result().aclose())
        _CLOSING.add(closing)
        closing.add_done_callback(_CLOSING.discard)
