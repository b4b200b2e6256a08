"""Review as the API does it: a request waits in ``review`` until approved or rejected, ``preApproval``
skips review, and auto-approval is an explicit emulator option (``--auto-approve-review``)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from capella_emulator.cli import build_parser, config_from_args

from tests.emulator.tasking_helpers import FAST_STEP, POINT, Api, codes


@pytest.fixture
def api(capella_emulator: Any) -> Api:
    capella_emulator.settings(tasking_step_seconds=FAST_STEP)
    return Api(capella_emulator)


def _repeat(api: Api, **properties: Any) -> str:
    body = {"type": "Feature", "geometry": POINT, "properties": properties}
    response = api.post("/repeat-requests", body)
    assert response.status_code == 201, response.text
    return response.json()["properties"]["repeatrequestId"]


def _repeat_codes(api: Api, repeat_id: str) -> list[str]:
    return codes(api.get(f"/repeat-requests/{repeat_id}").json())


def test_a_request_waits_in_review_until_it_is_approved(api: Api) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]
    repeat_id = _repeat(api)
    time.sleep(10 * FAST_STEP)

    assert codes(api.task(task_id)) == ["review", "received"]
    assert _repeat_codes(api, repeat_id) == ["review", "received"]

    assert api.patch(f"/task/{task_id}/status", {"status": "approved"}).status_code == 200
    approved = api.wait_for_task(task_id, "completed")
    assert codes(approved)[-3:] == ["submitted", "review", "received"]
    assert (
        approved["properties"]["statusHistory"][-3]["message"]
        == "Request approved and submitted for scheduling"
    )


@pytest.mark.parametrize("spelling", ["preApproval", "pre_approval"])
def test_a_pre_approved_request_never_waits_in_review(api: Api, spelling: str) -> None:
    task_id = api.create_task(**{spelling: True})["properties"]["taskingrequestId"]
    repeat_id = _repeat(api, preApproval=True, repetitionProperties={"repetitionCount": 1})

    task = api.wait_for_task(task_id, "completed")

    assert codes(task) == ["completed", "accepted", "submitted", "received"]
    assert task["properties"]["preApproval"] is True
    time.sleep(3 * FAST_STEP)
    assert "review" not in _repeat_codes(api, repeat_id)
    assert _repeat_codes(api, repeat_id)[-2:] == ["submitted", "received"]


def test_a_pre_approved_request_cannot_be_approved_or_rejected(api: Api) -> None:
    task_id = api.create_task(preApproval=True)["properties"]["taskingrequestId"]
    api.wait_for_task(task_id, "submitted", "accepted")

    response = api.patch(f"/task/{task_id}/status", {"status": "rejected"})

    assert response.status_code == 400
    assert "only a tasking request in review" in response.json()["error"]["detail"][0]["message"]


@pytest.mark.capella_emulator(auto_approve_review=True)
def test_the_auto_approve_option_approves_one_step_after_review(api: Api) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]
    repeat_id = _repeat(api)

    task = api.wait_for_task(task_id, "completed")

    assert codes(task)[-3:] == ["submitted", "review", "received"]
    assert "through automatic approval" in task["properties"]["statusHistory"][-3]["message"]
    assert _repeat_codes(api, repeat_id)[-3:] == ["submitted", "review", "received"]


def test_auto_approval_is_a_runtime_setting_read_when_a_request_is_created(
    api: Api, capella_emulator: Any
) -> None:
    assert capella_emulator.settings()["auto_approve_review"] is False
    held = api.create_task()["properties"]["taskingrequestId"]
    capella_emulator.settings(auto_approve_review=True)
    approved = api.create_task()["properties"]["taskingrequestId"]

    api.wait_for_task(approved, "completed")

    assert codes(api.task(held))[0] == "review"


def test_the_cli_flag_turns_auto_approval_on_and_it_is_off_by_default() -> None:
    parser = build_parser()

    assert config_from_args(parser.parse_args([])).auto_approve_review is False
    assert config_from_args(parser.parse_args(["--auto-approve-review"])).auto_approve_review is True


def test_no_name_marker_holds_or_approves_a_request(api: Api) -> None:
    task_id = api.create_task(taskingrequestName="emulator:manual-approval", preApproval=True)
    held = api.create_task(customAttribute1="emulator:auto-approve")["properties"]["taskingrequestId"]

    api.wait_for_task(task_id["properties"]["taskingrequestId"], "completed")
    time.sleep(5 * FAST_STEP)
    assert codes(api.task(held))[0] == "review"
