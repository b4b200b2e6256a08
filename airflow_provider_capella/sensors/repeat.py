"""``DerivedRequestsSensor``: wait until a repeat request has derived tasking requests, in any sensor mode."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._compat import AirflowFailException
from airflow_provider_capella._payloads import checks
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._kinds import REPEAT
from airflow_provider_capella.sensors._request import RequestSensor
from airflow_provider_capella.tasking_status import REVIEW, TERMINAL_FAILURES, latest_status

if TYPE_CHECKING:
    from airflow.sdk import XComArg
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_capella.hooks.capella import CapellaHook


class DerivedRequestsSensor(RequestSensor):
    """Wait until a repeat request has derived ``count`` tasking requests; return ``{id: latest status}``.

    :param repeat_request_id: the repeat request (templated, e.g. from an upstream XCom).
    :param count: how many derived tasking requests to wait for (templated; default 1).
    :param capella_conn_id: the Airflow connection id (default ``capella_default``; templated).
    :param deferrable: wait in the triggerer instead of a worker slot.

    Example::

        DerivedRequestsSensor(task_id="watch", repeat_request_id=create.output, count=2, mode="reschedule")
    """

    kind = REPEAT
    template_fields = ("repeat_request_id", "count", "capella_conn_id")

    def __init__(self, *, repeat_request_id: str | XComArg, count: int | str = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repeat_request_id: str = repeat_request_id  # type: ignore[assignment]
        self.count = count
        self._derived: dict[str, str] = {}

    @property
    def wanted(self) -> int:
        """The rendered ``count``, checked (an int, or a template rendered to e.g. ``"2"``)."""
        return int(checks.number("count", _arguments.integer("count", self.count), minimum=1, integer=True))

    def check(self) -> bool:
        """Return whether ``count`` requests were derived (raising if the series ended short of it)."""
        count = self.wanted
        found = self.read(lambda: derived(self.hook, self.request_id))
        if found is None:
            return False
        status, self._derived = found
        verdict = derived_verdict(self.request_id, count, status, self._derived)
        if verdict is not None and verdict[0] == "failed":
            raise AirflowFailException(verdict[1])
        review = status == REVIEW
        hint = " (waiting for approval: ApproveRepeatRequestOperator, or the console)" if review else ""
        progress = f"{len(self._derived)} of {count} derived tasking request(s): {self._derived}"
        level = logging.WARNING if hint else logging.INFO
        self.log.log(level, "Repeat request %s is %s%s, with %s", self.request_id, status, hint, progress)
        return verdict is not None

    def result(self, event: dict[str, Any] | None) -> dict[str, str]:
        """Return ``{tasking request id: latest status}`` of the derived requests."""
        found = dict(event["derived"]) if event else self._derived
        self.lineage.repeat_request_id = self.request_id
        self.lineage.request_ids = list(found)
        return found

    def trigger(self, **waiting: Any) -> BaseTrigger:
        from airflow_provider_capella.triggers.repeat import DerivedRequestsTrigger  # lazy: only to defer

        return DerivedRequestsTrigger(self.request_id, self.wanted, self.capella_conn_id, **waiting)


def derived(hook: CapellaHook, repeat_request_id: str) -> tuple[str | None, dict[str, str]]:
    """Return the repeat request's latest status and ``{derived tasking request id: latest status}``."""
    repeat = hook.get_repeat_request(repeat_request_id)
    submitted = (repeat.get("properties") or {}).get("submissionTime")
    since = {"submission_time__gte": submitted} if submitted else {}
    requests = hook.search_tasking_requests(include_repeating_tasks=True, **since)
    return latest_status(repeat), {
        str(request["properties"]["taskingrequestId"]): latest_status(request) or "unknown"
        for request in requests
        if request["properties"].get("repeatrequestId") == repeat_request_id
    }


def derived_verdict(
    repeat_request_id: str, count: int, status: str | None, found: dict[str, str]
) -> tuple[str, str] | None:
    """Return ``("success" | "failed", message)`` once the wait is over, else None."""
    subject = f"Repeat request {repeat_request_id}"
    if len(found) >= count:
        return "success", f"{subject} derived {len(found)} tasking request(s)"
    if status in TERMINAL_FAILURES or status == "completed":
        return "failed", f"{subject} is {status} after deriving {len(found)} of {count} tasking request(s)"
    return None
