"""Repeat requests against the emulator: create, get, search, update, cancel."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_capella.hooks.capella import CapellaHook

POINT = {"type": "Point", "coordinates": [-105.27, 40.01]}


def repeat_id_of(repeat: dict[str, Any]) -> str:
    return repeat["properties"]["repeatrequestId"]


def test_create_and_get(hook: CapellaHook) -> None:
    start = datetime(2030, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=-4)))
    created = hook.create_repeat_request(
        geometry=POINT,
        name="weekly",
        repeat_start=start,
        repetition_count=4,
        repetition_interval=14,
        collection_tier="flexible",
        archive_holdback="thirty_day",
    )
    fetched = hook.get_repeat_request(repeat_id_of(created))
    properties = fetched["properties"]
    assert properties["repeatrequestName"] == "weekly"
    assert properties["collectionTier"] == "flexible"
    assert properties["archiveHoldback"] == "30_day"
    repetition = properties["repetitionProperties"]
    assert repetition["repeatStart"] == "2030-05-01T12:00:00.000Z"
    assert repetition["repetitionCount"] == 4 and repetition["repetitionInterval"] == 14
    assert "repeatEnd" not in repetition or repetition["repeatEnd"] is None


def test_search_by_id_and_status(hook: CapellaHook) -> None:
    one = repeat_id_of(hook.create_repeat_request(geometry=POINT, name="one", repeat_end="2031-01-01"))
    hook.create_repeat_request(geometry=POINT, name="two")
    assert [repeat_id_of(found) for found in hook.search_repeat_requests(repeat_request_id=one)] == [one]
    assert len(hook.search_repeat_requests()) == 2
    assert hook.search_repeat_requests(status="failed") == []


def wait_for_status(hook: CapellaHook, repeat_id: str, status: str) -> None:
    deadline = time.monotonic() + 15
    while hook.get_repeat_request(repeat_id)["properties"]["statusHistory"][0]["code"] != status:
        assert time.monotonic() < deadline, f"repeat request {repeat_id} never became {status}"
        time.sleep(0.05)


def test_update_and_cancel(hook: CapellaHook, capella_emulator: Any) -> None:
    repeat_id = repeat_id_of(hook.create_repeat_request(geometry=POINT, name="old", repetition_count=50))
    updated = hook.update_repeat_requests(repeat_id, name="new", description="described")
    assert updated[repeat_id]["properties"]["repeatrequestName"] == "new"
    wait_for_status(hook, repeat_id, "review")
    hook.approve_repeat_request(repeat_id)
    wait_for_status(hook, repeat_id, "active")
    capella_emulator.clear_requests()

    assert hook.cancel_repeat_requests(repeat_id) == {repeat_id: {"success": True}}

    assert len(capella_emulator.requests(method="PATCH")) == 1
    assert hook.get_repeat_request(repeat_id)["properties"]["statusHistory"][0]["code"] == "canceled"
    again = hook.cancel_repeat_requests(repeat_id)
    assert again[repeat_id]["success"] is False
    assert again[repeat_id]["error"]["code"] == "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"


def test_a_repeat_request_not_yet_active_is_not_sent_a_cancel(
    hook: CapellaHook, capella_emulator: Any
) -> None:
    later = datetime.now(timezone.utc) + timedelta(days=3)
    repeat_id = repeat_id_of(hook.create_repeat_request(geometry=POINT, name="later", repeat_start=later))
    capella_emulator.clear_requests()

    refused = hook.cancel_repeat_requests(repeat_id)[repeat_id]

    assert refused["success"] is False and refused["error"]["code"] == "CANCELLATION_NOT_ALLOWED"
    assert "only accepted or active" in refused["error"]["message"]
    assert capella_emulator.requests(method="PATCH") == []


def test_derived_tasking_requests_are_found_only_when_asked_for(hook: CapellaHook) -> None:
    repeat_id = repeat_id_of(hook.create_repeat_request(geometry=POINT, name="daily", repetition_interval=1))
    wait_for_status(hook, repeat_id, "review")
    hook.approve_repeat_request(repeat_id)
    deadline = time.monotonic() + 15
    derived: list[dict[str, Any]] = []
    while not derived and time.monotonic() < deadline:
        time.sleep(0.1)
        derived = [
            request
            for request in hook.search_tasking_requests(include_repeating_tasks=True)
            if request["properties"].get("repeatrequestId") == repeat_id
        ]
    assert derived, "the repeat request derived no tasking request"
    assert hook.search_tasking_requests() == []  # the SDK's default leaves derived requests out
