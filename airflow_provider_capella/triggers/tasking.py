"""``TaskCompletedTrigger``: wait in the triggerer until a tasking request completes, fails or times out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_capella import tasking_status
from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.triggers._polling import Poller, sensor_deadlines, serialized


class TaskCompletedTrigger(BaseTrigger):
    """Polls a tasking request until it completes, fails, or a deadline passes; then fires one event.

    The event payload is ``{"status", "tasking_request_id", "message", "task_status", "polls"}``, ``status``
    one of ``success``, ``failed``, ``timeout``, ``execution_timeout`` or ``error`` (docs/sensor.md).

    :param tasking_request_id: the tasking request to wait for.
    :param capella_conn_id: the Airflow connection id (default ``capella_default``).
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the wait ends with ``timeout`` (the sensor's timeout).
    :param execution_deadline: epoch seconds after which it ends with ``execution_timeout``.
    :param anomaly_grace_period: seconds an ``anomaly`` may wait for a retry before the wait fails (6 hours).

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
        poll_interval: float = 60.0,
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
        self._last_status: str | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the classpath and the arguments that rebuild this trigger in the triggerer."""
        return serialized(self, anomaly_grace_period=self.anomaly_grace_period.total_seconds())

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until there is an outcome (the HTTP pool is released first); fire one event."""
        task_id = self.tasking_request_id
        subject = f"Tasking request {task_id}"
        deadlines = sensor_deadlines(subject, self.execution_deadline, self.end_time)
        poller = Poller(self.capella_conn_id, self.poll_interval, subject, deadlines, self.log)
        payload = await poller.run(lambda hook: hook.get_task(task_id), self._verdict)
        yield TriggerEvent(
            {
                "status": payload["status"],
                "tasking_request_id": task_id,
                "message": payload["message"],
                "task_status": payload.get("task_status"),
                "polls": poller.polls,
            }
        )

    def _verdict(self, task: Any) -> dict[str, Any] | None:
        """Return the payload of a finished request; log a pending one (approval waits on every poll)."""
        outcome = tasking_status.tasking_outcome(task, anomaly_grace_period=self.anomaly_grace_period)
        if outcome.state in (tasking_status.COMPLETED, "failed"):
            status = "success" if outcome.state == tasking_status.COMPLETED else "failed"
            return {
                "status": status,
                "message": outcome.describe(self.tasking_request_id),
                "task_status": outcome.status,
            }
        if outcome.awaiting_approval:
            self.log.warning("%s", outcome.progress(self.tasking_request_id))
        elif outcome.status != self._last_status:
            self.log.info("%s", outcome.progress(self.tasking_request_id))
        else:
            self.log.debug("Tasking request %s is %s", self.tasking_request_id, outcome.status)
        self._last_status = outcome.status
        return None
