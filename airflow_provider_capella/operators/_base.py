"""What every Capella operator shares: the connection id, the hook, the lineage, and failing fast."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_capella import lineage
from airflow_provider_capella._compat import AirflowFailException
from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.exceptions import CapellaError
from airflow_provider_capella.lineage.record import LineageRecord

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context

    from airflow_provider_capella.hooks.capella import CapellaHook


class FailsFast:
    """Mixin: ``execute``, ``execute_complete`` and ``poke`` turn a non-retryable error into a failure."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("execute", "execute_complete", "poke"):
            if name in cls.__dict__:
                setattr(cls, name, fail_fast(cls.__dict__[name]))


def fail_fast(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a :class:`CapellaError` that is not ``retryable`` into ``AirflowFailException`` (no retries)."""

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except CapellaError as error:
            if error.retryable:
                raise
            raise AirflowFailException(
                f"{error} (not retried: a {type(error).__name__} is not transient)"
            ) from error

    return run


class CapellaBaseOperator(FailsFast, BaseOperator):
    """Base of the Capella operators: ``capella_conn_id``, a lazily built :class:`CapellaHook`, ``lineage``.

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
    def hook(self) -> CapellaHook:  # the task's own, created on first use
        return self.new_hook()

    def push(self, context: Context, key: str, value: Any) -> None:
        """Push ``value`` under ``key`` (console links, lineage) whatever ``do_xcom_push`` says."""
        self.lineage.note_pushed(key, value)
        if context.get("ti") is not None:  # none when execute() is called directly
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
