"""The poll loop every Capella trigger uses: one read per poll until a verdict or a deadline.

A transient error is retried at the next poll; one no retry can fix ends with ``failed``, any other ``error``.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_capella.exceptions import CapellaError
from airflow_provider_capella.hooks.capella_async import CapellaAsyncHook
from airflow_provider_capella.tasking_status import TRANSIENT_ERRORS


def serialized(trigger: Any, **overrides: Any) -> tuple[str, dict[str, Any]]:
    """Return ``trigger``'s classpath and its ``__init__`` arguments, read from its same-named attributes."""
    names = list(inspect.signature(type(trigger).__init__).parameters)[1:]
    arguments = {name: overrides[name] if name in overrides else getattr(trigger, name) for name in names}
    return f"{type(trigger).__module__}.{type(trigger).__qualname__}", arguments


def sensor_deadlines(
    subject: str, execution_deadline: float | None, end_time: float | None
) -> list[tuple[float | None, str, str]]:
    """Return a sensor's :class:`Poller` deadlines: the task's ``execution_timeout``, then its ``timeout``."""
    late = f"{subject} did not finish before the"
    return [
        (execution_deadline, "execution_timeout", f"{late} task's execution_timeout"),
        (end_time, "timeout", f"{late} sensor's timeout"),
    ]


Read = Callable[[CapellaAsyncHook], Awaitable[Any]]
Verdict = Callable[[Any], "dict[str, Any] | None"]


@dataclass
class Poller:
    """Poll ``read`` until ``verdict`` returns an event payload or one of the ``deadlines`` passes."""

    capella_conn_id: str
    poll_interval: float
    subject: str
    deadlines: list[tuple[float | None, str, str]]
    log: Any
    polls: int = field(default=0, init=False)

    async def run(self, read: Read, verdict: Verdict) -> dict[str, Any]:
        """Poll until there is an outcome; return ``{"status", "message", ...}`` (errors included)."""
        self.polls = 0
        try:
            async with CapellaAsyncHook(self.capella_conn_id) as hook:
                return await self._loop(hook, read, verdict)
        except CapellaError as error:
            return {"status": "error" if error.retryable else "failed", "message": str(error)}
        except Exception as error:  # reported to the task instead of crashing the triggerer's loop
            return {"status": "error", "message": f"{type(error).__name__}: {error}"}

    async def _loop(self, hook: CapellaAsyncHook, read: Read, verdict: Verdict) -> dict[str, Any]:
        last_problem = ""
        while True:
            now = time.time()
            for at, status, message in self.deadlines:
                if at is not None and now >= at:
                    return {"status": status, "message": message + last_problem}
            self.polls += 1
            try:
                answer = await asyncio.wait_for(read(hook), timeout=self._remaining())
            except asyncio.TimeoutError:
                continue  # a deadline passed while waiting for the API: reported at the top
            except TRANSIENT_ERRORS as error:
                last_problem = f" (last API error: {error})"
                self.log.warning("%s: %s; polling again", self.subject, error)
            else:
                last_problem = ""
                payload = verdict(answer)
                if payload is not None:
                    return payload
            remaining = self._remaining()
            await asyncio.sleep(
                self.poll_interval if remaining is None else min(self.poll_interval, remaining)
            )

    def _remaining(self) -> float | None:
        limits = [at for at, _, _ in self.deadlines if at is not None]
        return max(0.0, min(limits) - time.time()) if limits else None
