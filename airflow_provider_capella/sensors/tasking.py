"""``TaskCompletedSensor``: wait for a tasking request to complete, in poke, reschedule or deferrable mode."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_capella import tasking_status
from airflow_provider_capella._compat import AirflowFailException
from airflow_provider_capella.operators._kinds import TASKING
from airflow_provider_capella.sensors._request import RequestSensor

if TYPE_CHECKING:
    from airflow.sdk import XComArg
    from airflow.triggers.base import BaseTrigger


class TaskCompletedSensor(RequestSensor):
    """Wait until a tasking request is completed, in any sensor mode; return its collect ids (docs/sensor.md).

    :param tasking_request_id: the tasking request to wait for (templated, e.g. from an upstream XCom).
    :param capella_conn_id: the Airflow connection id (default ``capella_default``; templated).
    :param deferrable: wait in the triggerer instead of a worker slot.
    :param anomaly_grace_period: how long an ``anomaly`` may last (timedelta or seconds; default 6 hours).

    Example::

        TaskCompletedSensor(task_id="wait", tasking_request_id=create.output, deferrable=True)
    """

    kind = TASKING
    template_fields = ("tasking_request_id", "capella_conn_id")

    def __init__(
        self,
        *,
        tasking_request_id: str | XComArg,
        anomaly_grace_period: timedelta | float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.anomaly_grace_period = tasking_status.grace_period("anomaly_grace_period", anomaly_grace_period)
        self.tasking_request_id: str = tasking_request_id  # type: ignore[assignment]

    def check(self) -> bool:
        """Return whether the request completed (raise on a terminal failure; False on a transient error)."""
        task = self.read(lambda: self.hook.get_task(self.tasking_request_id))
        if task is None:
            return False
        outcome = tasking_status.tasking_outcome(task, anomaly_grace_period=self.anomaly_grace_period)
        if outcome.state == "failed":
            raise AirflowFailException(outcome.describe(self.tasking_request_id))
        if outcome.state == "pending":
            level = logging.WARNING if outcome.awaiting_approval else logging.INFO
            self.log.log(level, "%s", outcome.progress(self.tasking_request_id))
        return outcome.state == "completed"

    def result(self, event: dict[str, Any] | None) -> list[str]:
        """Return the completed request's collect ids."""
        collects = self.hook.get_collects_for_task(tasking_request_id=self.tasking_request_id)
        ids = [str(collect["collectId"]) for collect in collects if collect.get("collectId")]
        self.lineage.tasking_request_id = str(self.tasking_request_id)
        self.lineage.collect_ids = ids
        self.log.info("Tasking request %s completed with collect(s) %s", self.tasking_request_id, ids)
        return ids

    def trigger(self, **waiting: Any) -> BaseTrigger:
        from airflow_provider_capella.triggers.tasking import TaskCompletedTrigger  # lazy: only to defer

        grace = self.anomaly_grace_period.total_seconds()
        return TaskCompletedTrigger(
            self.request_id, self.capella_conn_id, anomaly_grace_period=grace, **waiting
        )
