"""The poll loop the feasibility and review triggers share.

One ``GET`` per poll until there is an answer or the deadline passes, through the async hook, never
blocking the triggerer's event loop.

5xx, 429 and connection errors are retried by the connection's retry policy; if they outlast it
the trigger logs a warning and polls again at its next interval. Any other API error ends the wait
with an ``error`` event.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_capella.exceptions import CapellaError
from airflow_provider_capella.hooks._async import CapellaAsyncHook
from airflow_provider_capella.tasking_status import TRANSIENT_ERRORS


class PollingTrigger(BaseTrigger):
    """Poll ``path()`` until ``verdict()`` returns an event payload or ``end_time`` passes.

    Subclasses give ``path``, ``verdict`` (``None`` = keep polling), ``subject`` (for messages) and
    ``serialize``. Every payload carries ``status``, ``message`` and ``polls``.

    :param capella_conn_id: the Airflow connection id.
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the wait ends with a ``timeout`` event.

    Example::

        class MyTrigger(PollingTrigger):
            def path(self): return f"/task/{self.task_id}"
            def verdict(self, answer): return {"status": "success"} if answer else None
    """

    def __init__(self, capella_conn_id: str, poll_interval: float, end_time: float | None) -> None:
        super().__init__()
        self.capella_conn_id = capella_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = end_time
        self._polls = 0

    def path(self) -> str:
        """Return the API path polled."""
        raise NotImplementedError

    def subject(self) -> str:
        """Name what is waited for, for messages (e.g. ``"access request 1234"``)."""
        raise NotImplementedError

    def verdict(self, answer: Any) -> dict[str, Any] | None:
        """Return the event payload when ``answer`` settles the wait, else ``None``."""
        raise NotImplementedError

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until there is an outcome (the HTTP pool is released first), then fire one event."""
        payload = await self.wait()
        yield TriggerEvent({**payload, "polls": self._polls})

    async def wait(self) -> dict[str, Any]:
        """Poll until there is an outcome; return the event payload (without ``polls``)."""
        self._polls = 0
        try:
            async with CapellaAsyncHook(self.capella_conn_id) as hook:
                return await self._poll(hook)
        except CapellaError as error:
            return {"status": "error", "message": str(error)}
        except Exception as error:  # reported to the task instead of crashing the triggerer's loop
            return {"status": "error", "message": f"{type(error).__name__}: {error}"}

    async def _poll(self, hook: CapellaAsyncHook) -> dict[str, Any]:
        last_problem = ""
        while True:
            if self.end_time is not None and time.time() >= self.end_time:
                return {
                    "status": "timeout",
                    "message": f"{self.subject()} was not ready in time{last_problem}",
                }
            self._polls += 1
            try:
                answer = await hook.get_json(self.path())
            except TRANSIENT_ERRORS as error:
                last_problem = f" (last API error: {error})"
                self.log.warning("%s: %s; polling again", self.subject(), error)
            else:
                last_problem = ""
                payload = self.verdict(answer)
                if payload is not None:
                    return payload
            wait = self.poll_interval
            if self.end_time is not None:
                wait = max(0.0, min(wait, self.end_time - time.time()))
            await asyncio.sleep(wait)
