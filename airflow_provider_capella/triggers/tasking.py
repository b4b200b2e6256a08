"""``TaskCompletedTrigger``: waits in the triggerer until a tasking request completes, fails or runs out
of time, polling the API asynchronously (one ``GET /task/{id}`` per poll, no blocking calls).

:func:`tasking_outcome` is the one reading of a tasking request's status history, shared with
:class:`~airflow_provider_capella.sensors.tasking.TaskCompletedSensor`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_capella.exceptions import (
    CapellaConnectionError,
    CapellaError,
    CapellaRateLimitError,
    CapellaServerError,
)
from airflow_provider_capella.hooks._async import CapellaAsyncHook

T = TypeVar("T")

COMPLETED = "completed"
TERMINAL_FAILURES = frozenset({"rejected", "expired", "canceled", "cancelled", "failed", "error", "anomaly"})
"""Statuses after which a tasking request will never complete."""

TRANSIENT_ERRORS: tuple[type[CapellaError], ...] = (
    CapellaServerError,
    CapellaConnectionError,
    CapellaRateLimitError,
)
"""API failures that outlived the connection's retries but may pass: a wait keeps polling through them."""

DEFAULT_POLL_INTERVAL = 60.0


@dataclass(frozen=True)
class TaskingOutcome:
    """Where a tasking request stands: ``state`` is ``completed``, ``failed`` or ``pending``.

    ``status`` and ``message`` are the newest status code and the API's message for it.

    Example::

        outcome = tasking_outcome(hook.get_task(task_id))
        if outcome.state == "failed":
            raise RuntimeError(outcome.describe(task_id))
    """

    state: str
    status: str
    message: str

    def describe(self, tasking_request_id: str) -> str:
        text = f"Tasking request {tasking_request_id} is {self.status}"
        return f"{text}: {self.message}" if self.message else text


def tasking_outcome(task: dict[str, Any]) -> TaskingOutcome:
    """Read a tasking request Feature's ``statusHistory`` (newest first).

    Completed when ``completed`` appears anywhere in the history (the SDK's rule: a reprocessed request
    goes completed → accepted → completed and counts as completed throughout); failed when the newest
    status is one of :data:`TERMINAL_FAILURES`; pending otherwise.

    Example::

        tasking_outcome({"properties": {"statusHistory": [{"code": "rejected", "message": "No"}]}}).state
        # 'failed'
    """
    properties = task.get("properties") if isinstance(task, dict) else None
    history = properties.get("statusHistory") if isinstance(properties, dict) else None
    entries = [entry for entry in history or [] if isinstance(entry, dict)]
    codes = [str(entry.get("code") or "").lower() for entry in entries]
    status = codes[0] if codes else "unknown"
    message = str(entries[0].get("message") or "") if entries else ""
    if COMPLETED in codes:
        completed = entries[codes.index(COMPLETED)]
        return TaskingOutcome(COMPLETED, COMPLETED, str(completed.get("message") or ""))
    if status in TERMINAL_FAILURES:
        return TaskingOutcome("failed", status, message)
    return TaskingOutcome("pending", status, message)


class TaskCompletedTrigger(BaseTrigger):
    """Polls a tasking request until it completes, fails, or a deadline passes; then fires one event.

    The event payload is ``{"status", "tasking_request_id", "message", "task_status", "polls"}`` with
    ``status`` one of ``success`` (completed), ``failed`` (rejected, expired, canceled, failed, error or
    anomaly; ``message`` is the API's), ``timeout`` (``end_time`` passed), ``execution_timeout``
    (``execution_deadline`` passed) or ``error`` (a problem that waiting will not fix, such as an
    unknown id or a refused API key). 5xx, 429 and connection errors are retried with backoff by the
    connection's retry policy; if they outlast it the trigger logs a warning and polls again at its
    next interval, until a deadline. Each poll is one ``GET /task/{id}`` when the API is healthy.

    :param tasking_request_id: the tasking request to wait for.
    :param capella_conn_id: the Airflow connection id (default ``capella_default``).
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the wait ends with ``timeout`` (the sensor's timeout).
    :param execution_deadline: epoch seconds after which it ends with ``execution_timeout`` (the
        task's ``execution_timeout`` counted from its start).

    Example::

        self.defer(
            trigger=TaskCompletedTrigger(task_id, "capella_default", poll_interval=300,
                                         end_time=time.time() + 7 * 86400),
            method_name="execute_complete",
        )
    """

    def __init__(
        self,
        tasking_request_id: str,
        capella_conn_id: str = "capella_default",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        end_time: float | None = None,
        execution_deadline: float | None = None,
    ) -> None:
        super().__init__()
        self.tasking_request_id = tasking_request_id
        self.capella_conn_id = capella_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = end_time
        self.execution_deadline = execution_deadline
        self._polls = 0

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "tasking_request_id": self.tasking_request_id,
                "capella_conn_id": self.capella_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "execution_deadline": self.execution_deadline,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Wait (the HTTP pool is released before the event is yielded), then fire one event."""
        payload = await self.wait()
        yield TriggerEvent(payload)

    async def wait(self) -> dict[str, Any]:
        """Poll until there is an outcome; return the event payload."""
        self._polls = 0
        try:
            async with CapellaAsyncHook(self.capella_conn_id) as hook:
                return await self._poll(hook)
        except CapellaError as error:
            return self._payload("error", str(error))
        except Exception as error:  # reported to the task instead of crashing the triggerer's loop
            return self._payload("error", f"{type(error).__name__}: {error}")

    async def _poll(self, hook: CapellaAsyncHook) -> dict[str, Any]:
        last_problem = ""
        while True:
            expired = self._expired(last_problem)
            if expired is not None:
                return expired
            self._polls += 1
            try:
                task = await self._before_deadline(hook.get_task(self.tasking_request_id))
            except asyncio.TimeoutError:
                continue  # the deadline passed while waiting for the API: reported at the top
            except TRANSIENT_ERRORS as error:
                last_problem = f" (last API error: {error})"
                self.log.warning("Tasking request %s: %s; polling again", self.tasking_request_id, error)
            else:
                last_problem = ""
                outcome = tasking_outcome(task)
                if outcome.state == COMPLETED:
                    return self._payload("success", outcome.describe(self.tasking_request_id), outcome)
                if outcome.state == "failed":
                    return self._payload("failed", outcome.describe(self.tasking_request_id), outcome)
                self.log.debug("Tasking request %s is %s", self.tasking_request_id, outcome.status)
            await asyncio.sleep(self._next_wait())

    def _deadline(self) -> float | None:
        limits = [limit for limit in (self.end_time, self.execution_deadline) if limit is not None]
        return min(limits) if limits else None

    def _expired(self, last_problem: str) -> dict[str, Any] | None:
        now = time.time()
        if self.execution_deadline is not None and now >= self.execution_deadline:
            return self._payload(
                "execution_timeout",
                f"Tasking request {self.tasking_request_id} did not finish before the task's "
                f"execution_timeout{last_problem}",
            )
        if self.end_time is not None and now >= self.end_time:
            return self._payload(
                "timeout",
                f"Tasking request {self.tasking_request_id} did not finish before the sensor's "
                f"timeout{last_problem}",
            )
        return None

    async def _before_deadline(self, call: Awaitable[T]) -> T:
        deadline = self._deadline()
        if deadline is None:
            return await call
        return await asyncio.wait_for(call, timeout=max(0.0, deadline - time.time()))

    def _next_wait(self) -> float:
        deadline = self._deadline()
        if deadline is None:
            return self.poll_interval
        return max(0.0, min(self.poll_interval, deadline - time.time()))

    def _payload(self, status: str, message: str, outcome: TaskingOutcome | None = None) -> dict[str, Any]:
        return {
            "status": status,
            "tasking_request_id": self.tasking_request_id,
            "message": message,
            "task_status": outcome.status if outcome else None,
            "polls": self._polls,
        }
