"""``CapellaHook``'s approval methods (attached to the class in :mod:`.capella`).

A tasking or repeat request created without pre-approval waits in ``review`` with its quote until
the customer approves or rejects it. Each method fetches the request first and refuses, before
sending anything, when it is not in review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella.hooks import _requests
from airflow_provider_capella.tasking_status import latest_status

if TYPE_CHECKING:
    from airflow_provider_capella.hooks._requests import RequestKind
    from airflow_provider_capella.hooks.capella import CapellaHook

REVIEW = "review"


def approve_tasking_request(self: CapellaHook, tasking_request_id: str) -> dict[str, Any]:
    """Approve a tasking request in review at its quoted price (billable from here on).

    :param tasking_request_id: the tasking request, created without ``pre_approval``.
    :return: the tasking request Feature as the API answered it (``submitted`` next).
    :raises CapellaValidationError: naming ``tasking_request_id`` when the request is not in review.

    Example::

        task = hook.get_task(task_id)
        if task["properties"]["order"]["summary"]["total"] == "$3,000.00":
            hook.approve_tasking_request(task_id)
    """
    return _change_in_review(self, _requests.TASKING, tasking_request_id, {"status": "approved"}, "approved")


def reject_tasking_request(self: CapellaHook, tasking_request_id: str) -> dict[str, Any]:
    """Reject (decline) a tasking request in review; it ends ``rejected`` and nothing is charged.

    :param tasking_request_id: the tasking request in review.
    :return: the tasking request Feature as the API answered it.
    :raises CapellaValidationError: naming ``tasking_request_id`` when the request is not in review.

    Example::

        hook.reject_tasking_request(task_id)
    """
    return _change_in_review(self, _requests.TASKING, tasking_request_id, {"status": "rejected"}, "rejected")


def approve_repeat_request(self: CapellaHook, repeat_request_id: str) -> dict[str, Any]:
    """Approve a repeat request in review (``{"code": "submitted"}``): the series is billable from here on.

    :param repeat_request_id: the repeat request in review.
    :return: the repeat request Feature as the API answered it.
    :raises CapellaValidationError: naming ``repeat_request_id`` when the request is not in review.

    Example::

        hook.approve_repeat_request(repeat_id)
    """
    return _change_in_review(self, _requests.REPEAT, repeat_request_id, {"code": "submitted"}, "approved")


def reject_repeat_request(self: CapellaHook, repeat_request_id: str) -> dict[str, Any]:
    """Reject (decline) a repeat request in review (``{"code": "rejected"}``); nothing is charged.

    :param repeat_request_id: the repeat request in review.
    :return: the repeat request Feature as the API answered it.
    :raises CapellaValidationError: naming ``repeat_request_id`` when the request is not in review.

    Example::

        hook.reject_repeat_request(repeat_id)
    """
    return _change_in_review(self, _requests.REPEAT, repeat_request_id, {"code": "rejected"}, "rejected")


def _change_in_review(
    hook: CapellaHook, kind: RequestKind, request_id: str, body: dict[str, str], verb: str
) -> dict[str, Any]:
    checked = checks.uuid_text(kind.id_argument, request_id)
    current = _requests.get(hook.api, kind, checked)
    status = latest_status(current)
    if status != REVIEW:
        checks.fail(
            kind.id_argument,
            f"{kind.label} {checked} is {status or 'without a status'}, not in review: only a request in "
            f"review can be {verb}",
        )
    answer = hook.api.call("PATCH", kind.item_path.format(checked) + "/status", json=body)
    hook.log.info("%s %s %s", kind.label.capitalize(), checked, verb)
    return answer if isinstance(answer, dict) else current
