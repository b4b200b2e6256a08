"""``POST /orders/task/{taskingrequestId}``: order everything a tasking request produced.

The order holds the STAC items of every collect of the request (found in the catalog by
``capella:collect_id``) and is placed exactly as ``POST /orders`` places one (same pricing, budget and
answer). A request that has produced nothing yet (not completed, or ended without products) is a
``400 ORDER_VALIDATION_ERROR`` naming its status; nothing is ordered then.

Example::

    order = order_tasking_request(state, task_id)
    order.to_json(state.now())["items"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from capella_emulator.errors import ApiError

if TYPE_CHECKING:
    from capella_emulator.state import EmulatorState


def produced_items(state: EmulatorState, task_id: str) -> list[dict[str, Any]]:
    """Return the catalog items of every collect of the tasking request, in catalog order."""
    record = state.tasking.get(task_id)
    collect_ids = {collect.collect_id for collect in record.collects}
    if not collect_ids:
        return []
    return [
        item for item in state.catalog.items if item["properties"].get("capella:collect_id") in collect_ids
    ]


def order_tasking_request(state: EmulatorState, task_id: str) -> Any:
    """Place an order for everything the tasking request produced; returns the order."""
    record = state.tasking.get(task_id)
    items = produced_items(state, task_id)
    if not items:
        raise ApiError(
            400,
            "ORDER_VALIDATION_ERROR",
            f"tasking request {task_id} has produced no products to order yet (it is {record.status})",
        )
    body = {"items": [{"collectionId": item["collection"], "granuleId": item["id"]} for item in items]}
    return state.orders.submit(body)
