"""Orders: list, review, submit (reusing an active order when asked), presigned items and assets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._answers import api_time, review_price
from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import orders as order_args
from airflow_provider_capella.exceptions import (
    CapellaInsufficientFundsError,
    CapellaNoProductsError,
    CapellaOrderRejectedError,
)
from airflow_provider_capella.hooks import _catalog

if TYPE_CHECKING:
    from airflow_provider_capella.hooks._api import CapellaApi

REUSE_MARGIN = timedelta(minutes=10)
"""An active order is reused only with more than this left before it expires (orders live one hour)."""


ORDER_FLAGS = ("check_active_orders", "omit_search", "omit_review")
"""The switches of ``submit_order``, in the order :func:`place_order` reads them."""


@dataclass(frozen=True)
class OrderPlacement:
    """The outcome of ``submit_order``: the order id, whether it was reused, and what the review priced.

    Example::

        placement = place_order(api, stac_ids=ids, check_active_orders=True)
        print(placement.order_id, placement.reused, placement.cost)
    """

    order_id: str
    reused: bool
    cost: str | None = None

    def describe(self) -> str:
        """Say what happened, for the log: placed (billable, with its cost) or reused."""
        if self.reused:
            return f"reused active order {self.order_id} (no new charge)"
        cost = f", cost {self.cost}" if self.cost else ""
        return f"placed order {self.order_id} (billable{cost})"


def list_orders(
    api: CapellaApi, order_ids: tuple[str | None, ...], *, is_active: bool
) -> list[dict[str, Any]]:
    """Return the caller's orders, or only ``order_ids``; ``is_active`` keeps unexpired ones."""
    ids = checks.unique(
        checks.uuid_text("order_ids", order_id) for order_id in order_ids if order_id is not None
    )
    checks.boolean("is_active", is_active)
    if ids and not is_active:
        return list(api.each(lambda order_id: api.call("GET", f"/orders/{order_id}"), ids).values())
    orders = list(api.call("GET", "/orders", params={"customerId": api.user()["id"]}) or [])
    if is_active:
        orders = active_orders(orders)
    if ids:
        orders = [order for order in orders if order.get("orderId") in set(ids)]
    return orders


def stac_items_of_order(
    api: CapellaApi, order_id: str, *, ids_only: bool
) -> list[dict[str, Any]] | list[str]:
    """Return the STAC items (or their ids) of an existing order."""
    checked = checks.uuid_text("order_id", order_id)
    checks.boolean("ids_only", ids_only)
    order = api.call("GET", f"/orders/{checked}")
    stac_ids = [str(item["granuleId"]) for item in order.get("items") or []]
    if ids_only or not stac_ids:
        return stac_ids
    return _catalog.search(api, {"ids": stac_ids, "limit": min(len(stac_ids), 10_000)})


def review_order(
    api: CapellaApi,
    *,
    stac_ids: list[str] | None,
    items: list[dict[str, Any]] | None,
    contract_id: str | None,
) -> dict[str, Any]:
    """Review what ordering the products would cost; raise when the review is not authorized."""
    wanted = order_args.stac_ids_of(stac_ids, items)
    stac_items = order_args.stac_items("items", items) if items else existing_items(api, wanted)
    return review(api, stac_items, contract_id)


def place_order(
    api: CapellaApi,
    wanted: list[str],
    items: list[dict[str, Any]] | None,
    flags: dict[str, bool],
    contract_id: str | None,
) -> OrderPlacement:
    """Order the products (billable) or reuse an active order holding them all; never re-sent.

    ``wanted`` are the STAC ids to order, ``items`` their STAC items when known; ``flags`` holds
    ``check_active_orders``, ``omit_search`` and ``omit_review`` (see ``CapellaHook.submit_order``).
    """
    for name, flag in flags.items():
        checks.boolean(name, flag)
    check_active_orders, omit_search, omit_review = (flags[name] for name in ORDER_FLAGS)
    if contract_id is not None:
        checks.text("contract_id", contract_id, allow_empty=False)
    if check_active_orders:
        existing = active_order_with(api, wanted)
        if existing:
            api.log.info("Reusing active order %s holding all %d STAC id(s)", existing, len(wanted))
            return OrderPlacement(existing, reused=True)
    if omit_search and items:
        stac_items = order_args.stac_items("items", items)
    else:
        stac_items = existing_items(api, wanted)
    cost = None if omit_review else review_cost(review(api, stac_items, contract_id))
    order = api.call("POST", "/orders", json=order_args.order_body(stac_items, contract_id))
    order_id = accepted_order_id(order, f"{len(stac_items)} STAC item(s)")
    api.log.info(
        "Submitted order %s for %d STAC item(s) (billable; reviewed cost: %s)",
        order_id,
        len(stac_items),
        cost or "not reviewed",
    )
    return OrderPlacement(order_id, reused=False, cost=cost)


def accepted_order_id(order: dict[str, Any], what: str) -> str:
    """Return the id of an order just placed, or raise ``CapellaOrderRejectedError`` if it was rejected."""
    order_id = str(order.get("orderId"))
    if order.get("orderStatus") == "rejected":
        raise CapellaOrderRejectedError(f"order {order_id} for {what} was rejected", code="ORDER_REJECTED")
    return order_id


def presigned_items(
    api: CapellaApi, order_id: str, *, stac_ids: list[str] | None, sort_by: list[str] | None
) -> list[dict[str, Any]]:
    """Return the order's presigned STAC items, filtered by ``stac_ids``, ordered by ``sort_by``."""
    checked = checks.uuid_text("order_id", order_id)
    wanted = set(checks.as_list("stac_ids", stac_ids)) if stac_ids else None
    order_by = [str(value) for value in checks.as_list("sort_by", sort_by)] if sort_by else None
    items = list(api.call("GET", f"/orders/{checked}/download") or [])
    if order_by:
        rank = {stac_id: index for index, stac_id in enumerate(order_by)}
        items.sort(key=lambda item: rank.get(item.get("id"), len(rank)))
    if wanted is not None:
        items = [item for item in items if item.get("id") in wanted]
    return items


def existing_items(api: CapellaApi, stac_ids: list[str]) -> list[dict[str, Any]]:
    """Return the catalog items of ``stac_ids``; fail when none exist, warn about the missing ones."""
    items = _catalog.search(api, {"ids": stac_ids, "limit": min(max(1, len(stac_ids)), 10_000)})
    if not items:
        raise CapellaNoProductsError(f"none of the STAC ids exist in the catalog: {', '.join(stac_ids[:10])}")
    missing = sorted(set(stac_ids) - {str(item["id"]) for item in items})
    if missing:
        api.log.warning("%d STAC id(s) not found and left out: %s", len(missing), ", ".join(missing[:10]))
    return items


def review(api: CapellaApi, stac_items: list[dict[str, Any]], contract_id: str | None) -> dict[str, Any]:
    """Send ``POST /orders/review``; raise ``CapellaInsufficientFundsError`` unless authorized."""
    review = api.call("POST", "/orders/review", json=order_args.order_body(stac_items, contract_id)) or {}
    if not review.get("authorized", False):
        reason = review.get("authorizationDenialReason") or {}
        raise CapellaInsufficientFundsError(
            str(reason.get("message") or "order review not authorized"),
            code=str(reason.get("code") or "AUTHORIZATION_INSUFFICIENT_FUNDS"),
            data=review.get("orderDetails"),
        )
    return review


def review_cost(review: dict[str, Any]) -> str | None:
    """Return the total a review priced (else its subtotal), e.g. ``"120.00 USD"``, or ``None``."""
    return review_price(review).describe()


def active_order_with(api: CapellaApi, stac_ids: list[str]) -> str | None:
    """Return the id of an active order holding every one of ``stac_ids`` and not about to expire.

    An order expiring within :data:`REUSE_MARGIN` is passed over (logged): its URLs would die mid-task.
    """
    wanted = set(stac_ids)
    soon = datetime.now(timezone.utc) + REUSE_MARGIN
    for order in list_orders(api, (), is_active=True):
        granules = {item.get("granuleId") for item in order.get("items") or []}
        if not granules >= wanted:
            continue
        expires = expiration(order)
        if expires is not None and expires <= soon:
            api.log.info(
                "Active order %s holds the products but expires at %s, within %d minutes: not reused",
                order.get("orderId"),
                expires.isoformat(),
                REUSE_MARGIN.total_seconds() // 60,
            )
            continue
        return str(order["orderId"])
    return None


def active_orders(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the orders whose ``expirationDate`` is still ahead, latest expiry first (the SDK's order)."""
    now = datetime.now(timezone.utc)
    dated = [(expiration(order), order) for order in orders]
    live = [(when, order) for when, order in dated if when is not None and when > now]
    return [order for _, order in sorted(live, key=lambda pair: pair[0], reverse=True)]


def expiration(order: dict[str, Any]) -> datetime | None:
    """Return an order's ``expirationDate`` as an aware datetime (zone-less: UTC), ``None`` if unreadable."""
    return api_time(order.get("expirationDate"))
