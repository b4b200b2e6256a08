"""``TaskCompletedSensor``: wait for a tasking request to complete, in poke, reschedule or deferrable mode."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_capella import lineage, tasking_status
from airflow_provider_capella._compat import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
    conf,
)
from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.lineage.record import LineageRecord
from airflow_provider_capella.operators._base import CapellaBaseOperator, capella_hook

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context, XComArg

    from airflow_provider_capella.hooks.capella import CapellaHook
    from airflow_provider_capella.tasking_status import TaskingOutcome

FAILURES = {
    "failed": AirflowFailException,
    "timeout": AirflowSensorTimeout,
    "execution_timeout": AirflowTaskTimeout,
}
DEFER_GRACE_SECONDS = 60.0  # the scheduler's deferral timeout trails the trigger's deadline (a backstop)


class TaskCompletedSensor(BaseSensorOperator):
    """Wait until a tasking request is completed; return its collect ids.

    Completed means ``completed`` anywhere in the status history (the SDK's rule). Rejected, expired,
    canceled, failed or error fail the task at once, without retries; ``retrying`` is in progress; an
    ``anomaly`` fails once it lasted ``anomaly_grace_period`` without Capella retrying; ``review`` logs a
    warning each poke (it waits for cost approval). The rule lives in
    :mod:`airflow_provider_capella.tasking_status`. Transient API errors that outlast the retry policy
    are logged and tried again at the next poke, until ``timeout``.

    Works in ``poke``, ``reschedule`` and deferrable mode (``TaskCompletedTrigger``; it checks once
    before deferring). Deferred, the wait still ends at ``timeout`` (no retry) and at
    ``execution_timeout`` (retried per ``retries``).

    :param tasking_request_id: the tasking request to wait for (templated, e.g. from an upstream XCom).
    :param capella_conn_id: the Airflow connection id (default ``capella_default``; templated).
    :param deferrable: wait in the triggerer instead of a worker slot.
    :param anomaly_grace_period: how long an ``anomaly`` may last (timedelta or seconds; default 6 hours).

    Example::

        TaskCompletedSensor(task_id="wait", tasking_request_id=create.output, deferrable=True)
    """

    template_fields = ("tasking_request_id", "capella_conn_id")
    ui_color = "#d9ecf7"

    def __init__(
        self,
        *,
        tasking_request_id: str | XComArg,
        capella_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        anomaly_grace_period: timedelta | float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.anomaly_grace_period = tasking_status.grace_period("anomaly_grace_period", anomaly_grace_period)
        # an XComArg or template is rendered to the id string before poke/execute
        self.tasking_request_id: str = tasking_request_id  # type: ignore[assignment]
        self.capella_conn_id = capella_conn_id
        self.deferrable = deferrable
        self.lineage = LineageRecord()

    def new_hook(self) -> CapellaHook:
        """Return a new hook on ``capella_conn_id`` (lineage lookups never share the task's pool)."""
        return capella_hook(self.capella_conn_id)

    hook = cached_property(new_hook)

    def poke(self, context: Context) -> bool | PokeReturnValue:
        outcome = self._check()
        if outcome is None or outcome.state != "completed":
            return False
        return PokeReturnValue(is_done=True, xcom_value=self._collect_ids())

    @lineage.records
    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        try:
            done = self.poke(context)
        except AirflowFailException as error:
            if self.soft_fail or getattr(self, "never_fail", False):
                raise AirflowSkipException(f"Skipping (soft_fail): {error}") from error
            raise
        if not done:
            self._defer(context)
        return done.xcom_value if isinstance(done, PokeReturnValue) else None

    @lineage.records
    def execute_complete(self, context: Context, event: dict[str, Any]) -> list[str]:
        """Resume after the trigger fired: collect ids on success, otherwise the matching failure."""
        status, message = event.get("status"), str(event.get("message") or event)
        if status == "success":
            self.log.info("%s after %s poll(s) in the triggerer", message, event.get("polls"))
            return self._collect_ids()
        if status in FAILURES:
            raise FAILURES[str(status)](message)
        raise AirflowException(f"Waiting for tasking request {self.tasking_request_id} failed: {message}")

    def _check(self) -> TaskingOutcome | None:
        """Return the request's outcome (raising on a terminal failure); None after a transient API error."""
        try:
            task = self.hook.get_task(tasking_request_id=self.tasking_request_id)
        except tasking_status.TRANSIENT_ERRORS as error:
            self.log.warning(
                "Could not check tasking request %s (%s); will try again", self.tasking_request_id, error
            )
            return None
        outcome = tasking_status.tasking_outcome(task, anomaly_grace_period=self.anomaly_grace_period)
        if outcome.state == "failed":
            raise AirflowFailException(outcome.describe(self.tasking_request_id))
        if outcome.awaiting_approval:
            self.log.warning("%s", outcome.progress(self.tasking_request_id))
        elif outcome.state == "pending":
            self.log.info("%s", outcome.progress(self.tasking_request_id))
        return outcome

    def _collect_ids(self) -> list[str]:
        collects = self.hook.get_collects_for_task(tasking_request_id=self.tasking_request_id)
        ids = [str(collect["collectId"]) for collect in collects if collect.get("collectId")]
        self.lineage.tasking_request_id = str(self.tasking_request_id)
        self.lineage.collect_ids = ids
        self.log.info("Tasking request %s completed with collect(s) %s", self.tasking_request_id, ids)
        return ids

    def _defer(self, context: Context) -> None:
        from airflow_provider_capella.triggers.tasking import TaskCompletedTrigger  # lazy: only to defer

        now = time.time()
        end_time = now + float(self.timeout)
        execution_deadline = self._execution_deadline(context, now)
        deadline = min(end_time, execution_deadline) if execution_deadline is not None else end_time
        self.defer(
            trigger=TaskCompletedTrigger(
                tasking_request_id=self.tasking_request_id,
                capella_conn_id=self.capella_conn_id,
                poll_interval=self.poke_interval,
                end_time=end_time,
                execution_deadline=execution_deadline,
                anomaly_grace_period=self.anomaly_grace_period.total_seconds(),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=max(0.0, deadline - now) + DEFER_GRACE_SECONDS),
        )

    def _execution_deadline(self, context: Context, now: float) -> float | None:
        """Epoch seconds when this try's ``execution_timeout`` runs out (None without one)."""
        if self.execution_timeout is None:
            return None
        started = getattr(context.get("ti"), "start_date", None)
        start = started.timestamp() if started is not None else now
        return start + self.execution_timeout.total_seconds()

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        return lineage.facets_on_start(
            self, lambda: LineageRecord(tasking_request_id=self.tasking_request_id or None)
        )

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_complete(self, lineage.no_lookup)

    get_openlineage_facets_on_failure = CapellaBaseOperator.get_openlineage_facets_on_failure
