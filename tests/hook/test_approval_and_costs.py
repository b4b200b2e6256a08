"""Approval of requests in review and the order cost limit, against the emulator.

A request created without pre-approval waits in ``review``, as the real API holds it (and the emulator
by default).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaCostLimitError, CapellaValidationError
from airflow_provider_capella.hooks.capella import CapellaHook
from airflow_provider_capella.tasking_status import latest_status

POINT = {"type": "Point", "coordinates": [-105.27, 40.01]}
UNKNOWN_ID = "0b8f3f8e-7d1c-4c7e-9d7a-3b7f1b2a9c10"


def wait_for_status(read: Any, wanted: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = read()
        if latest_status(request) == wanted:
            return request
        time.sleep(0.05)
    raise AssertionError(f"never reached {wanted}")


def task_in_review(hook: CapellaHook) -> str:
    task = hook.create_tasking_request(geometry=POINT, name="quote me")
    task_id = str(task["properties"]["taskingrequestId"])
    wait_for_status(lambda: hook.get_task(task_id), "review")
    return task_id


def status_patches(capella_emulator: Any) -> list[dict[str, Any]]:
    return [entry for entry in capella_emulator.requests(method="PATCH") if entry["path"].endswith("/status")]


def test_approving_a_task_in_review_submits_it(hook: CapellaHook) -> None:
    task_id = task_in_review(hook)

    hook.approve_tasking_request(task_id)

    codes = [entry["code"] for entry in hook.get_task(task_id)["properties"]["statusHistory"]]
    assert codes[:2] == ["submitted", "review"]


def test_rejecting_a_task_in_review_ends_it_rejected(hook: CapellaHook) -> None:
    task_id = task_in_review(hook)

    hook.reject_tasking_request(task_id)

    assert latest_status(hook.get_task(task_id)) == "rejected"


def test_approving_twice_is_refused_before_a_second_patch(hook: CapellaHook, capella_emulator: Any) -> None:
    task_id = task_in_review(hook)
    hook.approve_tasking_request(task_id)

    with pytest.raises(CapellaValidationError, match="tasking_request_id") as raised:
        hook.approve_tasking_request(task_id)

    assert "not in review" in str(raised.value)
    assert len(status_patches(capella_emulator)) == 1


def test_a_pre_approved_task_cannot_be_rejected(hook: CapellaHook, capella_emulator: Any) -> None:
    task = hook.create_tasking_request(geometry=POINT, pre_approval=True)
    task_id = str(task["properties"]["taskingrequestId"])
    # without pre-approval on the wire the request would wait in review and never be submitted
    wait_for_status(lambda: hook.get_task(task_id), "submitted")

    with pytest.raises(CapellaValidationError, match="not in review"):
        hook.reject_tasking_request(task_id)
    assert status_patches(capella_emulator) == []


def test_pre_approval_goes_on_the_wire_as_properties_pre_approval_and_skips_review(
    hook: CapellaHook, capella_emulator: Any
) -> None:
    task = hook.create_tasking_request(geometry=POINT, name="pre-approved", pre_approval=True)
    task_id = str(task["properties"]["taskingrequestId"])

    [post] = capella_emulator.requests(path="/task", method="POST")
    assert post["body"]["properties"]["preApproval"] is True
    assert "pre_approval" not in post["body"]["properties"]
    done = wait_for_status(lambda: hook.get_task(task_id), "completed")
    codes = [entry["code"] for entry in done["properties"]["statusHistory"]]
    assert "review" not in codes and codes[-2:] == ["submitted", "received"]


def test_approving_a_repeat_request_in_review_submits_it(hook: CapellaHook) -> None:
    repeat = hook.create_repeat_request(geometry=POINT, name="weekly", repetition_count=3)
    repeat_id = str(repeat["properties"]["repeatrequestId"])
    wait_for_status(lambda: hook.get_repeat_request(repeat_id), "review")

    hook.approve_repeat_request(repeat_id)

    assert latest_status(hook.get_repeat_request(repeat_id)) in ("submitted", "active")


def test_rejecting_a_repeat_request_in_review(hook: CapellaHook) -> None:
    repeat = hook.create_repeat_request(geometry=POINT, repetition_count=2)
    repeat_id = str(repeat["properties"]["repeatrequestId"])
    wait_for_status(lambda: hook.get_repeat_request(repeat_id), "review")

    hook.reject_repeat_request(repeat_id)

    assert latest_status(hook.get_repeat_request(repeat_id)) == "rejected"


@pytest.mark.parametrize(
    "method",
    ["approve_tasking_request", "reject_tasking_request", "approve_repeat_request", "reject_repeat_request"],
)
def test_approval_with_a_malformed_id_sends_nothing(
    hook: CapellaHook, capella_emulator: Any, method: str
) -> None:
    with pytest.raises(CapellaValidationError, match="request_id"):
        getattr(hook, method)("not-a-uuid")
    assert capella_emulator.requests() == []


# --- submit_order(max_cost=...) --------------------------------------------------------------------


def order_posts(capella_emulator: Any) -> list[dict[str, Any]]:
    return [entry for entry in capella_emulator.requests(method="POST") if entry["path"] == "/orders"]


def purchasable_ids(hook: CapellaHook, count: int) -> list[str]:
    return hook.search(ownership="availableForPurchase", product_type="GEO", limit=count, ids_only=True)


def test_order_within_the_limit_is_placed(hook: CapellaHook, capella_emulator: Any) -> None:
    ids = purchasable_ids(hook, 2)  # 500 USD per GEO in the emulator

    order_id = hook.submit_order(stac_ids=ids, max_cost=1000)

    assert sorted(hook.get_stac_items_of_order(order_id, ids_only=True)) == sorted(ids)
    assert len(order_posts(capella_emulator)) == 1


def test_order_above_the_limit_raises_with_the_quote_and_places_nothing(
    hook: CapellaHook, capella_emulator: Any
) -> None:
    ids = purchasable_ids(hook, 3)

    with pytest.raises(CapellaCostLimitError) as raised:
        hook.submit_order(stac_ids=ids, max_cost=999.99)

    error = raised.value
    assert (error.quoted, error.limit, error.argument) == (1500.0, 999.99, "max_cost")
    assert "1500" in str(error) and "max_cost=999.99" in str(error)
    assert capella_emulator.requests(path="/orders/review", method="POST")
    assert order_posts(capella_emulator) == []


def test_zero_limit_still_orders_what_is_free(hook: CapellaHook, capella_emulator: Any) -> None:
    owned = hook.search(ownership="ownedByOrganization", limit=2, ids_only=True)

    order_id = hook.submit_order(stac_ids=owned, max_cost=0)

    assert order_id
    assert len(order_posts(capella_emulator)) == 1


def test_an_active_order_is_reused_without_a_review(hook: CapellaHook, capella_emulator: Any) -> None:
    ids = purchasable_ids(hook, 1)
    first = hook.submit_order(stac_ids=ids)
    capella_emulator.clear_requests()

    assert hook.submit_order(stac_ids=ids, check_active_orders=True, max_cost=0) == first
    assert capella_emulator.requests(path="/orders/review") == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({"max_cost": -1}, "max_cost", id="negative"),
        pytest.param({"max_cost": "a lot"}, "max_cost", id="not a number"),
        pytest.param({"max_cost": True}, "max_cost", id="bool"),
        pytest.param({"max_cost": float("nan")}, "max_cost", id="nan"),
        pytest.param({"max_cost": 10, "omit_review": True}, "omit_review", id="without review"),
        pytest.param({"max_cost": 10, "check_active_orders": "yes"}, "check_active_orders", id="flag"),
    ],
)
def test_bad_cost_limit_is_refused_before_anything_is_sent(
    hook: CapellaHook, capella_emulator: Any, kwargs: dict[str, Any], expected: str
) -> None:
    with pytest.raises(CapellaValidationError, match=expected):
        hook.submit_order(stac_ids=["CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010"], **kwargs)
    assert capella_emulator.requests() == []
