"""``AccessRequestTrigger``: waits in the triggerer until Capella has processed an access request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.hooks.capella import ACCESS_FAILED, processing_status
from airflow_provider_capella.triggers._polling import Poller, serialized


class AccessRequestTrigger(BaseTrigger):
    """Poll an access request until it is processed, fails, or ``end_time`` passes; fire one event.

    The payload is ``{"status", "access_request_id", "processing_status", "accessibility_status",
    "message", "polls"}``, ``status`` one of ``success``, ``failed``, ``timeout`` or ``error``.

    :param access_request_id: the access request.
    :param capella_conn_id: the Airflow connection id (default ``capella_default``).
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the wait ends with ``timeout``.

    Example::

        self.defer(
            trigger=AccessRequestTrigger(access_request_id, "capella_default", poll_interval=10,
                                         end_time=time.time() + 3600),
            method_name="execute_complete",
        )
    """

    def __init__(
        self,
        access_request_id: str,
        capella_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 10.0,
        end_time: float | None = None,
    ) -> None:
        super().__init__()
        self.access_request_id, self.capella_conn_id = access_request_id, capella_conn_id
        self.poll_interval, self.end_time = float(poll_interval), end_time

    serialize = serialized  # the classpath and the arguments that rebuild this trigger in the triggerer

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the access request is processed (the HTTP pool is released first); fire one event."""
        subject = f"Access request {self.access_request_id}"
        deadline = (self.end_time, "timeout", f"{subject} was not ready in time")
        poller = Poller(self.capella_conn_id, self.poll_interval, subject, [deadline], self.log)

        def verdict(answer: Any) -> dict[str, Any] | None:
            processing = processing_status(answer) or ""
            properties = (answer.get("properties") or {}) if isinstance(answer, dict) else {}
            accessibility = properties.get("accessibilityStatus")
            if processing == "completed":
                status, message = "success", f"{subject} is processed: {accessibility}"
            elif processing in ACCESS_FAILED:
                status, message = "failed", f"{subject} ended {processing}"
            else:
                return None
            return {
                "status": status,
                "message": message,
                "access_request_id": self.access_request_id,
                "processing_status": processing,
                "accessibility_status": accessibility,
            }

        payload = await poller.run(lambda hook: hook.get_access_request(self.access_request_id), verdict)
        yield TriggerEvent({**payload, "polls": poller.polls})
