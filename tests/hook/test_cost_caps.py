"""Deployment-wide cost caps (``[capella] max_order_cost``, ``max_tasking_cost``) on every billable hook path.

The emulator's quotes are deterministic: $500 per purchasable GEO product, $3,000.00 per spotlight
tasking request (standard tier) and per image of a routine repeat series; a tasking request's own
products are free unless the emulator's ``free_products_priced`` is set. Each path is run with the
setting below the quote (refused before the billable request: the emulator's request log shows none)
and above it (placed or approved). Requests wait in ``review`` (the emulator's strict default, as the
API's) and are approved explicitly.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaCostLimitError, CapellaValidationError
from airflow_provider_capella.hooks.capella import CapellaHook
from airflow_provider_capella.tasking_status import latest_status

POINT = {"type": "Point", "coordinates": [-105.27, 40.01]}
ORDER_SETTING = "AIRFLOW__CAPELLA__MAX_ORDER_COST"
TASKING_SETTING = "AIRFLOW__CAPELLA__MAX_TASKING_COST"


def posts(emulator: Any, path: str) -> list[dict[str, Any]]:
    return [entry for entry in emulator.requests(method="POST") if entry["path"] == path]


def status_patches(emulator: Any) -> list[dict[str, Any]]:
    return [entry for entry in emulator.requests(method="PATCH") if entry["path"].endswith("/status")]


def geo_ids(hook: CapellaHook, count: int) -> list[str]:
    return hook.search(
        ownership="availableForPurchase", product_type="GEO", sortby="id", limit=count, ids_only=True
    )


def wait_for(read: Any, done: Any, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if done(value):
            return value
        time.sleep(0.05)
    raise AssertionError("the request never got there")


def in_review(hook: CapellaHook, kind: str) -> str:
    """Create a tasking (or repeat) request that waits in review; return its id."""
    if kind == "tasking":
        created = hook.create_tasking_request(geometry=POINT, name="capped")
        request_id, read = created["properties"]["taskingrequestId"], hook.get_task
    else:
        created = hook.create_repeat_request(geometry=POINT, name="capped", repetition_count=2)
        request_id, read = created["properties"]["repeatrequestId"], hook.get_repeat_request
    wait_for(lambda: read(request_id), lambda request: latest_status(request) == "review")
    return str(request_id)


def completed_task(hook: CapellaHook) -> str:
    created = hook.create_tasking_request(geometry=POINT, name="to-download", pre_approval=True)
    task_id = str(created["properties"]["taskingrequestId"])
    wait_for(lambda: hook.get_task(task_id), hook.is_task_completed)
    return task_id


def refused_by_setting(raised: pytest.ExceptionInfo[CapellaCostLimitError], setting: str, cap: float) -> None:
    error = raised.value
    assert (error.argument, error.limit) == (f"[capella] {setting}", cap)
    assert f"[capella] {setting}={cap:g}" in str(error) and str(error.quote) in str(error)


# --- orders ---------------------------------------------------------------------------------------------


def test_submit_order_is_refused_above_the_setting_and_placed_below_it(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = geo_ids(hook, 3)  # $1,500
    monkeypatch.setenv(ORDER_SETTING, "1000")

    with pytest.raises(CapellaCostLimitError) as raised:
        hook.submit_order(stac_ids=ids)

    refused_by_setting(raised, "max_order_cost", 1000)
    assert raised.value.quoted == 1500.0
    assert posts(capella_emulator, "/orders/review") and posts(capella_emulator, "/orders") == []
    monkeypatch.setenv(ORDER_SETTING, "1500")
    assert hook.submit_order(stac_ids=ids)
    assert len(posts(capella_emulator, "/orders")) == 1


def test_an_argument_above_the_setting_does_not_raise_the_cap_and_is_logged(
    hook: CapellaHook,
    capella_emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = geo_ids(hook, 3)
    monkeypatch.setenv(ORDER_SETTING, "1000")
    capsys.readouterr()

    with pytest.raises(CapellaCostLimitError) as raised:
        hook.submit_order(stac_ids=ids, max_cost=5000)
    with pytest.raises(CapellaCostLimitError):  # the task's next call: said already
        hook.submit_order(stac_ids=ids, max_cost=5000)

    refused_by_setting(raised, "max_order_cost", 1000)
    overridden = [line for line in capsys.readouterr().out.splitlines() if "can only lower it" in line]
    assert len(overridden) == 1 and "max_cost=5000" in overridden[0]
    assert posts(capella_emulator, "/orders") == []


def test_an_argument_below_the_setting_wins(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ORDER_SETTING, "5000")

    with pytest.raises(CapellaCostLimitError) as raised:
        hook.submit_order(stac_ids=geo_ids(hook, 3), max_cost=999)

    assert (raised.value.argument, raised.value.limit) == ("max_cost", 999)
    assert posts(capella_emulator, "/orders") == []


def test_omit_review_cannot_skip_the_settings_review(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ORDER_SETTING, "600")

    with pytest.raises(CapellaCostLimitError):
        hook.submit_order(stac_ids=geo_ids(hook, 2), omit_review=True)

    assert posts(capella_emulator, "/orders") == []


@pytest.mark.parametrize("value", ["a lot", "-5", "nan"])
def test_a_bad_setting_names_it_before_anything_is_sent(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(ORDER_SETTING, value)

    with pytest.raises(CapellaValidationError, match=r"\[capella\] max_order_cost"):
        hook.submit_order(stac_ids=["CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010"])
    assert capella_emulator.requests() == []


def test_a_download_of_a_collect_orders_only_within_the_setting(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    [item] = hook.search(ownership="availableForPurchase", product_type="GEO", limit=1)
    collect_id = item["properties"]["capella:collect_id"]
    capella_emulator.clear_requests()
    monkeypatch.setenv(ORDER_SETTING, "100")

    with pytest.raises(CapellaCostLimitError) as raised:
        hook.download_products(collect_id=collect_id, local_dir=tmp_path, include=["metadata"])

    refused_by_setting(raised, "max_order_cost", 100)
    assert posts(capella_emulator, "/orders") == [] and not list(tmp_path.iterdir())
    monkeypatch.setenv(ORDER_SETTING, "1000000")
    assert hook.download_products(collect_id=collect_id, local_dir=tmp_path, include=["metadata"])
    assert len(posts(capella_emulator, "/orders")) == 1


def test_a_download_of_a_tasking_request_orders_only_within_the_setting(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    task_id = completed_task(hook)
    capella_emulator.settings(free_products_priced=True)  # its own products, charged: one GEO is $500
    capella_emulator.clear_requests()
    monkeypatch.setenv(ORDER_SETTING, "100")
    download = {"tasking_request_id": task_id, "local_dir": tmp_path, "product_types": ["GEO"]}

    with pytest.raises(CapellaCostLimitError) as raised:
        hook.download_products(**download, include=["metadata"])

    refused_by_setting(raised, "max_order_cost", 100)
    assert posts(capella_emulator, "/orders") == [] and not list(tmp_path.iterdir())
    monkeypatch.setenv(ORDER_SETTING, "1000000")
    assert hook.download_products(**download, include=["metadata"])
    assert len(posts(capella_emulator, "/orders")) == 1


def test_order_tasking_request_reviews_its_products_and_orders_only_within_the_setting(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = completed_task(hook)
    capella_emulator.settings(free_products_priced=True)
    capella_emulator.clear_requests()
    monkeypatch.setenv(ORDER_SETTING, "100")

    with pytest.raises(CapellaCostLimitError) as raised:
        hook.order_tasking_request(task_id)

    refused_by_setting(raised, "max_order_cost", 100)
    assert posts(capella_emulator, f"/orders/task/{task_id}") == []
    monkeypatch.setenv(ORDER_SETTING, "1000000")
    assert hook.order_tasking_request(task_id)
    billing = [
        entry["path"] for entry in capella_emulator.requests(method="POST") if "/orders" in entry["path"]
    ]
    assert billing == ["/orders/review", "/orders/review", f"/orders/task/{task_id}"]


def test_a_paid_reorder_of_an_expired_order_obeys_the_setting(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ids = geo_ids(hook, 2)  # $1,000 again once expired: reorders are charged here
    order_id = hook.submit_order(stac_ids=ids)
    capella_emulator._control("POST", f"/orders/{order_id}/expire")
    capella_emulator.settings(reorders_are_free=False)
    capella_emulator.clear_requests()
    monkeypatch.setenv(ORDER_SETTING, "999")

    with pytest.raises(CapellaCostLimitError) as raised:
        hook.download_products(
            order_id=order_id, local_dir=tmp_path, reorder_expired="always", max_cost=10**6
        )

    refused_by_setting(raised, "max_order_cost", 999)
    assert "expired order" in str(raised.value)
    assert posts(capella_emulator, "/orders") == []
    monkeypatch.setenv(ORDER_SETTING, "1000")
    assert hook.download_products(order_id=order_id, local_dir=tmp_path, reorder_expired="always")
    assert len(posts(capella_emulator, "/orders")) == 1


# --- tasking and repeat requests ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tasking", "repeat"])
def test_approval_reads_the_quote_and_refuses_above_the_setting(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    request_id = in_review(hook, kind)
    approve = hook.approve_tasking_request if kind == "tasking" else hook.approve_repeat_request
    read = hook.get_task if kind == "tasking" else hook.get_repeat_request
    monkeypatch.setenv(TASKING_SETTING, "2999")

    with pytest.raises(CapellaCostLimitError) as raised:
        approve(request_id)

    refused_by_setting(raised, "max_tasking_cost", 2999)
    assert raised.value.quote == "$3,000.00"
    assert status_patches(capella_emulator) == [] and latest_status(read(request_id)) == "review"
    monkeypatch.setenv(TASKING_SETTING, "3000")
    approve(request_id)
    assert len(status_patches(capella_emulator)) == 1 and latest_status(read(request_id)) != "review"


def test_an_approval_argument_above_the_setting_does_not_raise_it(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = in_review(hook, "tasking")
    monkeypatch.setenv(TASKING_SETTING, "1000")

    with pytest.raises(CapellaCostLimitError) as raised:
        hook.approve_tasking_request(task_id, max_cost=10_000)

    refused_by_setting(raised, "max_tasking_cost", 1000)
    with pytest.raises(CapellaCostLimitError, match=r"\(per image\).*max_tasking_cost=1000"):
        hook.approve_repeat_request(in_review(hook, "repeat"), max_cost_per_image=5000)
    assert status_patches(capella_emulator) == []


def test_pre_approval_is_refused_while_the_tasking_setting_is_set(
    hook: CapellaHook, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TASKING_SETTING, "1000000")

    with pytest.raises(CapellaValidationError, match=r"pre_approval.*\[capella\] max_tasking_cost"):
        hook.create_tasking_request(geometry=POINT, pre_approval=True)

    assert posts(capella_emulator, "/task") == []
