"""AccessRequestTrigger and RequestReviewTrigger run directly in an event loop against the emulator."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import requests

from airflow_provider_capella.triggers.feasibility import AccessRequestTrigger
from airflow_provider_capella.triggers.review import RequestReviewTrigger
from tests.triggers.support import Tasking

ROTTERDAM = {"type": "Point", "coordinates": [4.05, 51.95]}
UNKNOWN_ID = "0b8f3f8e-7d1c-4c7e-9d7a-3b7f1b2a9c10"


async def first_event(trigger: Any) -> dict[str, Any]:
    events = trigger.run()
    event = await anext(events)
    await events.aclose()
    return dict(event.payload)


def create_access_request(emulator: Any, days: float = 2, **constraints: Any) -> str:
    opens = datetime.now(timezone.utc) + timedelta(minutes=5)
    properties = {
        "windowOpen": opens.isoformat(),
        "windowClose": (opens + timedelta(days=days)).isoformat(),
        "accessConstraints": constraints,
    }
    body = {"type": "Feature", "geometry": ROTTERDAM, "properties": properties}
    response = requests.post(
        f"{emulator.url}/ma/accessrequests", json=body, headers=emulator.auth_headers, timeout=30
    )
    assert response.status_code == 201, response.text
    return str(response.json()["properties"]["accessrequestId"])


def test_access_request_trigger_survives_serialization() -> None:
    trigger = AccessRequestTrigger(UNKNOWN_ID, "my_conn", poll_interval=5, end_time=1234.5)

    classpath, kwargs = trigger.serialize()
    rebuilt = AccessRequestTrigger(**kwargs)

    assert classpath == "airflow_provider_capella.triggers.feasibility.AccessRequestTrigger"
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs == {
        "access_request_id": UNKNOWN_ID,
        "capella_conn_id": "my_conn",
        "poll_interval": 5.0,
        "end_time": 1234.5,
    }


def test_review_trigger_survives_serialization() -> None:
    trigger = RequestReviewTrigger(UNKNOWN_ID, "repeat", "my_conn", poll_interval=2, end_time=99.0)

    classpath, kwargs = trigger.serialize()

    assert classpath == "airflow_provider_capella.triggers.review.RequestReviewTrigger"
    assert RequestReviewTrigger(**kwargs).serialize() == (classpath, kwargs)


async def test_fires_success_once_the_passes_are_planned(tasking: Tasking, capella_emulator: Any) -> None:
    # processed 6 s after creation: planning one day of passes takes well under that, even on a busy machine
    capella_emulator.settings(tasking_step_seconds=3)
    access_request_id = create_access_request(capella_emulator, days=1)

    payload = await first_event(
        AccessRequestTrigger(access_request_id, poll_interval=0.05, end_time=time.time() + 60)
    )

    assert payload["status"] == "success"
    assert payload["processing_status"] == "completed"
    assert payload["accessibility_status"] == "accessible"
    polls = capella_emulator.requests(path=f"/ma/accessrequests/{access_request_id}", method="GET")
    assert len(polls) == payload["polls"] > 1, "it waited while the request was processed"
    assert all("(triggerer)" in entry["headers"]["user-agent"] for entry in polls)


async def test_an_inaccessible_target_is_still_a_processed_request(
    tasking: Tasking, capella_emulator: Any
) -> None:
    access_request_id = create_access_request(capella_emulator, orbitalPlanes=[45])

    payload = await first_event(AccessRequestTrigger(access_request_id, poll_interval=0.05))

    assert (payload["status"], payload["accessibility_status"]) == ("success", "inaccessible")


async def test_times_out_when_processing_outlasts_the_deadline(
    tasking: Tasking, capella_emulator: Any
) -> None:
    capella_emulator.settings(tasking_step_seconds=60)
    access_request_id = create_access_request(capella_emulator)

    payload = await first_event(
        AccessRequestTrigger(access_request_id, poll_interval=0.05, end_time=time.time() + 0.3)
    )

    assert payload["status"] == "timeout"
    assert access_request_id in payload["message"]


async def test_an_unknown_access_request_fails_for_good(tasking: Tasking) -> None:
    payload = await first_event(AccessRequestTrigger(UNKNOWN_ID, poll_interval=0.05))

    assert payload["status"] == "failed"  # not retryable: the operator fails without its retries
    assert payload["polls"] == 1


async def test_retries_through_server_errors(tasking: Tasking, capella_emulator: Any) -> None:
    access_request_id = create_access_request(capella_emulator)
    capella_emulator.set_faults(fail_next_status=503, fail_next_count=12, scope="api")

    payload = await first_event(
        AccessRequestTrigger(access_request_id, poll_interval=0.05, end_time=time.time() + 60)
    )

    assert payload["status"] == "success"


async def test_review_trigger_fires_when_the_quote_is_ready(tasking: Tasking, capella_emulator: Any) -> None:
    capella_emulator.settings(tasking_step_seconds=2)  # in review 2 s after creation
    task_id = tasking.create(held=True)

    payload = await first_event(
        RequestReviewTrigger(task_id, "tasking", poll_interval=0.05, end_time=time.time() + 60)
    )

    assert (payload["status"], payload["request_status"]) == ("success", "review")
    assert payload["polls"] > 1
    assert tasking.codes(task_id)[0] == "review", "the trigger only reads"
