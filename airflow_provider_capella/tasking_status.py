"""The one reading of a tasking or repeat request's status history: completed, failed or pending.

The hook (``is_task_completed``, ``get_collects_for_task``), the operators (an already canceled
request), :class:`~airflow_provider_capella.sensors.tasking.TaskCompletedSensor` and
:class:`~airflow_provider_capella.triggers.tasking.TaskCompletedTrigger` all decide with these
functions. A history is newest first, as the API sends it.

Example::

    from airflow_provider_capella.tasking_status import tasking_outcome

    outcome = tasking_outcome(hook.get_task(task_id))
    if outcome.state == "failed":
        raise RuntimeError(outcome.describe(task_id))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_capella.exceptions import (
    CapellaConnectionError,
    CapellaError,
    CapellaRateLimitError,
    CapellaServerError,
    CapellaValidationError,
)

COMPLETED = "completed"
"""The status that makes a request complete, wherever it appears in the history (the SDK's rule)."""

TERMINAL_FAILURES = frozenset({"rejected", "expired", "canceled", "cancelled", "failed", "error", "anomaly"})
"""Statuses after which a tasking request will never complete."""

CANCELED = frozenset({"canceled", "cancelled"})
"""The spellings of a canceled request's status."""

TRANSIENT_ERRORS: tuple[type[CapellaError], ...] = (
    CapellaServerError,
    CapellaConnectionError,
    CapellaRateLimitError,
)
"""API failures that outlived the connection's retries but may pass: a wait keeps polling through them."""


@dataclass(frozen=True)
class TaskingOutcome:
    """Where a tasking request stands: ``state`` is ``completed``, ``failed`` or ``pending``.

    ``status`` and ``message`` are the newest status code and the API's message for it.

    Example::

        outcome = tasking_outcome(task)
        print(outcome.state, outcome.status, outcome.message)
    """

    state: str
    status: str
    message: str

    def describe(self, tasking_request_id: str) -> str:
        """Say where the request stands, in one sentence naming it.

        :param tasking_request_id: the request's id, for the sentence.
        :return: e.g. ``"Tasking request 6a8e... is rejected: No capacity"``.
        """
        text = f"Tasking request {tasking_request_id} is {self.status}"
        return f"{text}: {self.message}" if self.message else text


def status_codes(request: Any) -> list[str]:
    """Return the status codes of a tasking or repeat request's history, newest first, lower case.

    :param request: a tasking or repeat request Feature (``get_task``, ``get_repeat_request``).
    :return: e.g. ``["completed", "accepted", "submitted", "review", "received"]``.
    :raises CapellaValidationError: when ``request`` has no ``properties.statusHistory`` list.

    Example::

        latest = next(iter(status_codes(hook.get_task(task_id))), None)
    """
    history = request.get("properties", {}).get("statusHistory") if isinstance(request, dict) else None
    if not isinstance(history, list):
        raise CapellaValidationError.argument_error(
            "task", "must be a tasking request dict with properties.statusHistory (see get_task)"
        )
    return [str(entry.get("code", "")).lower() for entry in history if isinstance(entry, dict)]


def is_completed(request: Any) -> bool:
    """Tell whether ``completed`` appears anywhere in the request's status history.

    A reprocessed request goes completed → accepted → completed and counts as completed throughout.

    :param request: a tasking request Feature.
    :return: ``True`` when the request has completed.

    Example::

        is_completed({"properties": {"statusHistory": [{"code": "completed"}]}})  # True
    """
    return COMPLETED in status_codes(request)


def latest_status(request: Any) -> str | None:
    """Return the newest status code of a request, or ``None`` when its history is empty.

    :param request: a tasking or repeat request Feature.
    :return: the newest status code, lower case.

    Example::

        latest_status(hook.get_repeat_request(repeat_id))  # "active"
    """
    return next(iter(status_codes(request)), None)


def tasking_outcome(task: dict[str, Any]) -> TaskingOutcome:
    """Read a tasking request Feature's ``statusHistory`` (newest first).

    Completed when ``completed`` appears anywhere in the history; failed when the newest status is
    one of :data:`TERMINAL_FAILURES`; pending otherwise (also when there is no history yet).

    :param task: a tasking request Feature.
    :return: the request's :class:`TaskingOutcome`.

    Example::

        tasking_outcome({"properties": {"statusHistory": [{"code": "rejected", "message": "No"}]}}).state
        # 'failed'
    """
    properties = task.get("properties") if isinstance(task, dict) else None
    history = properties.get("statusHistory") if isinstance(properties, dict) else None
    entries = [entry for entry in history or [] if isinstance(entry, dict)]
    codes = [str(entry.get("code") or "").lower() for entry in entries]
    status = codes[0] if codes else "unknown"
    message = str(entries[0].get("message") or "") if entries else ""
    if COMPLETED in codes:
        completed = entries[codes.index(COMPLETED)]
        return TaskingOutcome(COMPLETED, COMPLETED, str(completed.get("message") or ""))
    if status in TERMINAL_FAILURES:
        return TaskingOutcome("failed", status, message)
    return TaskingOutcome("pending", status, message)


__all__ = [
    "CANCELED",
    "COMPLETED",
    "TERMINAL_FAILURES",
    "TRANSIENT_ERRORS",
    "TaskingOutcome",
    "is_completed",
    "latest_status",
    "status_codes",
    "tasking_outcome",
]
