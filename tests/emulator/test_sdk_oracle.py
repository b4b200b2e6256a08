"""The official SDK as the oracle: the emulator is right when ``capella-console-client`` cannot tell it from
the real API.

Each test runs one flow of ``sdk_driver.py`` with the SDK's own interpreter (an isolated environment, see
``conftest.py``) against the in-process emulator, then checks what the SDK got and what the emulator saw.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from capella_emulator.asset_content import asset_payload

# Drives the official SDK, installed in its own virtual environment. The SDK's flows wait for later
# statuses without approving, so requests are approved one step after review.
pytestmark = [pytest.mark.slow, pytest.mark.capella_emulator(auto_approve_review=True)]

NOT_DOWNLOADED = {"license"}


def catalog_items(emulator: Any) -> list[dict[str, Any]]:
    return list(emulator.state.catalog.items)


def catalog_item(emulator: Any, stac_id: str) -> dict[str, Any]:
    item = emulator.state.catalog.get(stac_id)
    assert item is not None, f"{stac_id} is not in the emulator's catalog"
    return item


def instant(text: str) -> datetime:
    """An aware datetime; item datetimes without a zone (older collects) are UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def pick_items(emulator: Any, product_type: str, count: int, ownership: str | None = None) -> list[str]:
    chosen = [
        item["id"]
        for item in catalog_items(emulator)
        if item["properties"]["sar:product_type"] == product_type
        and ownership in (None, item["properties"]["capella:ownership"])
    ]
    assert len(chosen) >= count
    return sorted(chosen)[:count]


def expected_sha256(emulator: Any, stac_id: str, key: str) -> str:
    item = catalog_item(emulator, stac_id)
    return asset_payload(item, key, asset_size=emulator.state.config.asset_size).sha256()


def number_matched(emulator: Any, **body: Any) -> int:
    """What the emulator itself reports as ``numberMatched`` for a search body."""
    response = requests.post(
        f"{emulator.url}/catalog/search", json={**body, "limit": 1}, headers=emulator.auth_headers, timeout=30
    )
    response.raise_for_status()
    return int(response.json()["numberMatched"])


def assert_downloads_match_the_emulators_bytes(emulator: Any, downloads: dict[str, Any]) -> None:
    for stac_id, by_key in downloads.items():
        item = catalog_item(emulator, stac_id)
        assert set(by_key) == set(item["assets"]) - NOT_DOWNLOADED, stac_id
        for key, landed in by_key.items():
            assert landed["sha256"] == expected_sha256(emulator, stac_id, key), (stac_id, key)


def order_posts(emulator: Any) -> list[dict[str, Any]]:
    """Orders the emulator was asked to place (reviews excluded)."""
    return [entry for entry in emulator.requests(path="/orders", method="POST") if entry["path"] == "/orders"]


def assert_no_api_key_sent_to_assets(emulator: Any) -> None:
    asset_requests = emulator.requests(path="/assets/")
    assert asset_requests, "no asset was requested"
    assert not [entry for entry in asset_requests if "authorization" in entry["headers"]]


# ---------------------------------------------------------------------------------------------- auth
def test_the_sdk_authenticates_with_key_or_token_and_refuses_a_wrong_key(run_sdk, capella_emulator) -> None:
    result = run_sdk("auth")

    assert result["whoami"]["id"] == capella_emulator.state.config.user_id
    assert result["whoami"]["organizationId"] == capella_emulator.state.config.organization_id
    assert result["whoami_with_token"] == result["whoami"]
    assert result["wrong_key"]["type"] == "AuthenticationError"
    assert "API key invalid" in result["wrong_key"]["message"]
    assert result["wrong_token"]["type"] == "AuthenticationError"
    seen = {
        (entry["headers"].get("authorization"), entry["status"])
        for entry in capella_emulator.requests("/user")
    }
    assert {("ApiKey ***", 200), ("Bearer ***", 200), ("ApiKey ***", 401), ("Bearer ***", 401)} <= seen


# -------------------------------------------------------------------------------------------- search
def test_search_filters_return_exactly_the_matching_items(run_sdk, capella_emulator) -> None:
    filters = {
        "product_type__in": ["GEO", "GEC", "SICD"],
        "instrument_mode": "spotlight",
        "look_angle__gt": 25,
        "look_angle__lt": 40,
        "orbit_state": "ascending",
        "datetime__gte": "2023-01-01T00:00:00Z",
        "polarizations": "HH",
        "limit": 5000,
    }

    ids = run_sdk("search", filters=filters)["ids"]

    def matches(item: dict[str, Any]) -> bool:
        properties = item["properties"]
        return (
            properties["sar:product_type"] in {"GEO", "GEC", "SICD"}
            and properties["sar:instrument_mode"] == "spotlight"
            and 25 < properties["view:look_angle"] < 40
            and properties["sat:orbit_state"] == "ascending"
            and instant(properties["datetime"]) >= instant("2023-01-01T00:00:00Z")
            and "HH" in properties["sar:polarizations"]
        )

    expected = {item["id"] for item in catalog_items(capella_emulator) if matches(item)}
    assert expected, "the filters should match part of the archive"
    assert len(ids) == len(set(ids))
    assert set(ids) == expected


def test_search_by_bbox_collections_ids_and_ownership(run_sdk, capella_emulator) -> None:
    items = catalog_items(capella_emulator)
    site = items[0]["bbox"]
    bbox = [site[0] - 0.5, site[1] - 0.5, site[2] + 0.5, site[3] + 0.5]
    filters = {
        "collections": ["capella-geo", "capella-slc"],
        "ownership": "ownedByOrganization",
        "limit": 2000,
    }

    by_area = run_sdk("search", filters={**filters, "bbox": bbox})["ids"]
    ring = [
        [bbox[0], bbox[1]],
        [bbox[2], bbox[1]],
        [bbox[2], bbox[3]],
        [bbox[0], bbox[3]],
        [bbox[0], bbox[1]],
    ]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    by_polygon = run_sdk("search", filters={**filters, "intersects": polygon})["ids"]
    wanted = sorted(item["id"] for item in items[:5])
    by_ids = run_sdk("search", filters={"ids": wanted})["ids"]

    def in_area(item: dict[str, Any]) -> bool:
        box = item["bbox"]
        return box[0] <= bbox[2] and box[2] >= bbox[0] and box[1] <= bbox[3] and box[3] >= bbox[1]

    expected = {
        item["id"]
        for item in items
        if in_area(item)
        and item["collection"] in {"capella-geo", "capella-slc"}
        and item["properties"]["capella:ownership"] == "ownedByOrganization"
    }
    assert expected
    assert set(by_area) == expected
    assert set(by_polygon) == expected
    assert sorted(by_ids) == wanted


def test_search_pages_through_next_links_to_every_match_without_duplicates(run_sdk, capella_emulator) -> None:
    collections = ["capella-geo", "capella-gec", "capella-open-data"]
    expected = {item["id"] for item in catalog_items(capella_emulator) if item["collection"] in collections}
    assert len(expected) > 900, "the query must need more than one page of 900"
    matched = number_matched(capella_emulator, collections=collections)
    capella_emulator.clear_requests()

    ids = run_sdk("search", filters={"collections": collections, "limit": 10_000})["ids"]

    assert len(ids) == len(set(ids)) == len(expected) == matched
    assert set(ids) == expected
    searches = capella_emulator.requests(path="/catalog/search", method="POST")
    assert len(searches) == math.ceil(matched / 900)
    assert [parse_qs(entry["query"]).get("page") for entry in searches] == [
        None,
        *([str(page)] for page in range(2, len(searches) + 1)),
    ]


def test_threaded_search_fetches_every_page_in_parallel_without_duplicates(run_sdk, capella_emulator) -> None:
    collections = ["capella-slc", "capella-sicd", "capella-open-data"]
    expected = {item["id"] for item in catalog_items(capella_emulator) if item["collection"] in collections}
    assert len(expected) > 900

    ids = run_sdk("search", filters={"collections": collections, "limit": 10_000, "threaded": True})["ids"]

    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected


def test_search_stops_at_the_requested_limit_across_pages(run_sdk, capella_emulator) -> None:
    ids = run_sdk("search", filters={"limit": 1000})["ids"]

    assert len(ids) == len(set(ids)) == 1000
    assert len(capella_emulator.requests(path="/catalog/search", method="POST")) == 2


def test_search_sorted_by_newest_first_stays_sorted_across_pages(run_sdk, capella_emulator) -> None:
    ids = run_sdk("search", filters={"sortby": "-datetime", "product_type": "SLC", "limit": 10_000})["ids"]

    expected = [
        item for item in catalog_items(capella_emulator) if item["properties"]["sar:product_type"] == "SLC"
    ]
    assert len(ids) == len(set(ids)) == len(expected) > 0
    times = [instant(catalog_item(capella_emulator, stac_id)["properties"]["datetime"]) for stac_id in ids]
    assert times == sorted(times, reverse=True)


# ------------------------------------------------------------------------------------------- orders
def test_review_submit_and_reuse_an_active_order(run_sdk, capella_emulator) -> None:
    stac_ids = pick_items(capella_emulator, "GEO", 2)

    result = run_sdk("order", stac_ids=stac_ids)

    order_id = result["order_id"]
    assert result["review"]["authorized"] is True
    assert result["reused_order_id"] == order_id
    assert len(order_posts(capella_emulator)) == 1  # the reuse sent no second order
    assert [order["orderId"] for order in result["orders"]] == [order_id]
    assert [order["orderId"] for order in result["active_orders"]] == [order_id]
    assert result["listed_order"][0]["orderId"] == order_id
    assert sorted(result["order_stac_ids"]) == stac_ids
    assert sorted(result["order_search_ids"]) == stac_ids
    assert sorted(item["id"] for item in result["presigned_items"]) == stac_ids
    assert len(result["presigned_assets"]) == 1
    for item in result["presigned_items"]:
        for key, asset in item["assets"].items():
            if key in NOT_DOWNLOADED:
                continue
            href = urlparse(asset["href"])
            assert f"{href.scheme}://{href.netloc}" == capella_emulator.url
            assert href.path.startswith(f"/assets/{item['collection']}/{item['id']}/")
            assert {"Expires", "Signature"} <= set(parse_qs(href.query))
            assert capella_emulator.api_key not in asset["href"]


def test_an_order_over_budget_is_refused_at_review(run_sdk, capella_emulator) -> None:
    capella_emulator.settings(budget=100)
    for_sale = pick_items(capella_emulator, "SLC", 1, ownership="availableForPurchase")

    result = run_sdk("review_over_budget", stac_ids=for_sale)

    assert result["review"]["type"] == "InsufficientFundsError"
    assert result["submit"]["type"] == "InsufficientFundsError"
    assert order_posts(capella_emulator) == []


def test_an_expired_order_is_not_reused_nor_downloadable(run_sdk, capella_emulator) -> None:
    stac_ids = pick_items(capella_emulator, "GEC", 1)
    order_id = run_sdk("submit_order", stac_ids=stac_ids)["order_id"]
    expired = requests.post(f"{capella_emulator.url}/_emulator/orders/{order_id}/expire", timeout=30)
    assert expired.status_code == 200, expired.text

    result = run_sdk("expired_order", stac_ids=stac_ids, order_id=order_id)

    assert result["presigned"]["type"] == "OrderExpiredError"
    assert result["active_orders"] == []
    assert result["new_order_id"] != order_id


def test_download_products_lands_the_emulators_exact_bytes_and_resumes(
    run_sdk, capella_emulator, tmp_path
) -> None:
    stac_ids = [*pick_items(capella_emulator, "GEO", 1), *pick_items(capella_emulator, "SICD", 1)]
    raster_key = next(
        key for key in catalog_item(capella_emulator, stac_ids[0])["assets"] if key in ("HH", "VV")
    )
    half = capella_emulator.state.config.asset_size // 2

    result = run_sdk(
        "download",
        stac_ids=stac_ids,
        local_dir=str(tmp_path),
        resume_id=stac_ids[0],
        resume_key=raster_key,
        resume_from=half,
    )

    assert sorted(result["downloads"]) == sorted(stac_ids)
    assert_downloads_match_the_emulators_bytes(capella_emulator, result["downloads"])
    for stac_id, by_key in result["downloads"].items():
        for landed in by_key.values():
            assert landed["path"].startswith(str(tmp_path / stac_id))
    resumed = result["resumed"][stac_ids[0]][raster_key]
    assert resumed["size"] == capella_emulator.state.config.asset_size
    assert resumed["sha256"] == expected_sha256(capella_emulator, stac_ids[0], raster_key)
    ranges = [entry["headers"].get("range") for entry in capella_emulator.requests(path="/assets/")]
    assert f"bytes={half}-" in ranges
    assert_no_api_key_sent_to_assets(capella_emulator)


# ------------------------------------------------------------------------------------------ tasking
def test_a_tasking_request_completes_and_its_products_download_by_tasking_request_id(
    run_sdk, capella_emulator, tmp_path
) -> None:
    capella_emulator.settings(tasking_step_seconds=0.05)

    result = run_sdk(
        "tasking_to_download", timeout=90, local_dir=str(tmp_path), wait_seconds=60, poll_seconds=0.1
    )

    assert result["completed"] is True
    tasking_request_id = result["created"]["properties"]["taskingrequestId"]
    assert [status["code"] for status in result["created"]["properties"]["statusHistory"]] == ["received"]
    history = [status["code"] for status in result["task"]["properties"]["statusHistory"]]
    assert history == ["completed", "accepted", "submitted", "review", "received"]  # newest first
    assert result["collects"]
    collect_ids = {collect["collectId"] for collect in result["collects"]}
    assert {collect["taskingrequestId"] for collect in result["collects"]} == {tasking_request_id}
    assert result["downloads"]
    for stac_id in result["downloads"]:
        assert catalog_item(capella_emulator, stac_id)["properties"]["capella:collect_id"] in collect_ids
    assert_downloads_match_the_emulators_bytes(capella_emulator, result["downloads"])
    first_collect = result["collects"][0]["collectId"]
    by_collect = result["downloads_by_collect_id"]
    assert by_collect
    for stac_id in by_collect:
        assert catalog_item(capella_emulator, stac_id)["properties"]["capella:collect_id"] == first_collect
    assert_downloads_match_the_emulators_bytes(capella_emulator, by_collect)
    assert len(order_posts(capella_emulator)) == 1  # the collect's products reuse the tasking request's order
    assert_no_api_key_sent_to_assets(capella_emulator)


def test_tasking_requests_search_update_and_cancel(run_sdk, capella_emulator) -> None:
    capella_emulator.settings(tasking_step_seconds=0.05)
    count = 260  # more than one page of 250, so the SDK fetches page 2 as well

    result = run_sdk("tasking_manage", count=count, settle_seconds=0.5)

    ids = result["ids"]
    first, second = ids[0], ids[1]
    assert len(set(ids)) == count
    for updated in (result["updated"][first], result["updated"][second]):
        assert updated["properties"]["taskingrequestName"] == "renamed"
        assert updated["properties"]["taskingrequestDescription"] == "updated by the SDK"
        assert updated["properties"]["customAttribute1"] == "attr-1"
    assert result["canceled"] == {first: {"success": True}}
    assert result["canceled_again"][second] == {"success": True}
    refused = result["canceled_again"][first]
    assert refused["success"] is False
    assert refused["error"]["code"] == "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"
    assert result["task_after_cancel"]["properties"]["statusHistory"][0]["code"] == "canceled"
    for search in ("search_all", "search_all_sequential", "search_for_org"):
        assert sorted(result[search]) == sorted(ids), search
    assert sorted(result["search_by_ids"]) == sorted([first, second])
    assert result["search_by_id"] == [second]
    assert sorted(result["search_canceled"]) == sorted([first, second])
    pages = [parse_qs(entry["query"]) for entry in capella_emulator.requests(path="/tasks/search")]
    assert {"page": ["2"], "limit": ["250"]} in pages


def test_repeat_requests_create_search_update_and_cancel(run_sdk, capella_emulator) -> None:
    capella_emulator.settings(tasking_step_seconds=0.05)

    result = run_sdk("repeat", settle_seconds=0.5)

    repeat_id = result["created"]["properties"]["repeatrequestId"]
    other_id = result["other"]["properties"]["repeatrequestId"]
    repetition = result["created"]["properties"]["repetitionProperties"]
    assert repetition["repetitionCount"] == 3
    assert repetition["repetitionInterval"] == 7
    assert result["other"]["properties"]["collectionTier"] == "flexible"
    assert sorted(result["search_all"]) == sorted([repeat_id, other_id])
    assert result["search_by_id"] == [repeat_id]
    assert sorted(result["search_by_ids"]) == sorted([repeat_id, other_id])
    updated = result["updated"][repeat_id]["properties"]
    assert updated["repeatrequestName"] == "renamed repeat"
    assert updated["customAttribute2"] == "attr-2"
    assert result["canceled"] == {repeat_id: {"success": True}}
    assert result["canceled_again"][other_id] == {"success": True}
    refused = result["canceled_again"][repeat_id]
    assert refused["success"] is False
    assert refused["error"]["code"] == "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"
    assert sorted(result["search_canceled"]) == sorted([repeat_id, other_id])
