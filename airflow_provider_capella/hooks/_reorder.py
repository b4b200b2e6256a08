"""Expired orders: fetch an order's presigned items, reordering its products when it has expired.

Whether a new order is placed follows the caller's ``reorder_expired`` policy.

An order (and its presigned URLs) expires one hour after it is placed, so a download often meets an
expired order: at the start, or mid-way when a URL is refused (the transfer engine then asks for
fresh URLs once). A new order for the same products gives fresh URLs. Whether one is placed:

* ``"if_free"`` (default): only when the review quotes nothing to pay (products the organization
  already holds, flagged ``previouslyOrdered``); otherwise :class:`CapellaReorderNotAllowedError`
  carries the quote and says how to allow it;
* ``"always"``: a new order is placed whatever it costs (billable), as long as the review authorizes it;
* ``"never"``: no new order; the error says how to allow one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import orders as order_args
from airflow_provider_capella.exceptions import (
    CapellaNoProductsError,
    CapellaOrderExpiredError,
    CapellaOrderRejectedError,
    CapellaReorderNotAllowedError,
)
from airflow_provider_capella.hooks import _orders

if TYPE_CHECKING:
    from airflow_provider_capella.hooks._api import CapellaApi

REORDER_POLICIES = ("if_free", "always", "never")
"""Accepted values of ``reorder_expired``."""

Items = list[dict[str, Any]]


def reorder_policy(value: Any) -> str:
    """Check ``reorder_expired``: one of :data:`REORDER_POLICIES`.

    :param value: the caller's value.
    :return: the canonical policy name.
    """
    return str(checks.choice("reorder_expired", value, REORDER_POLICIES))


class OrderSource:
    """The order a download reads presigned URLs from; replaced by a new order when it has expired.

    :meth:`presigned` is both the first fetch and the transfer engine's refresh after a 403. At most
    one new order is placed per download.

    :param api: the client.
    :param order_id: the order to read.
    :param stac_ids: only these products of the order (``None``: all).
    :param product_types: only these product types when reordering (``None``: all).
    :param policy: the ``reorder_expired`` policy.
    :param contract_id: the contract for a new order (default: the expired order's).

    Example::

        source = OrderSource(api, order_id, stac_ids=None, product_types=None, policy="if_free",
                             contract_id=None)
        items = source.presigned()
    """

    def __init__(
        self,
        api: CapellaApi,
        order_id: str,
        *,
        stac_ids: list[str] | None,
        product_types: list[str] | None,
        policy: str,
        contract_id: str | None,
    ) -> None:
        self.api = api
        self.order_id = order_id
        self.stac_ids = stac_ids
        self.product_types = product_types
        self.policy = policy
        self.contract_id = contract_id
        self.reordered = False

    def presigned(self) -> Items:
        """Return the order's presigned items, reordering once (under the policy) if it has expired."""
        try:
            return self._fetch()
        except CapellaReorderNotAllowedError:
            raise
        except CapellaOrderExpiredError:
            if self.reordered:
                raise
        self.order_id = reorder(
            self.api,
            self.order_id,
            stac_ids=self.stac_ids,
            product_types=self.product_types,
            policy=self.policy,
            contract_id=self.contract_id,
        )
        self.reordered = True
        return self._fetch()

    def _fetch(self) -> Items:
        return _orders.presigned_items(self.api, self.order_id, stac_ids=self.stac_ids, sort_by=None)


def reorder(
    api: CapellaApi,
    expired_order_id: str,
    *,
    stac_ids: list[str] | None,
    product_types: list[str] | None,
    policy: str,
    contract_id: str | None,
) -> str:
    """Place a new order for the products of an expired order when ``policy`` allows; return its id.

    :param api: the client.
    :param expired_order_id: the order that expired.
    :param stac_ids: the products wanted (``None``: every product of the expired order).
    :param product_types: keep only these product types (``None``: all).
    :param policy: ``if_free``, ``always`` or ``never``.
    :param contract_id: the contract to charge (default: the expired order's).
    :return: the new order id.
    :raises CapellaReorderNotAllowedError: when the policy does not allow the new order.
    """
    if policy == "never":
        raise _refused(expired_order_id, stac_ids or [], None, None, policy)
    order = api.call("GET", f"/orders/{expired_order_id}") or {}
    wanted = stac_ids or [
        str(item["granuleId"]) for item in order.get("items") or [] if item.get("granuleId")
    ]
    if not wanted:
        raise CapellaNoProductsError(f"expired order {expired_order_id} holds no products to reorder")
    items = _orders.existing_items(api, wanted)
    if product_types:
        kept = set(product_types)
        items = [item for item in items if (item.get("properties") or {}).get("sar:product_type") in kept]
        if not items:
            raise CapellaNoProductsError(
                f"expired order {expired_order_id} holds no {product_types} products"
            )
    contract = contract_id or order.get("contractId") or None
    review = _orders.review(api, items, contract)
    total, currency = quoted_total(review)
    ids = [str(item["id"]) for item in items]
    if policy == "if_free" and total != 0:
        raise _refused(expired_order_id, ids, total, currency, policy)
    placed = api.call("POST", "/orders", json=order_args.order_body(items, contract)) or {}
    new_order_id = str(placed.get("orderId"))
    if placed.get("orderStatus") == "rejected":
        raise CapellaOrderRejectedError(f"the new order {new_order_id} was rejected", code="ORDER_REJECTED")
    held = sum(1 for line in _line_items(review) if line.get("previouslyOrdered"))
    api.log.warning(
        "Order %s expired (orders expire one hour after they are placed); placed new order %s for %d "
        "product(s), cost %s %s (%d previously ordered)",
        expired_order_id,
        new_order_id,
        len(items),
        total,
        currency or "",
        held,
    )
    return new_order_id


def quoted_total(review: dict[str, Any]) -> tuple[float | None, str | None]:
    """Return the review's total and currency; ``None`` when it quotes no readable total.

    A review whose summary says 0 but whose line items carry a price is not taken as free.

    :param review: the ``POST /orders/review`` answer.
    :return: ``(total, currency)``.
    """
    summary = (review.get("orderDetails") or {}).get("summary") or {}
    total = _number(summary.get("total"))
    priced = [_number((line.get("order") or {}).get("finalListPrice")) for line in _line_items(review)]
    if total == 0 and any(price for price in priced if price is not None):
        total = sum(price for price in priced if price is not None)
    currency = summary.get("currency")
    return total, (str(currency) if currency else None)


def _line_items(review: dict[str, Any]) -> list[dict[str, Any]]:
    lines = (review.get("orderDetails") or {}).get("lineItems") or []
    return [line for line in lines if isinstance(line, dict)]


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _refused(
    order_id: str, stac_ids: list[str], total: float | None, currency: str | None, policy: str
) -> CapellaReorderNotAllowedError:
    if policy == "never":
        what = "reorder_expired='never', so no new order was placed"
        allow = "pass reorder_expired='if_free' to reorder products your organization holds at no cost"
    else:
        quote = "an unknown amount" if total is None else f"{total:g} {currency or ''}".strip()
        what = f"a new order for its {len(stac_ids)} product(s) would cost {quote} (nothing was ordered)"
        allow = "pass reorder_expired='always' to pay for a new order, or order them with submit_order"
    return CapellaReorderNotAllowedError(
        f"order {order_id} has expired (orders expire one hour after they are placed); {what}. To allow "
        f"it, {allow}.",
        code="ORDER_EXPIRED",
        data={
            "order_id": order_id,
            "stac_ids": stac_ids,
            "total": total,
            "currency": currency,
            "reorder_expired": policy,
        },
    )
