"""Order bodies: ``{"items": [{"collectionId", "granuleId"}], "contractId"?}`` validated against the catalog.

Legacy clients sent the same body in PascalCase (``{"Items": [{"CollectionId", "GranuleId"}]}``): it is
accepted too. A malformed shape is a 400 ``VALIDATION_ERROR``; unknown granules or a wrong
``collectionId`` are a 400 ``ORDER_VALIDATION_ERROR``; an unknown contract is a 404 ``CONTRACT_NOT_FOUND``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from capella_emulator.errors import (
    VALIDATION_MESSAGE,
    ApiError,
    issue,
    validation_error,
)

if TYPE_CHECKING:
    from capella_emulator.state import EmulatorState

REJECTING_CONTRACT_ID = "reject-orders"
UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
LEGACY_KEYS = {
    "Items": "items",
    "ContractId": "contractId",
    "CollectionId": "collectionId",
    "GranuleId": "granuleId",
}


def is_uuid(text: Any) -> bool:
    return isinstance(text, str) and bool(UUID_PATTERN.match(text))


@dataclass
class OrderRequest:
    """A validated ``POST /orders`` or ``/orders/review`` body: catalog items in request order, de-duplicated.

    Example::

        OrderRequest(items=[state.catalog.get(granule_id)], contract_id=None)
    """

    items: list[dict[str, Any]]
    contract_id: str | None


def camel_case_body(body: Any) -> Any:
    """Map a legacy PascalCase order body onto today's camelCase keys (other bodies pass unchanged)."""
    if not isinstance(body, dict) or "Items" not in body or "items" in body:
        return body
    renamed = {LEGACY_KEYS.get(key, key): value for key, value in body.items()}
    if isinstance(renamed["items"], list):
        renamed["items"] = [
            {LEGACY_KEYS.get(key, key): value for key, value in entry.items()}
            if isinstance(entry, dict)
            else entry
            for entry in renamed["items"]
        ]
    return renamed


def parse_order_request(body: Any, state: EmulatorState) -> OrderRequest:
    """Validate an order body (camelCase or legacy PascalCase) against the catalog."""
    body = camel_case_body(body)
    if not isinstance(body, dict):
        raise validation_error("the request body must be a JSON object", "body", "invalid_type")
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
        if any(problem["code"] == "invalid_type" for problem in problems):
            raise ApiError(400, "VALIDATION_ERROR", VALIDATION_MESSAGE, detail=problems)
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
        return None, issue("an item must be an object", path, "invalid_type")
    for name in ("granuleId", "collectionId"):
        value = entry.get(name)
        if not isinstance(value, str) or not value:
            message = f"{name} must be a non-empty string"
            return None, issue(message, f"{path}.{name}", "invalid_type")
    granule_id, collection_id = str(entry["granuleId"]), str(entry["collectionId"])
    item = state.catalog.get(granule_id)
    if item is None:
        message = f"granule {granule_id} not found"
        return None, issue(message, f"{path}.granuleId", "not_found")
    if item["collection"] != collection_id:
        message = f"granule {granule_id} is in collection {item['collection']}, not {collection_id}"
        return None, issue(message, f"{path}.collectionId", "collection_mismatch")
    return item, None
