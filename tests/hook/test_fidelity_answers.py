"""The hook reads every answer shape of the second pass, as the emulator sends them over real HTTP:
``GET /user`` with ``organization``/``apiEnvironmentRole``, tasking requests with ``orgId`` and
server-filled constraints, order items whose ``type`` is the imaging mode, review prices, zone-less
times, plain-string errors, ``INVALID_TOKEN``, and search results without download URLs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_provider_capella._answers import api_time, organization_id
from airflow_provider_capella.exceptions import (
    CapellaAuthenticationError,
    CapellaAuthorizationError,
    CapellaValidationError,
)
from airflow_provider_capella.hooks._quotes import review_quote
from airflow_provider_capella.hooks.capella import CapellaHook
from airflow_provider_capella.tasking_status import tasking_outcome

POINT = {"type": "Point", "coordinates": [4.05, 51.95]}
IMAGING_MODES = ("spotlight", "stripmap", "sliding_spotlight")
"""What an order item's ``type`` names: the imaging mode of its collect."""


def test_test_connection_names_the_organization_and_the_api_environment(hook: CapellaHook) -> None:
    ok, message = hook.test_connection()
    assert ok, message
    assert "emulator@example.com (organization Emulated Organization, environment production)" in message


def test_a_tasking_request_is_read_with_its_org_id_and_server_filled_constraints(hook: CapellaHook) -> None:
    task = hook.get_task(hook.create_tasking_request(geometry=POINT)["properties"]["taskingrequestId"])
    assert task["properties"]["orgId"] == organization_id(hook.whoami())
    constraints = task["properties"]["collectConstraints"]
    assert constraints["collectMode"] == "spotlight" and constraints["polarization"] == "HH"
    assert tasking_outcome(task).since is not None, "the status time is read"


def test_order_items_are_read_with_the_imaging_mode_and_zone_less_collection_dates(hook: CapellaHook) -> None:
    old = hook.search(datetime__lt="2021-01-01T00:00:00Z", product_type="GEO", limit=1)
    new = hook.search(datetime__gte="2022-01-01T00:00:00Z", product_type="GEO", limit=1)
    assert not old[0]["properties"]["datetime"].endswith("Z"), "2020 answers carry zone-less times"
    order_id = hook.submit_order(items=old + new)

    items = {item["granuleId"]: item for item in hook.list_orders(order_id)[0]["items"]}

    for stac_item in old + new:
        read = items[stac_item["id"]]
        assert read["type"] in IMAGING_MODES and read["type"] == stac_item["properties"].get(
            "sar:instrument_mode", read["type"]
        )
        collection_date = api_time(read["collectionDate"])
        assert collection_date == api_time(stac_item["properties"]["datetime"])
        assert collection_date is not None and collection_date.tzinfo is not None
        assert read["collectId"] == stac_item["properties"]["capella:collect_id"]
        assert read["size"] > 0


def test_the_review_is_read_with_subtotal_total_and_line_prices(
    hook: CapellaHook, capfd: pytest.CaptureFixture[str]
) -> None:
    items = hook.search(product_type="GEO", ownership="availableForPurchase", limit=2)

    review = hook.review_order(items=items)

    summary = review["orderDetails"]["summary"]
    assert summary["total"] is not None and summary["subtotal"] is not None
    lines = review["orderDetails"]["lineItems"]
    assert {line["granuleId"] for line in lines if line["order"]["finalListPrice"] is not None} == {
        item["id"] for item in items
    }
    capfd.readouterr()
    hook.submit_order(items=items)
    captured = capfd.readouterr()
    assert f"reviewed cost: {review_quote(review).text}" in captured.out + captured.err


def test_zone_less_and_zoned_times_are_the_same_instant() -> None:
    naive, zoned = api_time("2020-10-19T10:04:25.898923"), api_time("2020-10-19T10:04:25.898923Z")
    assert naive == zoned == datetime(2020, 10, 19, 10, 4, 25, 898923, tzinfo=timezone.utc)
    assert api_time("not a time") is None and api_time(None) is None


def test_the_organization_id_is_read_from_either_user_shape() -> None:
    assert organization_id({"organizationId": "a"}) == "a"
    assert organization_id({"organization": {"id": "b", "name": "B"}}) == "b"


def test_a_plain_string_error_becomes_a_typed_error_with_that_message(hook: CapellaHook) -> None:
    with pytest.raises(CapellaAuthorizationError) as raised:
        hook.search(collections=["capella-beta-analytics"], limit=1)
    assert "Organization does not have access to collection capella-beta-analytics" in str(raised.value)
    assert raised.value.code == "COLLECTION_ACCESS_DENIED" and raised.value.status == 403


def test_an_invalid_jwt_is_an_authentication_error_with_code_invalid_token(
    connect: Callable[..., CapellaHook],
) -> None:
    hook = connect(password="", token="eyJ.not-a-real.jwt")
    with pytest.raises(CapellaAuthenticationError) as raised:
        hook.whoami()
    assert raised.value.code == "INVALID_TOKEN" and "Invalid token." in str(raised.value)
    assert "not-a-real" not in str(raised.value)


def test_search_results_are_refused_as_presigned_items_before_any_download(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Any
) -> None:
    items = hook.search(product_type="GEO", limit=1)
    capella_emulator.clear_requests()
    with pytest.raises(CapellaValidationError) as raised:
        hook.download_products(items_presigned=items, local_dir=tmp_path)
    assert "items_presigned" in str(raised.value) and "catalog search results carry none" in str(raised.value)
    assert capella_emulator.requests() == []
    order_id = hook.submit_order(items=items)
    paths = hook.download_products(items_presigned=hook.get_presigned_items(order_id), local_dir=tmp_path)
    assert set(paths) == {items[0]["id"]}
