"""One shared ``httpx.AsyncClient`` per (event loop, API host, credential, TLS and timeout settings).

A triggerer runs many triggers in one event loop: all that talk to the same host with the same
credential share one client, with at most :data:`MAX_CONNECTIONS` connections and requests in flight,
so a thousand waiting triggers open a handful of connections rather than a thousand. The client is
closed when its last user leaves.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl
import weakref
from dataclasses import dataclass, field
from typing import Any

import httpx

from airflow_provider_capella._http.policy import POOL_SIZE

MAX_CONNECTIONS = POOL_SIZE
"""Open connections, and requests in flight, per (event loop, API host, credential), shared by every
user of them (the sync session's pool size)."""


@dataclass(frozen=True)
class ClientSettings:
    """What a pooled async client is built from; ``repr`` never shows the credential.

    :param base_url: the API base URL (the only host the client sends the credential to).
    :param authorization: the ``Authorization`` header value.
    :param timeout: ``(connect, read)`` seconds.
    :param verify: TLS verification: a bool or a CA bundle path (file or directory).
    :param user_agent: the User-Agent header.

    Example::

        ClientSettings("https://api.capellaspace.com", "ApiKey KEY", (10, 60), True, user_agent("triggerer"))
    """

    base_url: str
    authorization: str = field(repr=False)
    timeout: tuple[float, float]
    verify: bool | str
    user_agent: str

    def pool_key(self) -> tuple[Any, ...]:
        """Return the key under which clients are shared (the credential only as a digest)."""
        credential = hashlib.sha256(self.authorization.encode()).hexdigest()
        return (self.base_url, credential, self.verify, self.timeout, self.user_agent)


def new_async_client(settings: ClientSettings) -> httpx.AsyncClient:
    """Return a pooled ``httpx.AsyncClient`` for ``settings`` (blocking: it loads CA certificates).

    The Authorization header is a default header of this client, which only ever requests URLs on the
    API host and never follows redirects.

    :param settings: what the client is built from.
    """
    connect, read = settings.timeout
    return httpx.AsyncClient(
        headers={
            "Authorization": settings.authorization,
            "Accept": "application/json",
            "User-Agent": settings.user_agent,
        },
        timeout=httpx.Timeout(connect=connect, read=read, write=read, pool=None),
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
        verify=_ssl_context(settings.verify),
        follow_redirects=False,
        trust_env=True,
    )


@dataclass
class _Pool:
    """One shared client being created or in use, how many users hold it, and its request slots.

    Requests wait for a slot *before* entering the client: httpcore's pool rescans every queued
    request whenever a connection frees up, which for a thousand waiting requests blocks the loop
    for seconds; a semaphore hands out its slots in O(1), first come first served.
    """

    creation: asyncio.Future[httpx.AsyncClient]
    users: int = 0
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_CONNECTIONS))


_POOLS_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[Any, ...], _Pool]] = (
    weakref.WeakKeyDictionary()
)

_CLOSING: set[asyncio.Future[None]] = set()
"""Closes of clients whose last user left while they were still being built (kept until done)."""


class PoolLease:
    """A share of the loop's pooled client for some settings, given back with :meth:`release`.

    :param settings: what the client is built from.

    Example::

        lease = PoolLease(settings)
        client, slots = await lease.acquire()
        ...
        await lease.release()
    """

    def __init__(self, settings: ClientSettings) -> None:
        self._settings = settings
        self._key = settings.pool_key()
        self._pools: dict[tuple[Any, ...], _Pool] | None = None
        self._pool: _Pool | None = None

    async def acquire(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        """Return the shared client and its request slots, building the client on first use."""
        loop = asyncio.get_running_loop()
        pools = _POOLS_BY_LOOP.setdefault(loop, {})
        pool = pools.get(self._key)
        if pool is None:
            # building a client loads CA certificates from disk: do it off the loop, once per pool
            creation = asyncio.ensure_future(asyncio.to_thread(new_async_client, self._settings))
            pool = pools[self._key] = _Pool(creation)
        pool.users += 1
        self._pools, self._pool = pools, pool
        try:
            return await asyncio.shield(pool.creation), pool.slots
        except BaseException:
            await self.release()
            raise

    async def release(self) -> None:
        """Give the share back; the last user's release closes the client."""
        pools, pool, self._pools, self._pool = self._pools, self._pool, None, None
        if pools is None or pool is None:
            return
        pool.users -= 1
        if pool.users > 0:
            return
        if pools.get(self._key) is pool:
            del pools[self._key]
        if not pool.creation.done():
            pool.creation.add_done_callback(_close_when_built)
        elif not pool.creation.cancelled() and pool.creation.exception() is None:
            await pool.creation.result().aclose()


def _close_when_built(creation: asyncio.Future[httpx.AsyncClient]) -> None:
    if not creation.cancelled() and creation.exception() is None:
        closing = asyncio.ensure_future(creation.result().aclose())
        _CLOSING.add(closing)
        closing.add_done_callback(_CLOSING.discard)


def _ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """Return ``True`` (httpx's certifi bundle, as requests uses), ``False``, or a CA bundle's context."""
    if isinstance(verify, bool):
        return verify
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)
