"""The second pass's order and catalog facts over real HTTP: order listing and legacy bodies, items of a
tasked collect, search hrefs, the checksums asset, zone-less datetimes and the collections."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.emulator.tasking_helpers import FAST_STEP, Api

OWNED = ("ownedByOrganization", "sharedWithOrganization")


@pytest.fixture
def api(capella_emulator: Any) -> Api:
    capella_emulator.settings(tasking_step_seconds=FAST_STEP)
    return Api(capella_emulator)


def _owned(emulator: Any, count: int = 1, product_type: str = "GEO") -> list[dict[str, Any]]:
    items = [
        item
        for item in emulator.state.catalog.items
        if item["properties"]["capella:ownership"] in OWNED
        and item["properties"]["sar:product_type"] == product_type
    ]
    return items[:count]


def _order(api: Api, items: list[dict[str, Any]]) -> dict[str, Any]:
    response = api.post(
        "/orders", {"items": [{"collectionId": i["collection"], "granuleId": i["id"]} for i in items]}
    )
    assert response.status_code == 200, response.text
    return response.json()


# --- orders -------------------------------------------------------------------------------------


def test_legacy_pascal_case_order_bodies_are_accepted(api: Api, capella_emulator: Any) -> None:
    [item] = _owned(capella_emulator)
    body = {"Items": [{"CollectionId": item["collection"], "GranuleId": item["id"]}]}

    review = api.post("/orders/review", body)
    order = api.post("/orders", body)

    assert review.status_code == 200 and review.json()["authorized"] is True
    assert order.status_code == 200 and order.json()["items"][0]["granuleId"] == item["id"]


def test_list_orders_takes_limit_organization_and_reseller(api: Api, capella_emulator: Any) -> None:
    items = _owned(capella_emulator, 3)
    placed = [_order(api, [item])["orderId"] for item in items]
    config = capella_emulator.state.config

    def listed(**params: Any) -> list[str]:
        response = api.session.get(f"{api.url}/orders", params=params, timeout=30)
        assert response.status_code == 200, response.text
        return [order["orderId"] for order in response.json()]

    assert listed() == placed
    assert listed(limit=2) == placed[-2:]
    assert listed(organizationId=config.organization_id, customerId=config.user_id) == placed
    assert listed(organizationId="another-organization") == []
    assert listed(resellerId="some-reseller") == []
    assert api.session.get(f"{api.url}/orders", params={"limit": 0}, timeout=30).status_code == 400


def test_order_items_of_a_tasked_collect_name_its_tasking_request(api: Api) -> None:
    task_id = api.create_task(preApproval=True)["properties"]["taskingrequestId"]
    api.wait_for_task(task_id, "completed")
    [collect] = api.collects(task_id)
    found = api.post(
        "/catalog/search", {"query": {"capella:collect_id": {"eq": collect["collectId"]}}}
    ).json()

    order = _order(api, found["features"])

    for line in order["items"]:
        assert line["taskingRequestId"] == task_id and line["collectId"] == collect["collectId"]
        assert line["type"] == "spotlight" and line["collectionDate"]


# --- search results and assets ------------------------------------------------------------------


def test_search_results_presign_thumbnail_and_preview_but_not_the_data(api: Api) -> None:
    [item] = api.post(
        "/catalog/search", {"limit": 1, "query": {"capella:ownership": {"in": list(OWNED)}}}
    ).json()["features"]
    assets = item["assets"]

    for key in ("thumbnail", "preview"):
        assert "Signature=" in assets[key]["href"]
        assert requests.get(assets[key]["href"], timeout=30).status_code == 200
    raster = next(key for key, asset in assets.items() if "data" in asset["roles"])
    for key in (raster, "metadata"):
        assert "Signature=" not in assets[key]["href"]
        assert requests.get(assets[key]["href"], timeout=30).status_code == 403  # no usable href


def test_each_bundle_carries_a_checksums_digest_of_the_bytes_served(api: Api, capella_emulator: Any) -> None:
    [item] = _owned(capella_emulator)
    order = _order(api, [item])
    [presigned] = api.get(f"/orders/{order['orderId']}/download").json()
    assets = presigned["assets"]

    digest = requests.get(assets["checksums"]["href"], timeout=30)

    assert digest.status_code == 200 and digest.headers["Content-Type"].startswith("application/json")
    document = json.loads(digest.content)
    assert (document["type"], document["algorithm"], document["id"]) == (
        "capella-emulator/checksums",
        "sha256",
        item["id"],
    )
    served = {key for key, asset in assets.items() if key not in ("license", "checksums")}
    assert {entry["asset"] for entry in document["files"].values()} == served
    for name, entry in document["files"].items():
        href = assets[entry["asset"]]["href"]
        assert urlsplit(href).path.endswith("/" + name)
        body = requests.get(href, timeout=60).content
        assert len(body) == entry["size"]
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]


def test_sortby_may_be_a_plain_string(api: Api) -> None:
    def datetimes(sortby: str) -> list[str]:
        features = api.post("/catalog/search", {"limit": 50, "sortby": sortby}).json()["features"]
        return [feature["properties"]["datetime"].rstrip("Z") for feature in features]

    ascending = datetimes("properties.datetime")
    descending = datetimes("-properties.datetime")

    assert ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    assert ascending[0] < descending[0]


def test_item_datetimes_come_with_and_without_a_zone(api: Api) -> None:
    old = api.post(
        "/catalog/search", {"limit": 5, "datetime": "2019-01-01T00:00:00Z/2020-12-31T23:59:59Z"}
    ).json()
    new = api.post(
        "/catalog/search", {"limit": 5, "datetime": "2024-01-01T00:00:00Z/2024-12-31T23:59:59Z"}
    ).json()

    assert old["features"] and new["features"]
    for feature in old["features"]:
        assert not feature["properties"]["datetime"].endswith("Z")  # "2020-10-19T10:04:25.898923"
        assert feature["properties"]["datetime"] < "2021"
    for feature in new["features"]:
        assert feature["properties"]["datetime"].endswith("Z")


def test_the_archive_holds_several_product_types_and_open_data_is_public(api: Api) -> None:
    archive = api.post("/catalog/search", {"collections": ["capella-archive"], "limit": 900}).json()
    open_data = api.post("/catalog/search", {"collections": ["capella-open-data"], "limit": 900}).json()

    assert len({f["properties"]["sar:product_type"] for f in archive["features"]}) >= 3
    assert open_data["numberMatched"] > 0
    assert {f["properties"]["capella:ownership"] for f in open_data["features"]} == {"publiclyAvailable"}
    assert len({f["properties"]["sar:product_type"] for f in open_data["features"]}) >= 3


def test_a_collection_the_organization_may_not_access_is_a_plain_string_error(api: Api) -> None:
    search = api.post("/catalog/search", {"collections": ["capella-beta-analytics"]})
    collection = api.get("/catalog/collections/capella-beta-analytics")

    for response in (search, collection):
        assert response.status_code == 403
        assert (
            isinstance(response.json()["error"], str) and "capella-beta-analytics" in response.json()["error"]
        )


def test_presigned_search_thumbnails_live_for_the_presign_ttl(api: Api, capella_emulator: Any) -> None:
    capella_emulator.settings(presign_ttl_seconds=600)
    [item] = api.post("/catalog/search", {"limit": 1}).json()["features"]

    expires = int(
        dict(part.split("=") for part in urlsplit(item["assets"]["thumbnail"]["href"]).query.split("&"))[
            "Expires"
        ]
    )

    assert abs(expires - (time.time() + 600)) < 30
