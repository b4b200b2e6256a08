"""Orders: review (price and budget check), submit, list, look up, expire, and presigned downloads.

Pricing is deterministic: an item the organization can already access (``capella:ownership`` of
``ownedByOrganization``, ``sharedWithOrganization`` or ``publiclyAvailable``) or has ordered before is
free; anything else costs :data:`PRODUCT_PRICES_USD` of its product type. An order is authorized while its
total fits in the remaining budget: ``config.budget`` minus the totals of completed orders.

Contracts (``contractId``): omitted or any UUID is accepted; :data:`REJECTING_CONTRACT_ID`
(``"reject-orders"``) is accepted but the order comes back ``"rejected"``; anything else is
``404 CONTRACT_NOT_FOUND``. Submitting beyond the budget is ``400 AUTHORIZATION_INSUFFICIENT_FUNDS``
(with ``data: {total, remaining, currency}``). A malformed body is ``400 VALIDATION_ERROR``; unknown
granules or a wrong ``collectionId`` are ``400 ORDER_VALIDATION_ERROR``, each with ``detail`` paths such
as ``items[1].granuleId``. Downloading an expired order is ``400 ORDER_EXPIRED``, a rejected one
``400 ORDER_VALIDATION_ERROR``; a malformed order id is ``400 VALIDATION_ERROR``, an unknown one ``404``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.testing.emulator.errors import ApiError, not_found, validation_error
from airflow_provider_capella.testing.emulator.signing import presign_item

if TYPE_CHECKING:
    from airflow_provider_capella.testing.emulator.state import EmulatorState

CURRENCY = "USD"
REJECTING_CONTRACT_ID = "reject-orders"
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
UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(text: Any) -> bool:
    return isinstance(text, str) and bool(UUID_PATTERN.match(text))


def api_time(epoch_seconds: float) -> str:
    """``2024-05-01T12:00:00.000Z``: the API's timestamp format."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def product_type(item: dict[str, Any]) -> str:
    """The item's ``sar:product_type``, else the product field of its id."""
    declared = item.get("properties", {}).get("sar:product_type")
    if declared:
        return str(declared)
    parts = item["id"].split("_")
    return parts[3] if len(parts) > 3 else "UNKNOWN"


@dataclass
class OrderRequest:
    """A validated ``POST /orders`` or ``/orders/review`` body: catalog items in request order, de-duplicated.

    Example::

        OrderRequest(items=[state.catalog.get(granule_id)], contract_id=None)
    """

    items: list[dict[str, Any]]
    contract_id: str | None


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

    def is_expired(self, now: float) -> bool:
        return now > self.expires_at

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "orderId": self.order_id,
            "orderStatus": self.status,
            "userId": self.user_id,
            "organizationId": self.organization_id,
            "orderDate": api_time(self.ordered_at),
            "expirationDate": api_time(self.expires_at),
            "items": [dict(item) for item in self.items],
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
            free = previously or ownership in FREE_OWNERSHIPS
            kind = product_type(item)
            lines.append(
                {
                    "granuleId": item["id"],
                    "collectionId": item["collection"],
                    "productType": kind,
                    "ownership": ownership,
                    "previouslyOrdered": previously,
                    "price": 0.0 if free else PRODUCT_PRICES_USD.get(kind, DEFAULT_PRICE_USD),
                    "currency": CURRENCY,
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
            "orderDetails": {"summary": {"total": total, "currency": CURRENCY}, "lineItems": lines},
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
        now = self.state.now()
        config = self.state.config
        items = [
            {
                "granuleId": line["granuleId"],
                "collectionId": line["collectionId"],
                "type": line["productType"],
                "size": int(config.asset_size),
                "previouslyOrdered": line["previouslyOrdered"],
            }
            for line in lines
        ]
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
        )

    def _insufficient_funds_message(self, total: float) -> str:
        return (
            f"insufficient funds: the order costs {total:.2f} {CURRENCY}, "
            f"the remaining budget is {self.remaining_budget():.2f} {CURRENCY}"
        )

    def list_for(self, customer_id: str | None) -> list[dict[str, Any]]:
        """``GET /orders?customerId=``: the user's orders, oldest first; another customer has none."""
        if customer_id is not None and customer_id != self.state.config.user_id:
            return []
        return [order.to_json() for order in self.orders.values()]

    def get(self, order_id: str) -> Order:
        """The order, or 400 for a malformed id and 404 for an unknown one."""
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
        expires = int(min(now + float(self.state.config.presign_ttl_seconds), order.expires_at))
        secret = self.state.signing_secret
        items = []
        for granule_id in order.granule_ids:
            item = self.state.catalog.get(granule_id)
            if item is not None:
                items.append(presign_item(item, base_url, expires, secret))
        return items

    def expire(self, order_id: str) -> Order:
        """Control surface: make the order expired as of now."""
        order = self.get(order_id)
        order.expires_at = min(order.expires_at, self.state.now() - 0.001)
        return order


def parse_order_request(body: Any, state: EmulatorState) -> OrderRequest:
    """Validate an order body against the catalog; 400 ``VALIDATION_ERROR`` for a malformed shape,
    400 ``ORDER_VALIDATION_ERROR`` for unknown or mismatched granules, 404 ``CONTRACT_NOT_FOUND``."""
    if not isinstance(body, dict):
        raise validation_error("the request body must be a JSON object", "body")
    entries = body.get("items")
    if not isinstance(entries, list) or not entries:
        raise validation_error("items must be a non-empty list of {collectionId, granuleId}", "items")
    contract_id = _contract_id(body)
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    problems: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        item, problem = _resolve_entry(index, entry, state)
        if problem is not None:
            problems.append(problem)
        elif item is not None and item["id"] not in seen:
            seen.add(item["id"])
            items.append(item)
    if problems:
        if any(problem["code"] == "invalid" for problem in problems):
            raise ApiError(400, "VALIDATION_ERROR", "invalid order items", detail=problems)
        raise ApiError(
            400, "ORDER_VALIDATION_ERROR", "the order has items that cannot be ordered", detail=problems
        )
    return OrderRequest(items=items, contract_id=contract_id)


def _contract_id(body: dict[str, Any]) -> str | None:
    contract_id = body.get("contractId")
    if contract_id is None:
        return None
    if not isinstance(contract_id, str):
        raise validation_error("contractId must be a string", "contractId")
    if contract_id != REJECTING_CONTRACT_ID and not is_uuid(contract_id):
        raise ApiError(404, "CONTRACT_NOT_FOUND", f"contract {contract_id} not found")
    return contract_id


def _resolve_entry(index: int, entry: Any, state: EmulatorState) -> tuple[dict[str, Any] | None, dict | None]:
    path = f"items[{index}]"
    if not isinstance(entry, dict):
        return None, {"message": "an item must be an object", "code": "invalid", "path": path}
    for name in ("granuleId", "collectionId"):
        value = entry.get(name)
        if not isinstance(value, str) or not value:
            message = f"{name} must be a non-empty string"
            return None, {"message": message, "code": "invalid", "path": f"{path}.{name}"}
    granule_id, collection_id = str(entry["granuleId"]), str(entry["collectionId"])
    item = state.catalog.get(granule_id)
    if item is None:
        message = f"granule {granule_id} not found"
        return None, {"message": message, "code": "not_found", "path": f"{path}.granuleId"}
    if item["collection"] != collection_id:
        message = f"granule {granule_id} is in collection {item['collection']}, not {collection_id}"
        return None, {"message": message, "code": "collection_mismatch", "path": f"{path}.collectionId"}
    return item, None
