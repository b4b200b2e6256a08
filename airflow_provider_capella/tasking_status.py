"""The one reading of a request's status history (newest first): completed, failed or pending.

The hook, operators, sensors and triggers all decide with it; docs/api-fidelity.md ("What waiting means").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_capella._answers import api_time
from airflow_provider_capella._payloads import checks
from airflow_provider_capella.exceptions import (
    CapellaConnectionError,
    CapellaRateLimitError,
    CapellaServerError,
)

COMPLETED = "completed"  # complete wherever it appears in the history (the SDK's rule)
ANOMALY = "anomaly"  # a collect failed; Capella may still re-attempt it (``retrying``)
REVIEW = "review"  # the cost estimate is ready and waits for the customer's approval
FINAL_FAILURES = frozenset({"rejected", "expired", "canceled", "cancelled", "failed", "error"})
TERMINAL_FAILURES = FINAL_FAILURES | {ANOMALY}  # ends a request unless ``retrying`` follows an ``anomaly``
CANCELED = frozenset({"canceled", "cancelled"})
DEFAULT_ANOMALY_GRACE_PERIOD = timedelta(hours=6)  # how long a wait hopes for a retry after an ``anomaly``

MEANINGS = {  # what each in-progress status means, as Capella documents it (for logs)
    "received": "received by Capella, not yet reviewed",
    "review": "waiting for cost approval",
    "submitted": "approved and submitted for scheduling",
    "active": "being scheduled: collection may be attempted, but full completion is not guaranteed",
    "accepted": "accepted: full collection is guaranteed within the window",
    "retrying": "Capella is re-attempting the collection after an anomaly",
    ANOMALY: "a collect failed in a way that prevents full completion; Capella may still retry",
}

# API failures that outlived the connection's retries but may pass: a wait keeps polling through them
TRANSIENT_ERRORS = (CapellaServerError, CapellaConnectionError, CapellaRateLimitError)


@dataclass(frozen=True)
class TaskingOutcome:
    """Where a tasking request stands: ``state`` (``completed``, ``failed``, ``pending``), newest ``status``.

    Example::

        outcome = tasking_outcome(task)
        print(outcome.state, outcome.status, outcome.message)
    """

    state: str
    status: str
    message: str
    since: datetime | None = None
    retry_deadline: datetime | None = None
    note: str = ""

    @property
    def awaiting_approval(self) -> bool:
        """Whether the request waits in ``review`` for someone to approve its cost."""
        return self.state == "pending" and self.status == REVIEW

    def describe(self, tasking_request_id: str) -> str:
        """Say where the request stands, e.g. ``"Tasking request 6a8e... is rejected: No capacity"``."""
        text = f"Tasking request {tasking_request_id} is {self.status}"
        text = f"{text}: {self.message}" if self.message else text
        return f"{text} ({self.note})" if self.note else text

    def progress(self, tasking_request_id: str) -> str:
        """Say in one log line what a pending request is doing, what its status means, how to move it on."""
        text = f"Tasking request {tasking_request_id} is {self.status}"
        if meaning := MEANINGS.get(self.status):
            text += f" ({meaning})"
        if self.awaiting_approval:
            return (
                f"{text}: it waits for cost approval and will not be scheduled until someone approves it: "
                f"call CapellaHook.approve_tasking_request({tasking_request_id!r}) or approve it in the "
                "Capella console (create requests with pre_approval=True to skip the review)"
            )
        if self.status == ANOMALY and self.retry_deadline is not None:
            text += f"; waiting for a retry until {self.retry_deadline.isoformat()} (anomaly_grace_period)"
        return f"{text}: {self.message}" if self.message else text


def status_codes(request: Any) -> list[str]:
    """Return the status codes of a tasking or repeat request's history, newest first, lower case."""
    history = request.get("properties", {}).get("statusHistory") if isinstance(request, dict) else None
    if not isinstance(history, list):
        checks.fail("task", "must be a tasking request dict with properties.statusHistory (see get_task)")
    return [str(entry.get("code", "")).lower() for entry in history if isinstance(entry, dict)]


def is_completed(request: Any) -> bool:
    """Tell whether ``completed`` appears anywhere in the request's status history (reprocessing included)."""
    return COMPLETED in status_codes(request)


def latest_status(request: Any) -> str | None:
    """Return the newest status code of a request (lower case), or ``None`` when its history is empty."""
    return next(iter(status_codes(request)), None)


def grace_period(argument: str, value: Any) -> timedelta:
    """Return an anomaly grace period from a ``timedelta`` or a number of seconds (``None``: the default).

    :param argument: the argument's name, for the error message.
    :param value: a ``timedelta``, a non-negative number of seconds, or ``None``.
    """
    if value is None:
        return DEFAULT_ANOMALY_GRACE_PERIOD
    if not isinstance(value, timedelta | int | float) or isinstance(value, bool):
        checks.fail(argument, f"must be a timedelta or a number of seconds, got {value!r}")
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    return timedelta(seconds=checks.number(argument, seconds, minimum=0))


def tasking_outcome(
    task: dict[str, Any],
    *,
    anomaly_grace_period: timedelta = DEFAULT_ANOMALY_GRACE_PERIOD,
    now: datetime | None = None,
) -> TaskingOutcome:
    """Read a tasking request Feature's ``statusHistory`` (newest first) by the rule of this module.

    :param task: a tasking request Feature.
    :param anomaly_grace_period: how long an ``anomaly`` may wait for a ``retrying`` before it fails.
    :param now: the current time (default: now, UTC), compared with the API's status times.
    """
    properties = task.get("properties") if isinstance(task, dict) else None
    history = properties.get("statusHistory") if isinstance(properties, dict) else None
    entries = [entry for entry in history or [] if isinstance(entry, dict)]
    codes = [str(entry.get("code") or "").lower() for entry in entries]
    at = codes.index(COMPLETED) if COMPLETED in codes else 0  # completed anywhere wins
    entry: dict[str, Any] = entries[at] if entries else {}
    status = codes[at] if codes else "unknown"
    message, since = str(entry.get("message") or ""), api_time(entry.get("time"))
    if status == COMPLETED:
        return TaskingOutcome(COMPLETED, status, message, since)
    if status in FINAL_FAILURES:
        return TaskingOutcome("failed", status, message, since)
    if status != ANOMALY:
        return TaskingOutcome("pending", status, message, since)
    if since is None:
        return TaskingOutcome("failed", status, message, since, note="the anomaly has no time to wait from")
    if (now or datetime.now(timezone.utc)) < since + anomaly_grace_period:
        return TaskingOutcome("pending", status, message, since, retry_deadline=since + anomaly_grace_period)
    note = f"no retry came within the anomaly grace period of {anomaly_grace_period}"
    return TaskingOutcome("failed", status, message, since, note=note if anomaly_grace_period else "")
