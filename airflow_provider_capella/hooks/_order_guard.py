"""``submit_order(..., max_cost=...)``: review the order first and place it only within the limit.

Example::

    order_id = submit(api, ids, None, flags, None, max_cost=500).order_id
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import orders as order_args
from airflow_provider_capella._payloads.costs import cost_limit
from airflow_provider_capella.exceptions import CapellaCostLimitError
from airflow_provider_capella.hooks import _orders
from airflow_provider_capella.hooks._quotes import review_quote

if TYPE_CHECKING:
    from airflow_provider_capella.hooks._api import CapellaApi


def submit(
    api: CapellaApi,
    wanted: list[str],
    items: list[dict[str, Any]] | None,
    flags: dict[str, bool],
    contract_id: str | None,
    max_cost: Any,
) -> _orders.OrderPlacement:
    """Place the order as ``CapellaHook.submit_order`` says: within ``max_cost`` when one is given.

    Every argument is checked before anything is sent. With ``max_cost``, an active order holding
    every product is reused (no charge) when ``check_active_orders`` asks for it; otherwise the order
    is reviewed and placed only when the quote is at most ``max_cost``. A quote above the limit (or
    one that cannot be read) raises :class:`CapellaCostLimitError` and no order is placed.
    """
    if max_cost is None:
        return _orders.place_order(api, wanted, items, flags, contract_id)
    limit = cost_limit("max_cost", max_cost)
    for name, flag in flags.items():
        checks.boolean(name, flag)
    if flags.get("omit_review"):
        checks.fail(
            "omit_review", "cannot be combined with max_cost: the limit is checked against the review"
        )
    if contract_id is not None:
        checks.text("contract_id", contract_id, allow_empty=False)
    if flags.get("check_active_orders"):
        existing = _orders.active_order_with(api, wanted)
        if existing:
            api.log.info("Reusing active order %s holding all %d STAC id(s)", existing, len(wanted))
            return _orders.OrderPlacement(existing, reused=True)
    if flags.get("omit_search") and items:
        stac_items = order_args.stac_items("items", items)
    else:
        stac_items = _orders.existing_items(api, wanted)
    quote = review_quote(_orders.review(api, stac_items, contract_id))
    if not quote.within(limit):
        raise CapellaCostLimitError.over_limit(
            f"order of {len(stac_items)} STAC item(s)",
            quote=quote.text,
            quoted=quote.amount,
            limit=limit,
            argument="max_cost",
        )
    api.log.info(
        "Order of %d STAC item(s) quoted at %s, within max_cost=%g", len(stac_items), quote.text, limit
    )
    reviewed = {"check_active_orders": False, "omit_search": True, "omit_review": True}
    ids = [str(item["id"]) for item in stac_items]
    placed = _orders.place_order(api, ids, stac_items, reviewed, contract_id)
    return _orders.OrderPlacement(placed.order_id, reused=False, cost=quote.text)
