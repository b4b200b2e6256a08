"""``TaskCompletedTrigger``: wait in the triggerer until a tasking request completes, fails or times out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from airflow_provider_capella import tasking_status
from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.hooks.capella_async import CapellaAsyncHook
from airflow_provider_capella.triggers._polling import PollingTrigger


@dataclass(eq=False, repr=False)
class TaskCompletedTrigger(PollingTrigger):
    """Polls a tasking request until it completes, fails or a deadline passes; one event (docs/sensor.md).

    :param tasking_request_id: the tasking request to wait for.
    :param capella_conn_id: the Airflow connection id (default ``capella_default``).
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the wait ends with ``timeout`` (the sensor's timeout).
    :param execution_deadline: epoch seconds after which it ends with ``execution_timeout``.
    :param anomaly_grace_period: seconds an ``anomaly`` may wait for a retry before the wait fails (6 hours).

    Example::

        TaskCompletedTrigger(task_id, poll_interval=300, end_time=time.time() + 7 * 86400)
    """

    tasking_request_id: str
    capella_conn_id: str = DEFAULT_CONN_ID
    poll_interval: float = 60.0
    end_time: float | None = None
    execution_deadline: float | None = None
    anomaly_grace_period: float | None = None
    late = "did not finish before the sensor's timeout"
    blank = {"task_status": None}

    def __post_init__(self) -> None:
        grace = tasking_status.grace_period("anomaly_grace_period", self.anomaly_grace_period)
        self.anomaly_grace_period = grace.total_seconds()
        self._last_status: str | None = None
        super().__post_init__()

    noun = "Tasking request"

    async def read(self, hook: CapellaAsyncHook) -> Any:
        return await hook.get_task(self.tasking_request_id)

    def verdict(self, answer: Any) -> dict[str, Any] | None:
        """Return the payload of a finished request; log a pending one (approval waits on every poll)."""
        grace = timedelta(seconds=self.anomaly_grace_period or 0)
        outcome = tasking_status.tasking_outcome(answer, anomaly_grace_period=grace)
        if outcome.state != "pending":
            status = "success" if outcome.state == tasking_status.COMPLETED else "failed"
            message = outcome.describe(self.tasking_request_id)
            return {"status": status, "message": message, "task_status": outcome.status}
        changed = outcome.status != self._last_status  # a change at INFO, the polls in between at DEBUG
        level = logging.WARNING if outcome.awaiting_approval else logging.INFO if changed else logging.DEBUG
        self.log.log(level, "%s", outcome.progress(self.tasking_request_id))
        self._last_status = outcome.status
        return None
