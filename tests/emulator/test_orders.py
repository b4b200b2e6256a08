"""Orders over real HTTP: review and pricing, budget, submit, list, look-up, rejection, expiry, downloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from capella_emulator.orders import PRODUCT_PRICES_USD

from tests.emulator.tasking_helpers import zod

FREE = ("ownedByOrganization", "sharedWithOrganization", "publiclyAvailable")


def catalog_items(
    emulator: Any, ownership: str, product_type: str | None = None, count: int = 1
) -> list[dict]:
    found = [
        item
        for item in emulator.state.catalog.items
        if item["properties"]["capella:ownership"] == ownership
        and (product_type is None or item["properties"]["sar:product_type"] == product_type)
    ]
    assert len(found) >= count, f"the catalog has fewer than {count} {ownership} {product_type} items"
    return found[:count]


def order_body(items: list[dict], **extra: Any) -> dict[str, Any]:
    return {
        "items": [{"collectionId": item["collection"], "granuleId": item["id"]} for item in items],
        **extra,
    }


def post(emulator: Any, path: str, payload: Any) -> requests.Response:
    return requests.post(f"{emulator.url}{path}", json=payload, headers=emulator.auth_headers, timeout=30)


def get(emulator: Any, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{emulator.url}{path}", params=params, headers=emulator.auth_headers, timeout=30)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def submit(emulator: Any, items: list[dict], **extra: Any) -> dict[str, Any]:
    response = post(emulator, "/orders", order_body(items, **extra))
    assert response.status_code == 200, response.text
    return response.json()


def test_review_prices_purchasable_items_and_gives_owned_ones_free(capella_emulator):
    geo, slc = (
        catalog_items(capella_emulator, "availableForPurchase", "GEO")[0],
        catalog_items(capella_emulator, "availableForPurchase", "SLC")[0],
    )
    owned = catalog_items(capella_emulator, "ownedByOrganization", "GEO")[0]

    review = post(capella_emulator, "/orders/review", order_body([geo, slc, owned])).json()

    assert review["authorized"] is True
    assert "authorizationDenialReason" not in review
    prices = {line["granuleId"]: line["price"] for line in review["orderDetails"]["lineItems"]}
    assert prices == {
        geo["id"]: PRODUCT_PRICES_USD["GEO"],
        slc["id"]: PRODUCT_PRICES_USD["SLC"],
        owned["id"]: 0,
    }
    total = sum(prices.values())
    assert review["orderDetails"]["summary"] == {"subtotal": total, "total": total, "currency": "USD"}
    for line in review["orderDetails"]["lineItems"]:
        assert line["order"]["finalListPrice"] == prices[line["granuleId"]]


def test_review_without_budget_is_not_authorized(capella_emulator):
    capella_emulator.settings(budget=0)
    item = catalog_items(capella_emulator, "availableForPurchase")[0]

    review = post(capella_emulator, "/orders/review", order_body([item])).json()

    assert review["authorized"] is False
    assert review["authorizationDenialReason"]["code"] == "AUTHORIZATION_INSUFFICIENT_FUNDS"
    assert "insufficient funds" in review["authorizationDenialReason"]["message"]


@pytest.mark.parametrize("ownership", FREE)
def test_items_the_organization_can_access_cost_nothing_even_without_budget(capella_emulator, ownership):
    capella_emulator.settings(budget=0)
    item = catalog_items(capella_emulator, ownership)[0]

    review = post(capella_emulator, "/orders/review", order_body([item])).json()

    assert review["authorized"] is True
    assert review["orderDetails"]["summary"]["total"] == 0


def test_submit_returns_a_completed_order(capella_emulator):
    capella_emulator.settings(order_ttl_seconds=3600)
    item = catalog_items(capella_emulator, "availableForPurchase", "GEO")[0]

    order = submit(capella_emulator, [item])

    assert uuid.UUID(order["orderId"])
    assert order["orderStatus"] == "completed"
    user = get(capella_emulator, "/user").json()
    assert (order["userId"], order["organizationId"]) == (user["id"], user["organizationId"])
    lifetime = parse_time(order["expirationDate"]) - parse_time(order["orderDate"])
    assert lifetime.total_seconds() == pytest.approx(3600, abs=0.01)
    properties = item["properties"]
    assert order["items"] == [
        {
            "type": properties["sar:instrument_mode"],  # the imaging mode, not the product type
            "collectionDate": properties["datetime"],
            "size": capella_emulator.state.config.asset_size,
            "collectId": properties["capella:collect_id"],
            "collectionId": "capella-geo",
            "granuleId": item["id"],
            "taskingRequestId": None,  # an archive collect
            "previouslyOrdered": False,
            "itemStatus": "completed",
        }
    ]
    assert "contractId" not in order


def test_reordering_is_marked_previously_ordered_and_free(capella_emulator):
    item = catalog_items(capella_emulator, "availableForPurchase")[0]
    submit(capella_emulator, [item])
    capella_emulator.settings(budget=0)

    review = post(capella_emulator, "/orders/review", order_body([item])).json()
    again = submit(capella_emulator, [item])

    assert review["authorized"] is True
    assert review["orderDetails"]["lineItems"][0]["previouslyOrdered"] is True
    assert again["items"][0]["previouslyOrdered"] is True


def test_submitted_orders_use_up_the_budget(capella_emulator):
    first, second = catalog_items(capella_emulator, "availableForPurchase", "GEO", count=2)
    capella_emulator.settings(budget=PRODUCT_PRICES_USD["GEO"])

    submit(capella_emulator, [first])
    review = post(capella_emulator, "/orders/review", order_body([second])).json()
    refused = post(capella_emulator, "/orders", order_body([second]))

    assert review["authorized"] is False
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "AUTHORIZATION_INSUFFICIENT_FUNDS"
    assert error["data"] == {"total": PRODUCT_PRICES_USD["GEO"], "remaining": 0.0, "currency": "USD"}


def test_list_orders_of_the_customer(capella_emulator):
    first, second = catalog_items(capella_emulator, "ownedByOrganization", count=2)
    orders = [submit(capella_emulator, [first]), submit(capella_emulator, [second])]
    user_id = get(capella_emulator, "/user").json()["id"]

    listed = get(capella_emulator, "/orders", customerId=user_id)
    someone_else = get(capella_emulator, "/orders", customerId=str(uuid.uuid4()))

    assert listed.status_code == 200
    assert [order["orderId"] for order in listed.json()] == [order["orderId"] for order in orders]
    assert someone_else.json() == []


def test_get_order_by_id(capella_emulator):
    order = submit(capella_emulator, catalog_items(capella_emulator, "ownedByOrganization"))

    fetched = get(capella_emulator, f"/orders/{order['orderId']}")

    assert fetched.status_code == 200
    assert fetched.json() == order


def test_unknown_order_is_404_and_malformed_id_is_400(capella_emulator):
    unknown = get(capella_emulator, f"/orders/{uuid.uuid4()}")
    malformed = get(capella_emulator, "/orders/not-an-order-id")
    malformed_download = get(capella_emulator, "/orders/not-an-order-id/download")

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "NOT_FOUND"
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "VALIDATION_ERROR"
    assert malformed_download.status_code == 400


def test_rejecting_contract_gives_a_rejected_order_that_cannot_be_downloaded(capella_emulator):
    capella_emulator.settings(budget=0)
    item = catalog_items(capella_emulator, "availableForPurchase")[0]

    order = submit(capella_emulator, [item], contractId="reject-orders")
    download = get(capella_emulator, f"/orders/{order['orderId']}/download")

    assert order["orderStatus"] == "rejected"
    assert order["contractId"] == "reject-orders"
    assert download.status_code == 400
    assert download.json()["error"]["code"] == "ORDER_VALIDATION_ERROR"


def test_a_uuid_contract_is_accepted_and_an_unknown_one_is_not_found(capella_emulator):
    item = catalog_items(capella_emulator, "ownedByOrganization")[0]
    contract_id = str(uuid.uuid4())

    order = submit(capella_emulator, [item], contractId=contract_id)
    unknown = post(capella_emulator, "/orders", order_body([item], contractId="unknown-contract"))
    unknown_review = post(
        capella_emulator, "/orders/review", order_body([item], contractId="unknown-contract")
    )

    assert order["contractId"] == contract_id
    assert unknown.status_code == unknown_review.status_code == 404
    assert unknown.json()["error"]["code"] == "CONTRACT_NOT_FOUND"


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ([], "body"),
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": "CAPELLA_C05"}, "items"),
        ({"items": ["CAPELLA_C05"]}, "items[0]"),
        ({"items": [{"granuleId": "CAPELLA_C05"}]}, "items[0].collectionId"),
        ({"items": [{"granuleId": 5, "collectionId": "capella-geo"}]}, "items[0].granuleId"),
        ({"items": [{"granuleId": "x", "collectionId": "capella-geo"}], "contractId": 7}, "contractId"),
    ],
)
def test_malformed_bodies_are_validation_errors(capella_emulator, payload, path):
    for endpoint in ("/orders/review", "/orders"):
        response = post(capella_emulator, endpoint, payload)

        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert zod(path) in [problem["path"] for problem in error["detail"]]


def test_non_json_body_is_a_validation_error(capella_emulator):
    response = requests.post(
        f"{capella_emulator.url}/orders", data=b"{not json", headers=capella_emulator.auth_headers, timeout=30
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_unknown_granule_and_wrong_collection_are_order_validation_errors(capella_emulator):
    item = catalog_items(capella_emulator, "ownedByOrganization", "GEO")[0]
    payload = {
        "items": [
            {
                "collectionId": "capella-geo",
                "granuleId": "CAPELLA_C99_SP_GEO_HH_20200101000000_20200101000010",
            },
            {"collectionId": "capella-slc", "granuleId": item["id"]},
        ]
    }

    response = post(capella_emulator, "/orders", payload)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "ORDER_VALIDATION_ERROR"
    assert [problem["path"] for problem in error["detail"]] == [
        zod("items[0].granuleId"),
        zod("items[1].collectionId"),
    ]
    assert get(capella_emulator, "/orders").json() == []


def test_download_gives_the_catalog_items_with_presigned_asset_urls(capella_emulator):
    items = catalog_items(capella_emulator, "availableForPurchase", count=2)
    order = submit(capella_emulator, items)

    response = get(capella_emulator, f"/orders/{order['orderId']}/download")

    assert response.status_code == 200
    downloaded = response.json()
    assert [item["id"] for item in downloaded] == [item["id"] for item in items]
    expiration = parse_time(order["expirationDate"]).timestamp()
    for original, presigned in zip(items, downloaded, strict=True):
        assert presigned["properties"] == original["properties"]
        assert presigned["assets"].keys() == original["assets"].keys()
        assert presigned["assets"]["license"] == original["assets"]["license"]
        for key, asset in presigned["assets"].items():
            if key == "license":
                continue
            url = urlsplit(asset["href"])
            assert f"{url.scheme}://{url.netloc}" == capella_emulator.url
            assert url.path == original["assets"][key]["href"]
            query = parse_qs(url.query)
            assert set(query) == {"AWSAccessKeyId", "Expires", "Signature"}
            assert int(query["Expires"][0]) <= expiration
            assert capella_emulator.api_key not in asset["href"]


def test_an_order_expires_one_hour_after_placement_and_its_urls_with_it(capella_emulator):
    capella_emulator.state.config.order_ttl_seconds = 3600.0  # the default, whatever an earlier test set
    item = catalog_items(capella_emulator, "ownedByOrganization")[0]
    order = submit(capella_emulator, [item])

    items = get(capella_emulator, f"/orders/{order['orderId']}/download").json()

    lifetime = parse_time(order["expirationDate"]) - parse_time(order["orderDate"])
    assert lifetime.total_seconds() == 3600
    expiration = parse_time(order["expirationDate"]).timestamp()
    for asset in items[0]["assets"].values():
        if "Expires=" in asset["href"]:
            assert int(parse_qs(urlsplit(asset["href"]).query)["Expires"][0]) == expiration


def test_expired_order_cannot_be_downloaded(capella_emulator):
    order = submit(capella_emulator, catalog_items(capella_emulator, "ownedByOrganization"))

    expired = requests.post(f"{capella_emulator.url}/_emulator/orders/{order['orderId']}/expire", timeout=30)
    download = get(capella_emulator, f"/orders/{order['orderId']}/download")

    assert expired.status_code == 200
    assert parse_time(expired.json()["expirationDate"]) <= parse_time(order["expirationDate"])
    assert (
        get(capella_emulator, f"/orders/{order['orderId']}").json()["expirationDate"]
        == (expired.json()["expirationDate"])
    )
    assert download.status_code == 400
    assert download.json() == {"error": {"message": "order expired", "code": "ORDER_EXPIRED"}}


def test_orders_need_the_api_key(capella_emulator):
    response = requests.get(f"{capella_emulator.url}/orders", timeout=30)

    assert response.status_code == 401
