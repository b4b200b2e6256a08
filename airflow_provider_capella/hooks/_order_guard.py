"""``submit_order(..., max_cost=...)``: review the order first and place it only within the limit.

Example::

    order_id = place_order_within(api, max_cost=500, stac_ids=ids).order_id
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


def submit(api: CapellaApi, *, max_cost: Any, **arguments: Any) -> _orders.OrderPlacement:
    """Place the order as ``CapellaHook.submit_order`` says: within ``max_cost`` when one is given."""
    if max_cost is None:
        return _orders.place_order(api, **arguments)
    return place_order_within(api, max_cost=max_cost, **arguments)


def place_order_within(
    api: CapellaApi,
    *,
    max_cost: Any,
    stac_ids: list[str] | None = None,
    items: list[dict[str, Any]] | None = None,
    check_active_orders: bool = False,
    omit_search: bool = False,
    omit_review: bool = False,
    contract_id: str | None = None,
) -> _orders.OrderPlacement:
    """Reuse an active order, or review and place the order when its total is at most ``max_cost``.

    Every argument is checked before anything is sent; a quote above the limit (or one that cannot be
    read) raises :class:`CapellaCostLimitError` and no order is placed.
    """
    limit = cost_limit("max_cost", max_cost)
    for name, flag in (
        ("check_active_orders", check_active_orders),
        ("omit_search", omit_search),
        ("omit_review", omit_review),
    ):
        checks.boolean(name, flag)
    if omit_review:
        checks.fail(
            "omit_review", "cannot be combined with max_cost: the limit is checked against the review"
        )
    if contract_id is not None:
        checks.text("contract_id", contract_id, allow_empty=False)
    wanted = order_args.stac_ids_of(stac_ids, items)
    if check_active_orders:
        existing = _orders.active_order_with(api, wanted)
        if existing:
            api.log.info("Reusing active order %s holding all %d STAC id(s)", existing, len(wanted))
            return _orders.OrderPlacement(existing, reused=True)
    if omit_search and items:
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
    placed = _orders.place_order(
        api, items=stac_items, omit_search=True, omit_review=True, contract_id=contract_id
    )
    return _orders.OrderPlacement(placed.order_id, reused=False, cost=quote.text)
