"""Orders against the emulator: review, submit, reuse, list, presigned items and assets."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from airflow_provider_capella.exceptions import (
    CapellaInsufficientFundsError,
    CapellaNoProductsError,
    CapellaNotFoundError,
    CapellaOrderExpiredError,
    CapellaOrderRejectedError,
)
from airflow_provider_capella.hooks.capella import CapellaHook

UNKNOWN_ID = "0b8f3f8e-7d1c-4c7e-9d7a-3b7f1b2a9c10"


def order_posts(capella_emulator: Any) -> list[dict[str, Any]]:
    """Logged ``POST /orders`` (exactly that path: the log matches prefixes, /orders/review included)."""
    return [
        entry
        for entry in capella_emulator.requests(path="/orders", method="POST")
        if entry["path"] == "/orders"
    ]


def purchasable(hook: CapellaHook, count: int) -> list[dict[str, Any]]:
    return hook.search(ownership="availableForPurchase", product_type="GEO", limit=count)


def test_submit_order_and_read_it_back(hook: CapellaHook) -> None:
    items = purchasable(hook, 3)
    order_id = hook.submit_order(stac_ids=[item["id"] for item in items])
    assert isinstance(order_id, str)
    assert sorted(hook.get_stac_items_of_order(order_id, ids_only=True)) == sorted(
        item["id"] for item in items
    )
    ordered = hook.get_stac_items_of_order(order_id)
    assert sorted(item["id"] for item in ordered) == sorted(item["id"] for item in items)
    assert [order["orderId"] for order in hook.list_orders(order_id)] == [order_id]
    assert order_id in {order["orderId"] for order in hook.list_orders()}
    assert order_id in {order["orderId"] for order in hook.list_orders(is_active=True)}


def test_check_active_orders_reuses_instead_of_paying_again(hook: CapellaHook, capella_emulator: Any) -> None:
    items = purchasable(hook, 2)
    first = hook.submit_order(items=items, omit_search=True)
    again = hook.submit_order(items=items[:1], check_active_orders=True)
    assert again == first
    assert len(order_posts(capella_emulator)) == 1
    assert hook.submit_order(items=items[:1]) != first  # without the check, a new order


def test_review_order(hook: CapellaHook) -> None:
    review = hook.review_order(items=purchasable(hook, 2))
    assert review["authorized"] is True


def test_insufficient_funds_stops_before_the_order(hook: CapellaHook, capella_emulator: Any) -> None:
    capella_emulator.settings(budget=0)
    items = purchasable(hook, 1)
    with pytest.raises(CapellaInsufficientFundsError) as raised:
        hook.submit_order(items=items)
    assert raised.value.code == "AUTHORIZATION_INSUFFICIENT_FUNDS"
    assert order_posts(capella_emulator) == []


def test_insufficient_funds_without_review_is_typed(hook: CapellaHook, capella_emulator: Any) -> None:
    capella_emulator.settings(budget=0)
    with pytest.raises(CapellaInsufficientFundsError) as raised:
        hook.submit_order(items=purchasable(hook, 1), omit_review=True)
    assert raised.value.status == 400


def test_rejected_order(hook: CapellaHook) -> None:
    with pytest.raises(CapellaOrderRejectedError):
        hook.submit_order(items=purchasable(hook, 1), contract_id="reject-orders", omit_review=True)


def test_unknown_contract_is_not_found(hook: CapellaHook) -> None:
    with pytest.raises(CapellaNotFoundError) as raised:
        hook.submit_order(items=purchasable(hook, 1), contract_id="no-such-contract")
    assert raised.value.code == "CONTRACT_NOT_FOUND"


def test_unknown_stac_ids_are_refused_before_ordering(hook: CapellaHook, capella_emulator: Any) -> None:
    with pytest.raises(CapellaNoProductsError):
        hook.submit_order(stac_ids=["CAPELLA_C99_SP_GEO_HH_20000101000000_20000101000010"])
    assert capella_emulator.requests(path="/orders") == []


def test_presigned_items_filtered_sorted_and_keyless(hook: CapellaHook, capella_emulator: Any) -> None:
    items = purchasable(hook, 3)
    ids = [item["id"] for item in items]
    order_id = hook.submit_order(items=items)
    presigned = hook.get_presigned_items(order_id, sort_by=list(reversed(ids)))
    assert [item["id"] for item in presigned] == list(reversed(ids))
    assert [item["id"] for item in hook.get_presigned_items(order_id, stac_ids=ids[:1])] == ids[:1]
    text = json.dumps(presigned)
    assert capella_emulator.api_key not in text
    assert "Signature=" in presigned[0]["assets"]["HH"]["href"] or "?" in presigned[0]["assets"]["HH"]["href"]
    assets = hook.get_presigned_assets(order_id)
    assert {"HH", "metadata", "thumbnail"} <= set(assets[0])


def test_expired_order_raises_order_expired(hook: CapellaHook, capella_emulator: Any) -> None:
    order_id = hook.submit_order(items=purchasable(hook, 1))
    request = urllib.request.Request(
        f"{capella_emulator.url}/_emulator/orders/{order_id}/expire", method="POST"
    )
    urllib.request.urlopen(request, timeout=10).close()
    with pytest.raises(CapellaOrderExpiredError) as raised:
        hook.get_presigned_items(order_id)
    assert raised.value.code == "ORDER_EXPIRED"
    assert order_id not in {order["orderId"] for order in hook.list_orders(is_active=True)}


def test_unknown_order_is_not_found(hook: CapellaHook) -> None:
    with pytest.raises(CapellaNotFoundError):
        hook.list_orders(UNKNOWN_ID)
