"""The kinds of billable request (tasking, repeat): their API fields and the hook methods behind them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import REPEAT_ARGUMENTS, TASKING_ARGUMENTS
from airflow_provider_capella.links import REPEAT_REQUEST_ID_KEY, TASKING_REQUEST_ID_KEY

if TYPE_CHECKING:
    from airflow_provider_capella.hooks.capella import CapellaHook


@dataclass(frozen=True)
class RequestKind:
    """A kind of billable request: its API fields, XCom key and the hook methods behind it, by name."""

    name: str
    accepted_arguments: tuple[str, ...]
    id_xcom_key: str
    get_method: str

    @property
    def label(self) -> str:  # e.g. "tasking request"
        return f"{self.name} request"

    @property
    def id_field(self) -> str:  # the API Feature's, e.g. "taskingrequestId"
        return f"{self.name}requestId"

    @property
    def ids_argument(self) -> str:  # the bulk operators', e.g. "tasking_request_ids"
        return f"{self.name}_request_ids"

    def call(self, hook: CapellaHook, action: str, *args: Any, **kwargs: Any) -> Any:
        """Call the hook method behind ``action`` (``get``; e.g. ``cancel``: ``cancel_tasking_requests``)."""
        plural = "s" if action in ("search", "cancel", "update") else ""
        method = self.get_method if action == "get" else f"{action}_{self.name}_request{plural}"
        return getattr(hook, method)(*args, **kwargs)

    def call_on(self, hook: CapellaHook, action: str, request_id: str) -> Any:
        """Call the hook method behind ``action`` (``get``, ``approve``, ``reject``) on one request."""
        return self.call(hook, action, **{f"{self.name}_request_id": request_id})


TASKING = RequestKind("tasking", TASKING_ARGUMENTS, TASKING_REQUEST_ID_KEY, "get_task")
REPEAT = RequestKind("repeat", REPEAT_ARGUMENTS, REPEAT_REQUEST_ID_KEY, "get_repeat_request")
