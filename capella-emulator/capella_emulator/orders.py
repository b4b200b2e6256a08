"""Orders: review (price and budget check), submit, list, look up, expire, and presigned downloads.

Pricing is deterministic: an item the organization can already access (``capella:ownership`` of
``ownedByOrganization``, ``sharedWithOrganization`` or ``publiclyAvailable``) or has ordered before is
free; anything else costs :data:`PRODUCT_PRICES_USD` of its product type. An order is authorized while its
total fits in the remaining budget: ``config.budget`` minus the totals of completed orders.

An order expires one hour after it is placed (``order_ttl_seconds``; ``expirationDate = orderDate + 1 h``)
and the presigned URLs of ``GET /orders/{id}/download`` expire with it (``Expires`` = ``expirationDate``).
Order items carry ``type`` = the imaging mode (``spotlight``, ``stripmap``, ``sliding_spotlight``), not the
product type, plus ``collectionDate``, ``collectId`` and ``taskingRequestId`` (``null`` for archive items).

Slow processing (``order_processing_seconds`` > 0, a strict mode for tests): a placed order stays
``processing`` (its items too, ``itemStatus``) for that many seconds before it is ``completed``; until
then ``GET /orders/{id}/download`` answers ``503`` with ``Retry-After`` (the seconds left), so no presigned
URL exists yet. The API publishes only ``completed`` and ``rejected`` and serves download URLs for a
completed order; the ``processing`` word and the 503 are the emulator's assumptions.

Contracts (``contractId``): omitted or any UUID is accepted; ``"reject-orders"`` is accepted but the order
comes back ``"rejected"``; anything else is ``404 CONTRACT_NOT_FOUND``. Submitting beyond the budget is
``400 AUTHORIZATION_INSUFFICIENT_FUNDS`` (with ``data: {total, remaining, currency}``). Body validation is
in :mod:`.order_requests`. Downloading an expired order is ``400 ORDER_EXPIRED``, a rejected one
``400 ORDER_VALIDATION_ERROR``; a malformed order id is ``400 VALIDATION_ERROR``, an unknown one ``404``.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from capella_emulator.asset_content import with_digest_format
from capella_emulator.errors import ApiError, not_found, validation_error
from capella_emulator.order_requests import (
    REJECTING_CONTRACT_ID,
    OrderRequest,
    is_uuid,
    parse_order_request,
)
from capella_emulator.signing import presign_item

if TYPE_CHECKING:
    from capella_emulator.state import EmulatorState

CURRENCY = "USD"
FREE_OWNERSHIPS = frozenset({"ownedByOrganization", "sharedWithOrganization", "publiclyAvailable"})
DEFAULT_PRICE_USD = 500.0
PRODUCT_PRICES_USD = {
    "GEO": 500.0,
    "GEC": 500.0,
    "SLC": 750.0,
    "SICD": 750.0,
    "SIDD": 600.0,
    "CPHD": 1500.0,
    "CSI": 650.0,
    "CSIDD": 650.0,
    "VC": 200.0,
    "VS": 200.0,
    "ACD": 300.0,
}


def api_time(epoch_seconds: float) -> str:
    """``2024-05-01T12:00:00.000Z``: the API's timestamp format."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def product_type(item: dict[str, Any]) -> str:
    """Return the item's ``sar:product_type``, else the product field of its id."""
    declared = item.get("properties", {}).get("sar:product_type")
    if declared:
        return str(declared)
    parts = item["id"].split("_")
    return parts[3] if len(parts) > 3 else "UNKNOWN"


@dataclass
class Order:
    """A submitted order; :meth:`to_json` is its wire shape.

    Example::

        order = state.orders.get("0b9f7c1e-6f0e-4a8e-9d8e-1f2a3b4c5d6e")
        order.is_expired(state.now())
    """

    order_id: str
    status: str
    user_id: str
    organization_id: str
    ordered_at: float
    expires_at: float
    items: list[dict[str, Any]]
    total: float
    contract_id: str | None = None
    granule_ids: list[str] = field(default_factory=list)
    ready_at: float = 0.0

    def is_expired(self, now: float) -> bool:
        return now > self.expires_at

    def status_at(self, now: float) -> str:
        """Return ``processing`` until ``ready_at`` for an order that will complete, else its status."""
        return "processing" if self.status == "completed" and now < self.ready_at else self.status

    def to_json(self, now: float) -> dict[str, Any]:
        status = self.status_at(now)
        body: dict[str, Any] = {
            "orderId": self.order_id,
            "orderStatus": status,
            "userId": self.user_id,
            "organizationId": self.organization_id,
            "orderDate": api_time(self.ordered_at),
            "expirationDate": api_time(self.expires_at),
            "items": [
                {**item, "itemStatus": status} if status == "processing" else dict(item)
                for item in self.items
            ],
        }
        if self.contract_id is not None:
            body["contractId"] = self.contract_id
        return body


class OrderBook:
    """All orders of the emulated user, with pricing against the configured budget.

    Example::

        book = OrderBook(state)
        review = book.review({"items": [{"collectionId": "capella-geo", "granuleId": item_id}]})
        order = book.submit({"items": [{"collectionId": "capella-geo", "granuleId": item_id}]})
    """

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.orders: dict[str, Order] = {}

    # -- pricing -----------------------------------------------------------------------------------
    def remaining_budget(self) -> float:
        spent = sum(order.total for order in self.orders.values() if order.status == "completed")
        return max(0.0, float(self.state.config.budget) - spent)

    def previously_ordered(self) -> set[str]:
        ordered: set[str] = set()
        for order in self.orders.values():
            if order.status == "completed":
                ordered.update(order.granule_ids)
        return ordered

    def line_items(self, request: OrderRequest) -> list[dict[str, Any]]:
        ordered = self.previously_ordered()
        lines = []
        for item in request.items:
            ownership = item.get("properties", {}).get("capella:ownership")
            previously = item["id"] in ordered
            free = (previously and self.state.config.reorders_are_free) or (
                ownership in FREE_OWNERSHIPS and not self.state.config.free_products_priced
            )
            kind = product_type(item)
            list_price = PRODUCT_PRICES_USD.get(kind, DEFAULT_PRICE_USD)
            lines.append(
                {
                    "granuleId": item["id"],
                    "collectionId": item["collection"],
                    "productType": kind,
                    "ownership": ownership,
                    "previouslyOrdered": previously,
                    "price": 0.0 if free else list_price,
                    "currency": CURRENCY,
                    "order": {
                        "listPrice": list_price,
                        "discount": list_price if free else 0.0,
                        "finalListPrice": 0.0 if free else list_price,
                        "currency": CURRENCY,
                    },
                }
            )
        return lines

    # -- operations --------------------------------------------------------------------------------
    def review(self, body: Any) -> dict[str, Any]:
        """``POST /orders/review``: the price of the order and whether the budget covers it."""
        request = parse_order_request(body, self.state)
        lines = self.line_items(request)
        total = sum(line["price"] for line in lines)
        review: dict[str, Any] = {
            "authorized": total <= self.remaining_budget(),
            "orderDetails": {
                "summary": {"subtotal": total, "total": total, "currency": CURRENCY},
                "lineItems": lines,
            },
        }
        if not review["authorized"]:
            review["authorizationDenialReason"] = {
                "message": self._insufficient_funds_message(total),
                "code": "AUTHORIZATION_INSUFFICIENT_FUNDS",
            }
        if request.contract_id is not None:
            review["contractId"] = request.contract_id
        return review

    def submit(self, body: Any) -> Order:
        """``POST /orders``: a completed order, a rejected one (rejecting contract), or insufficient funds."""
        request = parse_order_request(body, self.state)
        lines = self.line_items(request)
        total = sum(line["price"] for line in lines)
        rejected = request.contract_id == REJECTING_CONTRACT_ID
        remaining = self.remaining_budget()
        if not rejected and total > remaining:
            raise ApiError(
                400,
                "AUTHORIZATION_INSUFFICIENT_FUNDS",
                self._insufficient_funds_message(total),
                data={"total": total, "remaining": remaining, "currency": CURRENCY},
            )
        order = self._new_order(request, lines, total, "rejected" if rejected else "completed")
        self.orders[order.order_id] = order
        return order

    def _new_order(
        self, request: OrderRequest, lines: list[dict[str, Any]], total: float, status: str
    ) -> Order:
        now = float(math.floor(self.state.now()))  # whole seconds: presigned ``Expires`` = expirationDate
        config = self.state.config
        items = [self._order_item(item, line) for item, line in zip(request.items, lines, strict=True)]
        return Order(
            order_id=str(uuid.uuid4()),
            status=status,
            user_id=config.user_id,
            organization_id=config.organization_id,
            ordered_at=now,
            expires_at=now + float(config.order_ttl_seconds),
            items=items,
            total=total if status == "completed" else 0.0,
            contract_id=request.contract_id,
            granule_ids=[line["granuleId"] for line in lines],
            ready_at=self.state.now() + float(config.order_processing_seconds),
        )

    def _order_item(self, item: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
        properties = item.get("properties", {})
        collect_id = properties.get("capella:collect_id")
        return {
            "type": properties.get("sar:instrument_mode"),
            "collectionDate": properties.get("datetime"),
            "size": int(self.state.config.asset_size),
            "collectId": collect_id,
            "collectionId": line["collectionId"],
            "granuleId": line["granuleId"],
            "taskingRequestId": self.state.tasking.task_of_collect(collect_id),
            "previouslyOrdered": line["previouslyOrdered"],
            "itemStatus": "completed",
        }

    def _insufficient_funds_message(self, total: float) -> str:
        return (
            f"insufficient funds: the order costs {total:.2f} {CURRENCY}, "
            f"the remaining budget is {self.remaining_budget():.2f} {CURRENCY}"
        )

    def list_for(
        self,
        customer_id: str | None,
        organization_id: str | None = None,
        reseller_id: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /orders``: the user's orders, oldest first, the newest ``limit`` of them when given.

        Another customer or organization has none; the emulated organization has no reseller, so any
        ``resellerId`` lists nothing.
        """
        config = self.state.config
        if customer_id is not None and customer_id != config.user_id:
            return []
        if organization_id is not None and organization_id != config.organization_id:
            return []
        if reseller_id is not None:
            return []
        now = self.state.now()
        orders = [order.to_json(now) for order in self.orders.values()]
        return orders[-limit:] if limit is not None else orders

    def get(self, order_id: str) -> Order:
        """Return the order, or 400 for a malformed id and 404 for an unknown one."""
        if not is_uuid(order_id):
            raise validation_error(f"order id must be a UUID, got {order_id!r}", "orderId")
        order = self.orders.get(order_id.lower())
        if order is None:
            raise not_found("order", order_id)
        return order

    def presigned_items(self, order_id: str, base_url: str) -> list[dict[str, Any]]:
        """``GET /orders/{id}/download``: the order's STAC items with presigned asset URLs."""
        order = self.get(order_id)
        now = self.state.now()
        if order.is_expired(now):
            raise ApiError(400, "ORDER_EXPIRED", "order expired")
        if order.status != "completed":
            raise ApiError(400, "ORDER_VALIDATION_ERROR", f"order {order.order_id} is {order.status}")
        if now < order.ready_at:
            wait = math.ceil(order.ready_at - now)
            raise ApiError(
                503,
                "ORDER_PROCESSING",
                f"order {order.order_id} is still processing; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        # Expires == expirationDate, unless a test shortens presign_ttl_seconds below the order's life.
        expires = int(min(now + float(self.state.config.presign_ttl_seconds), order.expires_at))
        secret, config = self.state.signing_secret, self.state.config
        items = []
        for granule_id in order.granule_ids:
            item = self.state.catalog.get(granule_id)
            if item is not None:
                shaped = with_digest_format(
                    item, config.asset_size, config.asset_revision, config.digest_format
                )
                items.append(presign_item(shaped, base_url, expires, secret))
        return items

    def expire(self, order_id: str) -> Order:
        """Control surface: make the order expired as of now."""
        order = self.get(order_id)
        order.expires_at = min(order.expires_at, self.state.now() - 0.001)
        return order
