"""``TaskCompletedTrigger``: wait in the triggerer until a tasking request completes, fails or times out.

It polls the API asynchronously (one ``GET /task/{id}`` per poll, no blocking calls).

What counts as completed or failed is decided by :mod:`airflow_provider_capella.tasking_status`, the
one home of that rule.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_capella import tasking_status
from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.exceptions import CapellaError
from airflow_provider_capella.hooks._async import CapellaAsyncHook

if TYPE_CHECKING:
    from airflow_provider_capella.tasking_status import TaskingOutcome

T = TypeVar("T")

DEFAULT_POLL_INTERVAL = 60.0

_MOVED_TO_TASKING_STATUS = (
    "COMPLETED",
    "TERMINAL_FAILURES",
    "TRANSIENT_ERRORS",
    "TaskingOutcome",
    "tasking_outcome",
)


def __getattr__(name: str) -> Any:
    """Serve the status-rule names that moved to :mod:`~airflow_provider_capella.tasking_status` (warns)."""
    if name in _MOVED_TO_TASKING_STATUS:
        from airflow_provider_capella._compat import warn_deprecated

        warn_deprecated(
            f"airflow_provider_capella.triggers.tasking.{name} moved to "
            f"airflow_provider_capella.tasking_status.{name}"
        )
        return getattr(tasking_status, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TaskCompletedTrigger(BaseTrigger):
    """Polls a tasking request until it completes, fails, or a deadline passes; then fires one event.

    The event payload is ``{"status", "tasking_request_id", "message", "task_status", "polls"}`` with
    ``status`` one of ``success`` (completed), ``failed`` (rejected, expired, canceled, failed, error, or
    an anomaly that outlasted ``anomaly_grace_period`` without a retry; ``message`` is the API's),
    ``timeout`` (``end_time`` passed), ``execution_timeout``
    (``execution_deadline`` passed) or ``error`` (a problem that waiting will not fix, such as an
    unknown id or a refused API key). 5xx, 429 and connection errors are retried with backoff by the
    connection's retry policy; if they outlast it the trigger logs a warning and polls again at its
    next interval, until a deadline. Each poll is one ``GET /task/{id}`` when the API is healthy.
    ``retrying`` is in progress; every poll of a request in ``review`` logs a warning that it waits for
    cost approval and how to approve it; a change of status is logged with what it means (``active``:
    being scheduled, not guaranteed; ``accepted``: guaranteed). The rule is
    :mod:`airflow_provider_capella.tasking_status`'s.

    :param tasking_request_id: the tasking request to wait for.
    :param capella_conn_id: the Airflow connection id (default ``capella_default``).
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the wait ends with ``timeout`` (the sensor's timeout).
    :param execution_deadline: epoch seconds after which it ends with ``execution_timeout`` (the
        task's ``execution_timeout`` counted from its start).
    :param anomaly_grace_period: seconds an ``anomaly`` may wait for a retry before the wait fails
        (default six hours).

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
        capella_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        end_time: float | None = None,
        execution_deadline: float | None = None,
        anomaly_grace_period: float | None = None,
    ) -> None:
        super().__init__()
        self.anomaly_grace_period = tasking_status.grace_period("anomaly_grace_period", anomaly_grace_period)
        self.tasking_request_id = tasking_request_id
        self.capella_conn_id = capella_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = end_time
        self.execution_deadline = execution_deadline
        self._polls = 0
        self._last_status: str | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "tasking_request_id": self.tasking_request_id,
                "capella_conn_id": self.capella_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "execution_deadline": self.execution_deadline,
                "anomaly_grace_period": self.anomaly_grace_period.total_seconds(),
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
            except tasking_status.TRANSIENT_ERRORS as error:
                last_problem = f" (last API error: {error})"
                self.log.warning("Tasking request %s: %s; polling again", self.tasking_request_id, error)
            else:
                last_problem = ""
                outcome = tasking_status.tasking_outcome(task, anomaly_grace_period=self.anomaly_grace_period)
                if outcome.state == tasking_status.COMPLETED:
                    return self._payload("success", outcome.describe(self.tasking_request_id), outcome)
                if outcome.state == "failed":
                    return self._payload("failed", outcome.describe(self.tasking_request_id), outcome)
                self._report(outcome)
            await asyncio.sleep(self._next_wait())

    def _report(self, outcome: TaskingOutcome) -> None:
        """Log a pending request: every poll while it waits for approval, else each change of status."""
        if outcome.awaiting_approval:
            self.log.warning("%s", outcome.progress(self.tasking_request_id))
        elif outcome.status != self._last_status:
            self.log.info("%s", outcome.progress(self.tasking_request_id))
        else:
            self.log.debug("Tasking request %s is %s", self.tasking_request_id, outcome.status)
        self._last_status = outcome.status

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
