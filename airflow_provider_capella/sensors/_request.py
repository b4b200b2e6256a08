"""What the request sensors share: poke, reschedule and deferrable waiting on one request, by kind."""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

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
from airflow_provider_capella.operators._base import CapellaBaseOperator, FailsFast, capella_hook

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_capella.hooks.capella import CapellaHook
    from airflow_provider_capella.operators._kinds import RequestKind

FAILURES = {
    "failed": AirflowFailException,
    "timeout": AirflowSensorTimeout,
    "execution_timeout": AirflowTaskTimeout,
}
DEFER_GRACE_SECONDS = 60.0  # the scheduler's deferral timeout trails the trigger's deadline (a backstop)
DEFAULT_DEFERRABLE = conf.getboolean("operators", "default_deferrable", fallback=False)


class RequestSensor(FailsFast, BaseSensorOperator):
    """Wait on one ``<kind>_request_id``; a subclass gives ``check``, ``result`` and ``trigger``."""

    kind: ClassVar[RequestKind]
    ui_color = "#d9ecf7"

    def __init__(
        self, *, capella_conn_id: str = DEFAULT_CONN_ID, deferrable: bool = DEFAULT_DEFERRABLE, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.capella_conn_id = capella_conn_id
        self.deferrable = deferrable
        self.lineage = LineageRecord()

    @property
    def request_id(self) -> str:
        return str(getattr(self, f"{self.kind.name}_request_id"))

    def new_hook(self) -> CapellaHook:
        """Return a new hook on ``capella_conn_id`` (lineage lookups never share the task's pool)."""
        return capella_hook(self.capella_conn_id)

    hook = cached_property(new_hook)

    @abstractmethod
    def check(self) -> bool:
        """Return whether the wait is over (raise ``AirflowFailException`` when it never will be)."""

    @abstractmethod
    def result(self, event: dict[str, Any] | None) -> Any:
        """Return the task's result once done (``event``: the trigger's, after a deferral)."""

    @abstractmethod
    def trigger(self, **waiting: Any) -> BaseTrigger:
        """Return the trigger that waits, given ``poll_interval``, ``end_time``, ``execution_deadline``."""

    def poke(self, context: Context) -> bool | PokeReturnValue:
        if not self.check():
            return False
        return PokeReturnValue(is_done=True, xcom_value=self.result(None))

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
        if isinstance(done, PokeReturnValue):
            return done.xcom_value
        now = time.time()
        end, limit = now + float(self.timeout), None  # the sensor's timeout, the task's execution_timeout
        if self.execution_timeout is not None:
            started = getattr(context.get("ti"), "start_date", None)
            start = started.timestamp() if started is not None else now
            limit = start + self.execution_timeout.total_seconds()
        trigger = self.trigger(poll_interval=self.poke_interval, end_time=end, execution_deadline=limit)
        wait = timedelta(seconds=max(0.0, min(end, limit or end) - now) + DEFER_GRACE_SECONDS)
        self.defer(trigger=trigger, method_name="execute_complete", timeout=wait)

    @lineage.records
    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """Resume after the trigger fired: the result on success, otherwise the matching failure."""
        status, message = event.get("status"), str(event.get("message") or event)
        if status == "success":
            self.log.info("%s after %s poll(s) in the triggerer", message, event.get("polls"))
            return self.result(event)
        if status in FAILURES:
            raise FAILURES[str(status)](message)
        raise AirflowException(f"Waiting for {self.kind.label} {self.request_id} failed: {message}")

    def read(self, call: Callable[[], Any]) -> Any:
        """Return ``call()``, or None after a transient API error (logged; the next poke tries again)."""
        try:
            return call()
        except tasking_status.TRANSIENT_ERRORS as error:
            what = f"{self.kind.label} {self.request_id}"
            self.log.warning("Could not check %s (%s); will try again", what, error)
            return None

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        def at_start() -> LineageRecord:
            named: dict[str, Any] = {f"{self.kind.name}_request_id": self.request_id}
            return LineageRecord(**named)

        return lineage.facets_on_start(self, at_start)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_complete(self, lineage.no_lookup)

    get_openlineage_facets_on_failure = CapellaBaseOperator.get_openlineage_facets_on_failure
