"""Operator extra links: task-view buttons opening a tasking request, repeat request or order in Capella."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseHook, BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator

log = logging.getLogger(__name__)

DEFAULT_CONSOLE_URL = "https://console.capellaspace.com"
TASKING_REQUEST_ID_KEY = "capella_tasking_request_id"
REPEAT_REQUEST_ID_KEY = "capella_repeat_request_id"
ORDER_ID_KEY = "capella_order_id"


class CapellaConsoleLink(BaseOperatorLink):
    """A button ``name`` opening ``<console>/<path>/<id>``, the id read from the task's XCom ``id_key``.

    Example::

        class MyOperator(BaseOperator):
            operator_extra_links = (CapellaTaskingRequestLink(),)  # "Capella Tasking Request"
    """

    name: ClassVar[str] = "Capella Console"
    id_key: ClassVar[str] = ""
    path: ClassVar[str] = ""

    def get_link(self, operator: BaseOperator, *, ti_key: Any) -> str:
        try:
            from airflow.sdk.execution_time.xcom import XCom  # lazy: the task runtime, on the worker only

            request_id = XCom.get_value(ti_key=ti_key, key=self.id_key)
        except Exception:  # a link must never fail the task it decorates
            log.debug("No %s in XCom for %s", self.id_key, ti_key, exc_info=True)
            return ""
        if not request_id:
            return ""
        return f"{console_url(getattr(operator, 'capella_conn_id', None))}/{self.path}/{request_id}"


class CapellaTaskingRequestLink(CapellaConsoleLink):
    """Open the tasking request an operator created (``CreateTaskingRequestOperator``)."""

    name, id_key, path = "Capella Tasking Request", TASKING_REQUEST_ID_KEY, "tasking"


class CapellaRepeatRequestLink(CapellaConsoleLink):
    """Open the repeat request an operator created (``CreateRepeatRequestOperator``)."""

    name, id_key, path = "Capella Repeat Request", REPEAT_REQUEST_ID_KEY, "repeat-requests"


class CapellaOrderLink(CapellaConsoleLink):
    """Open the order an operator submitted or downloaded from (``SubmitOrderOperator``)."""

    name, id_key, path = "Capella Order", ORDER_ID_KEY, "orders"


def console_url(capella_conn_id: str | None) -> str:
    """Return the connection's ``console_url`` extra, else :data:`DEFAULT_CONSOLE_URL`."""
    if not capella_conn_id:
        return DEFAULT_CONSOLE_URL
    try:
        extra: dict[str, Any] = BaseHook.get_connection(capella_conn_id).extra_dejson or {}
    except Exception:
        log.debug("Connection %s unavailable; using the default console URL", capella_conn_id, exc_info=True)
        return DEFAULT_CONSOLE_URL
    return str(extra.get("console_url") or "").strip().rstrip("/") or DEFAULT_CONSOLE_URL
