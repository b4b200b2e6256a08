"""The hook's async twin for triggers: read-only Capella API calls that never block the event loop.

A triggerer runs many triggers in one event loop, so everything here is ``async``: the connection comes
from ``await BaseHook.aget_connection(...)``, and requests go through the provider's one HTTP policy
over ``httpx`` (:class:`~airflow_provider_capella._http.aio.AsyncCapellaHttp`): the same retry
decisions, error decoder and argument checks as the sync
:class:`~airflow_provider_capella.hooks.capella.CapellaHook`, with ``asyncio.sleep`` between attempts.
The imports are at module level so none happens inside the loop.

All triggers of one process that use the same API host and credential share one client per event loop,
with at most :data:`MAX_CONNECTIONS` connections and requests in flight, so a thousand waiting triggers
open a handful of connections rather than a thousand. Only ``GET`` is offered: a trigger only ever
reads, and nothing billable can be sent twice by a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import weakref
from typing import Any
from urllib.parse import quote

from airflow.sdk import BaseHook

from airflow_provider_capella._http.aio import AsyncCapellaHttp
from airflow_provider_capella._http.aio_pool import MAX_CONNECTIONS
from airflow_provider_capella._http.failures import is_transient_transport_error
from airflow_provider_capella._http.headers import USER_AGENT_PREFIX, user_agent
from airflow_provider_capella._payloads import checks
from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.hooks._core import ConnectionSettings

__all__ = [
    "MAX_CONNECTIONS",
    "USER_AGENT_PREFIX",
    "CapellaAsyncHook",
    "aget_settings",
    "is_transient_transport_error",
]


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

    default_conn_name = DEFAULT_CONN_ID

    def __init__(self, capella_conn_id: str = default_conn_name) -> None:
        self.capella_conn_id = capella_conn_id
        self._http: AsyncCapellaHttp | None = None

    def __repr__(self) -> str:
        return f"CapellaAsyncHook({self.capella_conn_id!r})"

    async def __aenter__(self) -> CapellaAsyncHook:
        settings = await aget_settings(self.capella_conn_id)
        http = AsyncCapellaHttp(
            settings.base_url,
            authorization=settings.authorization,
            timeout=settings.timeout,
            verify=settings.verify,
            retry=settings.retry,
            user_agent=user_agent("triggerer"),
        )
        self._http = await http.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def get_task(self, tasking_request_id: str) -> dict[str, Any]:
        """Fetch one tasking request Feature (``GET /task/{id}``), under the retry policy.

        The id is checked as the sync hook checks it, before anything is sent.

        :param tasking_request_id: the tasking request's UUID.

        Example::

            task = await hook.get_task(task_id)
            latest = task["properties"]["statusHistory"][0]["code"]
        """
        task_id = checks.uuid_text("tasking_request_id", tasking_request_id)
        return await self.get_json(f"/task/{quote(task_id, safe='')}")

    async def get_json(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        """``GET`` an API path (relative to the connection's base URL); return the decoded JSON body.

        Retries 429, 5xx and transport errors as the connection's retry policy says, then raises the
        typed :class:`~airflow_provider_capella.exceptions.CapellaError` the sync hook would raise.

        :param path: the API path, e.g. ``/task/<id>``.
        :param params: query parameters, if any.
        """
        if self._http is None:
            raise RuntimeError("use CapellaAsyncHook as `async with CapellaAsyncHook(...) as hook:`")
        return await self._http.request("GET", path, params=params)


async def aget_settings(conn_id: str) -> ConnectionSettings:
    """Return the connection's settings, fetched without blocking the loop.

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
    """Look one connection up.

    ``await BaseHook.aget_connection(conn_id)`` is the way on every supported Airflow. Airflow 3.1's
    version only works inside a supervised process (a worker or the triggerer): elsewhere, such as a
    script driving triggers itself, it fails to import the supervisor channel. Then, or should the
    method be missing, the blocking ``get_connection`` (which reads the secrets backends first) runs in
    a worker thread instead.
    """
    aget_connection = getattr(BaseHook, "aget_connection", None)
    conn = None
    if aget_connection is not None:
        await _warm_secrets_imports()
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


_WARMED: list[bool] = []


async def _warm_secrets_imports() -> None:
    """Import what ``aget_connection`` imports, once per process and in a worker thread.

    Its first call imports Airflow's secrets machinery inside the event loop (a quarter of a second,
    stalling every other trigger); a triggerer has it loaded already, a script or test has not.
    """
    if _WARMED:
        return
    _WARMED.append(True)
    for module in ("airflow.sdk.execution_time.supervisor", "airflow.sdk.definitions.connection"):
        with contextlib.suppress(ImportError):
            await asyncio.to_thread(importlib.import_module, module)
