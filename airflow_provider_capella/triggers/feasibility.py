"""``AccessRequestTrigger``: waits in the triggerer until Capella has processed an access request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.hooks.capella import ACCESS_FAILED, feature_property, processing_status
from airflow_provider_capella.hooks.capella_async import CapellaAsyncHook
from airflow_provider_capella.triggers._polling import PollingTrigger


@dataclass(eq=False, repr=False)
class AccessRequestTrigger(PollingTrigger):
    """Poll an access request until it is processed, fails or times out; fire one event (docs/feasibility.md).

    :param access_request_id: the access request.
    :param capella_conn_id: the Airflow connection id (default ``capella_default``).
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the wait ends with ``timeout``.

    Example::

        AccessRequestTrigger(access_request_id, poll_interval=10, end_time=time.time() + 3600)
    """

    access_request_id: str
    capella_conn_id: str = DEFAULT_CONN_ID
    poll_interval: float = 10.0
    end_time: float | None = None

    noun = "Access request"

    async def read(self, hook: CapellaAsyncHook) -> Any:
        return await hook.get_access_request(self.access_request_id)

    def verdict(self, answer: Any) -> dict[str, Any] | None:
        processing = processing_status(answer) or ""
        accessibility = feature_property(answer, "accessibilityStatus")
        if processing == "completed":
            status, message = "success", f"{self.subject} is processed: {accessibility}"
        elif processing in ACCESS_FAILED:
            status, message = "failed", f"{self.subject} ended {processing}"
        else:
            return None
        facts = {"processing_status": processing, "accessibility_status": accessibility}
        return {"status": status, "message": message, **facts}
