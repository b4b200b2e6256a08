"""What every Capella operator shares: the connection id (templated), the hook built once, the lineage."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_capella import lineage
from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.lineage.record import LineageRecord

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context

    from airflow_provider_capella.hooks.capella import CapellaHook


class CapellaBaseOperator(BaseOperator):
    """Base of the Capella operators: ``capella_conn_id``, a lazily built :class:`CapellaHook`, ``lineage``.

    The hook (and with it ``requests``) is imported in ``execute`` only, so DAG files parse fast.
    ``lineage`` is what the task read, wrote and caused; the ``get_openlineage_facets_on_*`` methods
    report it through :mod:`airflow_provider_capella.lineage` (operators override what differs).

    Example::

        class WhoAmIOperator(CapellaBaseOperator):
            def execute(self, context):
                return self.hook.whoami()["email"]
    """

    template_fields: Sequence[str] = ("capella_conn_id",)
    ui_color = "#e8f0fe"

    def __init__(self, *, capella_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.capella_conn_id = capella_conn_id
        self.lineage = LineageRecord()

    def new_hook(self) -> CapellaHook:
        """Return a new hook on ``capella_conn_id`` (lineage lookups never share the task's pool)."""
        return capella_hook(self.capella_conn_id)

    @cached_property
    def hook(self) -> CapellaHook:
        """The task's own hook (``new_hook()``), created on first use."""
        return self.new_hook()

    def push(self, context: Context, key: str, value: Any) -> None:
        """Push ``value`` under ``key`` (for the console links and lineage) whatever ``do_xcom_push`` says."""
        self.lineage.note_pushed(key, value)
        context["ti"].xcom_push(key=key, value=value)

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        return lineage.facets_on_start(self)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_complete(self)

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_failure(self)


def capella_hook(capella_conn_id: str) -> CapellaHook:
    """Return a new :class:`CapellaHook` on the connection, importing the hook only now (at run time)."""
    from airflow_provider_capella.hooks.capella import CapellaHook  # lazy: no HTTP stack at DAG parse

    return CapellaHook(capella_conn_id=capella_conn_id)
