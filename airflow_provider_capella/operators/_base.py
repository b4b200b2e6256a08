"""What every Capella operator shares: the connection id (templated) and the hook, built once per task."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_capella.constants import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_capella.hooks.capella import CapellaHook

__all__ = ["DEFAULT_CONN_ID", "CapellaBaseOperator"]


class CapellaBaseOperator(BaseOperator):
    """Base of the Capella operators: ``capella_conn_id`` and a lazily built :class:`CapellaHook`.

    The hook (and with it ``requests``) is imported in ``execute`` only, so DAG files parse fast.

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

    @cached_property
    def hook(self) -> CapellaHook:
        """The hook on ``capella_conn_id``, created on first use."""
        from airflow_provider_capella.hooks.capella import CapellaHook

        return CapellaHook(capella_conn_id=self.capella_conn_id)

    def push(self, context: Context, key: str, value: Any) -> None:
        """Push ``value`` under ``key`` (what the console links read), whatever ``do_xcom_push`` says.

        :param context: the task's context.
        :param key: the XCom key.
        :param value: the JSON-serializable value.
        """
        context["ti"].xcom_push(key=key, value=value)
