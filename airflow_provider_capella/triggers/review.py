"""``RequestReviewTrigger``: waits in the triggerer until a tasking or repeat request has its quote."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.hooks.capella import KINDS
from airflow_provider_capella.tasking_status import latest_status
from airflow_provider_capella.triggers._polling import Poller, serialized

WAITING = frozenset({"received", ""})


class RequestReviewTrigger(BaseTrigger):
    """Poll a tasking or repeat request until it is past ``received`` (usually: in ``review``).

    The payload is ``{"status", "request_id", "kind", "request_status", "message", "polls"}``.

    :param request_id: the tasking or repeat request.
    :param kind: ``tasking`` or ``repeat``.
    :param capella_conn_id: the Airflow connection id (default ``capella_default``).
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the wait ends with ``timeout``.

    Example::

        self.defer(trigger=RequestReviewTrigger(task_id, "tasking", poll_interval=30),
                   method_name="execute_complete")
    """

    def __init__(
        self,
        request_id: str,
        kind: str = "tasking",
        capella_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 30.0,
        end_time: float | None = None,
    ) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
        self.request_id, self.kind, self.capella_conn_id = request_id, kind, capella_conn_id
        self.poll_interval, self.end_time = float(poll_interval), end_time

    serialize = serialized  # the classpath and the arguments that rebuild this trigger in the triggerer

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the request has left ``received`` (the HTTP pool is released first); fire one event."""
        subject = f"{self.kind.capitalize()} request {self.request_id}"
        deadline = (self.end_time, "timeout", f"{subject} was not ready in time")
        poller = Poller(self.capella_conn_id, self.poll_interval, subject, [deadline], self.log)

        def verdict(answer: Any) -> dict[str, Any] | None:
            status = latest_status(answer) or ""
            if status in WAITING:
                return None
            return {
                "status": "success",
                "message": f"{subject} is {status}",
                "request_id": self.request_id,
                "kind": self.kind,
                "request_status": status,
            }

        kind = KINDS[self.kind]
        payload = await poller.run(lambda hook: hook.get_request(self.request_id, kind=kind), verdict)
        yield TriggerEvent({**payload, "polls": poller.polls})
