"""``CapellaLineageMixin``: the OpenLineage methods of the operators, reading what ``execute`` recorded.

The OpenLineage provider calls ``get_openlineage_facets_on_start`` before ``execute`` (what the arguments
name), and ``..._on_complete`` / ``..._on_failure`` after it (what the task actually read, wrote and
caused). Those methods import the OpenLineage side; nothing else here does, so without the provider
installed nothing of OpenLineage is ever imported. The provider runs them in a forked child, so an
API call they make (enrichment with catalog facts or a cost) uses a hook of its own, never the task's
connection pool.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from airflow_provider_capella.lineage.record import ErrorFacts, LineageRecord
from airflow_provider_capella.links import ORDER_ID_KEY, REPEAT_REQUEST_ID_KEY, TASKING_REQUEST_ID_KEY

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_provider_capella.hooks.capella import CapellaHook

log = logging.getLogger(__name__)
Execute = TypeVar("Execute", bound=Callable[..., Any])

RECORDED_XCOM_KEYS = {
    ORDER_ID_KEY: "order_id",
    TASKING_REQUEST_ID_KEY: "tasking_request_id",
    REPEAT_REQUEST_ID_KEY: "repeat_request_id",
}
CONSOLE_PATHS = (
    ("tasking_request_id", "tasking"),
    ("repeat_request_id", "repeat-requests"),
    ("order_id", "orders"),
)


def records_lineage(execute: Execute) -> Execute:
    """Give ``execute`` (or ``execute_complete``) a fresh record, and keep the API's answer on failure.

    A :class:`~airflow_provider_capella.exceptions.CapellaError` ending the task is recorded (status,
    code, message) and raised on unchanged.

    Example::

        class MyOperator(CapellaLineageMixin, CapellaBaseOperator):
            @records_lineage
            def execute(self, context): ...
    """

    @functools.wraps(execute)
    def run(self: CapellaLineageMixin, *args: Any, **kwargs: Any) -> Any:
        from airflow_provider_capella.exceptions import CapellaError

        self._lineage = LineageRecord()
        try:
            return execute(self, *args, **kwargs)
        except CapellaError as error:
            self._lineage.error = ErrorFacts.of(error)
            raise

    return cast("Execute", run)


class CapellaLineageMixin:
    """OpenLineage facets for a Capella operator, from the :class:`LineageRecord` its ``execute`` fills.

    Subclasses may override :meth:`lineage_at_start` (facts the arguments give before anything runs) and
    :meth:`lineage_enrich` (facts looked up afterwards, only when OpenLineage asks). Ids the operator
    pushes for its console links (order, tasking request, repeat request) are recorded as they are pushed.

    Example::

        class SubmitOrderOperator(CapellaLineageMixin, CapellaBaseOperator):
            @records_lineage
            def execute(self, context):
                self.lineage.add_product_ids(stac_ids)
                ...
    """

    capella_conn_id: str
    _lineage: LineageRecord | None = None

    @property
    def lineage(self) -> LineageRecord:
        """What this task instance has recorded so far."""
        if self._lineage is None:
            self._lineage = LineageRecord()
        return self._lineage

    def push(self, context: Any, key: str, value: Any) -> None:
        """Push as the base operator does, and record the ids pushed for the console links."""
        attribute = RECORDED_XCOM_KEYS.get(key)
        if attribute and value:
            setattr(self.lineage, attribute, str(value))
        super().push(context, key, value)  # type: ignore[misc]

    # --- what subclasses may provide ----------------------------------------------------------------

    def lineage_at_start(self) -> LineageRecord:
        """Return what the rendered arguments name before ``execute`` runs (default: nothing)."""
        return LineageRecord()

    def lineage_enrich(self, record: LineageRecord) -> None:
        """Complete ``record`` after a successful run: catalog facts of products known only by id."""
        undescribed = record.undescribed_ids()
        if undescribed:
            from airflow_provider_capella.lineage.products import describe_products

            found = describe_products(self.lineage_hook(), undescribed, record.tasking_request_id)
            record.add_products(found)

    # --- the OpenLineage provider's entry points ------------------------------------------------------

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        """Report the inputs the arguments name, and the ids known before the run."""
        record = self._safely("reading the arguments", self.lineage_at_start) or LineageRecord()
        return self._operator_lineage(record)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        """Report the products read, the files written, the ids and cost of what the task caused."""
        record = self.lineage
        self._safely("looking up catalog facts and cost", lambda: self.lineage_enrich(record))
        return self._operator_lineage(record)

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> OperatorLineage:
        """Report what was recorded before the failure, and the API's status, code and message."""
        return self._operator_lineage(self.lineage)

    # --- helpers ------------------------------------------------------------------------------------

    def lineage_hook(self) -> CapellaHook:
        """Return a hook of its own for lookups made while reporting lineage (never the task's pool)."""
        from airflow_provider_capella.hooks.capella import CapellaHook

        return CapellaHook(capella_conn_id=self.capella_conn_id)

    def lineage_namespace(self) -> str:
        """Return ``capella://<API host>`` of the operator's connection."""
        from airflow_provider_capella.lineage.naming import capella_namespace

        base_url = self._safely("reading the connection", lambda: self.lineage_hook().base_url)
        return capella_namespace(base_url)

    def lineage_console_url(self, record: LineageRecord) -> str | None:
        """Return the console page of the tasking request, repeat request or order the task used."""
        from airflow_provider_capella.links import console_url

        for attribute, path in CONSOLE_PATHS:
            identifier = getattr(record, attribute)
            if identifier:
                return f"{console_url(self.capella_conn_id)}/{path}/{identifier}"
        return None

    def _operator_lineage(self, record: LineageRecord) -> OperatorLineage:
        from airflow_provider_capella.lineage.datasets import operator_lineage

        return operator_lineage(record, self.lineage_namespace(), self.lineage_console_url(record))

    def _safely(self, doing: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except Exception as error:  # lineage never fails the task, nor hides its events
            log.warning("OpenLineage: %s failed (%s); the event carries what is known", doing, error)
            return None
