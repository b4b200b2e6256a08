"""Tasking requests against the emulator: create, lifecycle, collects, search, update, cancel."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaTaskNotCompleteError
from airflow_provider_capella.hooks.capella import CapellaHook

POINT = {"type": "Point", "coordinates": [-105.27, 40.01]}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-105.3, 40.0], [-105.29, 40.0], [-105.29, 40.01], [-105.3, 40.01], [-105.3, 40.0]]],
}


def wait_until_completed(hook: CapellaHook, task_id: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = hook.get_task(task_id)
        if hook.is_task_completed(task):
            return task
        time.sleep(0.1)
    raise AssertionError(f"tasking request {task_id} did not complete")


def task_id_of(task: dict[str, Any]) -> str:
    return task["properties"]["taskingrequestId"]


def test_create_converts_aware_windows_to_utc(hook: CapellaHook) -> None:
    opens = datetime(2030, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    task = hook.create_tasking_request(
        geometry=POINT,
        name="utc",
        window_open=opens,
        window_close="2030-03-09T12:00:00-05:00",  # a standard request's window is at least a week
        polarization="VV",
    )
    properties = hook.get_task(task_id_of(task))["properties"]
    assert properties["windowOpen"] == "2030-03-01T10:00:00.000Z"
    assert properties["windowClose"] == "2030-03-09T17:00:00.000Z"
    assert properties["collectConstraints"]["polarization"] == "VV"


def test_defaults_follow_the_sdk(hook: CapellaHook) -> None:
    point = hook.create_tasking_request(geometry=POINT, name="point")["properties"]
    area = hook.create_tasking_request(geometry=SQUARE, name="area", local_time="night")["properties"]
    assert point["collectConstraints"]["squint"] == "enabled"
    assert area["collectConstraints"]["squint"] == "disabled"
    assert area["collectConstraints"]["localTime"] == [[0, 21600], [64800, 86400]]
    assert point["collectionTier"] == "standard" and point["collectionType"] == "spotlight"
    opens = datetime.fromisoformat(point["windowOpen"].replace("Z", "+00:00"))
    closes = datetime.fromisoformat(point["windowClose"].replace("Z", "+00:00"))
    assert closes - opens == timedelta(days=7)


def test_lifecycle_until_collects(hook: CapellaHook) -> None:
    task = hook.create_tasking_request(
        geometry=POINT, name="life", custom_attribute_1="run-42", pre_approval=True
    )
    assert not hook.is_task_completed(task)
    with pytest.raises(CapellaTaskNotCompleteError):
        hook.get_collects_for_task(task_id_of(task))
    completed = wait_until_completed(hook, task_id_of(task))
    codes = [entry["code"] for entry in completed["properties"]["statusHistory"]]
    assert codes[0] == "completed"
    collects = hook.get_collects_for_task(task_id_of(task))
    assert collects and all(collect["taskingrequestId"] == task_id_of(task) for collect in collects)


def test_completed_then_accepted_then_completed_counts_as_completed(hook: CapellaHook) -> None:
    task = hook.create_tasking_request(
        geometry=POINT, name="again", custom_attribute_2="emulator:recompleted", pre_approval=True
    )
    deadline = time.monotonic() + 15
    codes: list[str] = []
    while time.monotonic() < deadline:
        current = hook.get_task(task_id_of(task))
        codes = [entry["code"] for entry in current["properties"]["statusHistory"]]
        if codes.count("completed") == 2:
            break
        if "completed" in codes:
            assert hook.is_task_completed(current), codes  # also while it is "accepted" again
        time.sleep(0.05)
    assert codes[:3] == ["completed", "accepted", "completed"]
    assert hook.is_task_completed(current)


def test_is_task_completed_reads_the_whole_history() -> None:
    hook = CapellaHook()
    history = [{"code": "accepted"}, {"code": "completed"}, {"code": "active"}, {"code": "received"}]
    assert hook.is_task_completed({"properties": {"statusHistory": history}})
    assert not hook.is_task_completed({"properties": {"statusHistory": history[2:]}})


def test_failed_request_is_not_completed(hook: CapellaHook) -> None:
    task = hook.create_tasking_request(geometry=POINT, name="doomed emulator:failed", pre_approval=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        current = hook.get_task(task_id_of(task))
        if current["properties"]["statusHistory"][0]["code"] == "failed":
            break
        time.sleep(0.1)
    assert not hook.is_task_completed(current)


def test_search_by_filters_and_zero_matches(hook: CapellaHook) -> None:
    first = hook.create_tasking_request(geometry=POINT, name="a", collection_tier="priority")
    hook.create_tasking_request(geometry=POINT, name="b")
    found = hook.search_tasking_requests(collection_tier="priority")
    assert [task_id_of(task) for task in found] == [task_id_of(first)]
    assert [
        task_id_of(task) for task in hook.search_tasking_requests(tasking_request_id=task_id_of(first))
    ] == [task_id_of(first)]
    assert (
        len(
            hook.search_tasking_requests(submission_time__gte=datetime.now(timezone.utc) - timedelta(hours=1))
        )
        == 2
    )
    assert hook.search_tasking_requests(status="anomaly") == []
    assert len(hook.search_tasking_requests(status=["received", "review", "submitted", "accepted"])) == 2
    assert len(hook.search_tasking_requests(for_org=True)) == 2


@pytest.mark.parametrize("threaded", [True, False])
def test_search_follows_every_page(hook: CapellaHook, capella_emulator: Any, threaded: bool) -> None:
    created = {task_id_of(hook.create_tasking_request(geometry=POINT, name=f"n{i}")) for i in range(520)}
    capella_emulator.clear_requests()
    found = hook.search_tasking_requests(page_size=250, threaded=threaded)
    assert {task_id_of(task) for task in found} == created
    assert len(found) == 520
    pages = capella_emulator.requests(path="/tasks/search")
    assert sorted(entry["query"] for entry in pages) == [f"page={n}&limit=250" for n in (1, 2, 3)]


def test_update_many_reports_each_id(hook: CapellaHook) -> None:
    one = task_id_of(hook.create_tasking_request(geometry=POINT, name="one"))
    two = task_id_of(hook.create_tasking_request(geometry=POINT, name="two"))
    missing = "0b8f3f8e-7d1c-4c7e-9d7a-3b7f1b2a9c10"
    results = hook.update_tasking_requests(one, two, missing, name="renamed", custom_attribute_1="x")
    assert list(results) == [one, two, missing]
    assert results[one]["properties"]["taskingrequestName"] == "renamed"
    assert results[two]["properties"]["customAttribute1"] == "x"
    assert results[missing]["success"] is False
    assert results[missing]["error"]["status"] == 404
    assert hook.get_task(one)["properties"]["taskingrequestName"] == "renamed"


def test_cancel_many_reports_each_id(hook: CapellaHook) -> None:
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    live = task_id_of(
        hook.create_tasking_request(geometry=POINT, name="live", window_open=tomorrow, pre_approval=True)
    )
    done = task_id_of(hook.create_tasking_request(geometry=POINT, name="done", pre_approval=True))
    wait_until_completed(hook, done)
    results = hook.cancel_tasking_requests(live, done, live)
    assert results[live] == {"success": True}
    assert results[done]["success"] is False
    assert results[done]["error"]["code"] == "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"
    assert hook.get_task(live)["properties"]["statusHistory"][0]["code"] in ("canceled", "cancelled")
