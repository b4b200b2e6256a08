"""The calls around tasking over real HTTP: one collect, its status, a request's tiles, a task order."""

from __future__ import annotations

import time
from typing import Any

import pytest

from airflow_provider_capella.exceptions import (
    CapellaAmbiguousCreateError,
    CapellaNotFoundError,
    CapellaValidationError,
)
from airflow_provider_capella.hooks.capella import CapellaHook

POINT = {"type": "Point", "coordinates": [4.05, 51.95]}
UNKNOWN_ID = "0b9f7c1e-6f0e-4a8e-9d8e-1f2a3b4c5d6e"


def completed_task(hook: CapellaHook) -> str:
    task = hook.create_tasking_request(geometry=POINT, name="around-tasking", pre_approval=True)
    task_id = task["properties"]["taskingrequestId"]
    deadline = time.monotonic() + 30
    while not hook.is_task_completed(hook.get_task(task_id)):
        assert time.monotonic() < deadline, "tasking request did not complete"
        time.sleep(0.1)
    return str(task_id)


def test_a_collect_and_its_status(hook: CapellaHook) -> None:
    task_id = completed_task(hook)
    [listed, *_] = hook.get_collects_for_task(task_id)

    collect = hook.get_collect(listed["collectId"])
    status = hook.get_collect_status(listed["collectId"])

    assert collect["collectId"] == listed["collectId"]
    assert collect["taskingrequestId"] == task_id
    assert len(collect["centerEcef"]) == 3 and collect["collectProperties"]["imageWidth"] > 0
    assert status["collectId"] == listed["collectId"]
    assert status["collectStatus"] == "delivered"
    assert status["collectStatusHistory"][0]["code"] == "delivered"


def test_tiles_of_an_accepted_point_request(hook: CapellaHook) -> None:
    task_id = completed_task(hook)
    tiles = hook.list_tiles(task_id)
    assert len(tiles) == 1
    [tile] = tiles
    assert tile["type"] == "Feature" and tile["geometry"]["type"] == "Polygon"
    assert tile["properties"]["taskingrequestId"] == task_id
    lon, lat = tile["properties"]["center"][:2]
    assert (round(lon, 2), round(lat, 2)) == (4.05, 51.95)


def test_order_a_tasking_request_then_download_it(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Any
) -> None:
    task_id = completed_task(hook)
    capella_emulator.clear_requests()

    order_id = hook.order_tasking_request(task_id)

    posts = [
        entry for entry in capella_emulator.requests(method="POST") if entry["path"].startswith("/orders")
    ]
    assert [entry["path"] for entry in posts] == [f"/orders/task/{task_id}"]
    stac_ids = hook.get_stac_items_of_order(order_id, ids_only=True)
    assert stac_ids and all(stac_id.startswith("CAPELLA_") for stac_id in stac_ids)
    paths = hook.download_products(order_id=order_id, local_dir=tmp_path, include=["metadata"])
    assert sorted(paths) == sorted(stac_ids)


def test_ordering_a_request_without_products_is_refused(hook: CapellaHook) -> None:
    task = hook.create_tasking_request(geometry=POINT, name="not yet")
    with pytest.raises(CapellaValidationError, match="ORDER_VALIDATION_ERROR"):
        hook.order_tasking_request(task["properties"]["taskingrequestId"])


def test_a_task_order_is_never_re_sent_after_an_ambiguous_failure(
    hook: CapellaHook, capella_emulator: Any
) -> None:
    task_id = completed_task(hook)
    capella_emulator.set_faults(fail_next_status=502, fail_next_count=3, scope="api")
    capella_emulator.clear_requests()

    with pytest.raises(CapellaAmbiguousCreateError, match=r"list_orders"):
        hook.order_tasking_request(task_id)

    assert len(capella_emulator.requests(path=f"/orders/task/{task_id}")) == 1


def test_unknown_ids_are_not_found(hook: CapellaHook) -> None:
    with pytest.raises(CapellaNotFoundError):
        hook.get_collect(UNKNOWN_ID)
    with pytest.raises(CapellaNotFoundError):
        hook.get_collect_status(UNKNOWN_ID)


@pytest.mark.parametrize(
    ("method", "argument", "value"),
    [
        ("get_collect", "collect_id", "not-a-uuid"),
        ("get_collect_status", "collect_id", 42),
        ("list_tiles", "tasking_request_id", ""),
        ("order_tasking_request", "tasking_request_id", "123"),
    ],
)
def test_bad_ids_are_refused_before_anything_is_sent(
    hook: CapellaHook, capella_emulator: Any, method: str, argument: str, value: Any
) -> None:
    with pytest.raises(CapellaValidationError, match=argument) as raised:
        getattr(hook, method)(value)
    assert raised.value.argument == argument
    assert capella_emulator.requests() == []
