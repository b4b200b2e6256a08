"""``RequestReviewTrigger``: waits in the triggerer until a tasking or repeat request has its quote."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.hooks.capella import KINDS
from airflow_provider_capella.hooks.capella_async import CapellaAsyncHook
from airflow_provider_capella.tasking_status import latest_status
from airflow_provider_capella.triggers._polling import PollingTrigger


@dataclass(eq=False, repr=False)
class RequestReviewTrigger(PollingTrigger):
    """Poll a tasking or repeat request until it is past ``received`` (usually: ``review``); fire one event.

    :param request_id: the tasking or repeat request.
    :param kind: ``tasking`` or ``repeat``.
    :param capella_conn_id: the Airflow connection id (default ``capella_default``).
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the wait ends with ``timeout``.

    Example::

        RequestReviewTrigger(task_id, "tasking", poll_interval=30)
    """

    request_id: str
    kind: str = "tasking"
    capella_conn_id: str = DEFAULT_CONN_ID
    poll_interval: float = 30.0
    end_time: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        super().__post_init__()

    @property
    def subject(self) -> str:
        return f"{self.kind.capitalize()} request {self.request_id}"

    async def read(self, hook: CapellaAsyncHook) -> Any:
        return await hook.get_request(self.request_id, kind=KINDS[self.kind])

    def verdict(self, answer: Any) -> dict[str, Any] | None:
        status = latest_status(answer)
        if status in (None, "received"):
            return None
        message = f"{self.subject} is {status}"
        return {"status": "success", "message": message, "kind": self.kind, "request_status": status}
