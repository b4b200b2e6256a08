"""``POST /orders/task/{taskingrequestId}`` over real HTTP: order everything a tasking request produced."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.around_tasking_helpers import FAST_STEP, Client, error_of


@pytest.fixture
def api(capella_emulator: Any) -> Client:
    capella_emulator.settings(tasking_step_seconds=FAST_STEP)
    return Client(capella_emulator)


def items_of_collects(api: Client, task_id: str) -> set[str]:
    collect_ids = [collect["collectId"] for collect in api.get(f"/collects/list/{task_id}").json()]
    body = {"query": {"capella:collect_id": {"in": collect_ids}}, "limit": 100}
    return {item["id"] for item in api.post("/catalog/search", body).json()["features"]}


def test_ordering_a_completed_request_orders_all_its_products(api: Client) -> None:
    task_id = api.create_task(
        taskingrequestName="two passes emulator:collects=2",
        processingConfig={"productTypes": ["GEO", "SLC"]},
        preApproval=True,
    )["properties"]["taskingrequestId"]
    api.wait_task(task_id, "completed")

    response = api.post(f"/orders/task/{task_id}")

    assert response.status_code == 200, response.text
    order = response.json()
    assert order["orderStatus"] == "completed" and order["orderId"]
    granules = {item["granuleId"] for item in order["items"]}
    assert granules == items_of_collects(api, task_id) and len(granules) == 4  # 2 collects x GEO, SLC
    download = api.get(f"/orders/{order['orderId']}/download")
    assert download.status_code == 200, download.text
    assert {item["id"] for item in download.json()} == granules
    assert all("Signature=" in item["assets"]["thumbnail"]["href"] for item in download.json())


def test_ordering_the_same_request_again_flags_previously_ordered_items(api: Client) -> None:
    task_id = api.create_task(preApproval=True)["properties"]["taskingrequestId"]
    api.wait_task(task_id, "completed")

    first = api.post(f"/orders/task/{task_id}").json()
    second = api.post(f"/orders/task/{task_id}").json()

    assert first["orderId"] != second["orderId"]
    assert not any(item["previouslyOrdered"] for item in first["items"])
    assert all(item["previouslyOrdered"] for item in second["items"])


def test_a_request_that_produced_nothing_yet_cannot_be_ordered(api: Client, capella_emulator: Any) -> None:
    task_id = api.create_task(taskingrequestName="wait for approval")["properties"]["taskingrequestId"]
    api.wait_task(task_id, "review")

    response = api.post(f"/orders/task/{task_id}")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "ORDER_VALIDATION_ERROR" and "review" in error["message"]
    assert capella_emulator.state.orders.orders == {}


def test_a_failed_request_has_nothing_to_order(api: Client) -> None:
    task_id = api.create_task(taskingrequestName="emulator:failed", preApproval=True)["properties"][
        "taskingrequestId"
    ]
    api.wait_task(task_id, "failed")

    response = api.post(f"/orders/task/{task_id}")

    assert response.status_code == 400 and "failed" in error_of(response)["message"]


def test_unknown_and_malformed_request_ids(api: Client) -> None:
    unknown = api.post("/orders/task/0b9f7c1e-6f0e-4a8e-9d8e-1f2a3b4c5d6e")
    malformed = api.post("/orders/task/not-an-id")

    assert unknown.status_code == 404
    assert malformed.status_code == 400 and error_of(malformed)["code"] == "VALIDATION_ERROR"
