"""Orders: list, review, submit (reusing an active order when asked), presigned items and assets."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal, overload

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import orders as order_args
from airflow_provider_capella.exceptions import (
    CapellaInsufficientFundsError,
    CapellaNoProductsError,
    CapellaOrderRejectedError,
)
from airflow_provider_capella.hooks._catalog import CatalogMixin


class OrdersMixin(CatalogMixin):
    """``/orders``: list, review, submit, and the presigned download links of an order."""

    def list_orders(self, *order_ids: str, is_active: bool = False) -> list[dict[str, Any]]:
        """List the caller's orders, or only ``order_ids``; ``is_active=True`` keeps unexpired ones.

        Example::

            active = hook.list_orders(is_active=True)
        """
        ids = [checks.uuid_text("order_ids", order_id) for order_id in order_ids if order_id is not None]
        ids = checks.unique(ids)
        checks.boolean("is_active", is_active)
        if ids and not is_active:
            found = self._run_bounded(lambda order_id: self._api("GET", f"/orders/{order_id}"), ids)
            return list(found.values())
        orders = list(self._api("GET", "/orders", params={"customerId": self._user_info()["id"]}) or [])
        if is_active:
            orders = active_orders(orders)
        if ids:
            orders = [order for order in orders if order.get("orderId") in set(ids)]
        return orders

    @overload
    def get_stac_items_of_order(self, order_id: str, ids_only: Literal[True]) -> list[str]: ...

    @overload
    def get_stac_items_of_order(
        self, order_id: str, ids_only: Literal[False] = ...
    ) -> list[dict[str, Any]]: ...

    def get_stac_items_of_order(
        self, order_id: str, ids_only: bool = False
    ) -> list[dict[str, Any]] | list[str]:
        """The STAC items (or just their ids with ``ids_only=True``) of an existing order.

        Example::

            stac_ids = hook.get_stac_items_of_order(order_id, ids_only=True)
        """
        checked = checks.uuid_text("order_id", order_id)
        checks.boolean("ids_only", ids_only)
        order = self._api("GET", f"/orders/{checked}")
        stac_ids = [str(item["granuleId"]) for item in order.get("items") or []]
        if ids_only or not stac_ids:
            return stac_ids
        return self.search(ids=stac_ids, limit=min(len(stac_ids), 10_000))

    def review_order(
        self,
        stac_ids: list[str] | None = None,
        items: list[dict[str, Any]] | None = None,
        contract_id: str | None = None,
    ) -> dict[str, Any]:
        """Review an order's cost and authorization; raises ``CapellaInsufficientFundsError`` if denied.

        Example::

            review = hook.review_order(stac_ids=["CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010"])
        """
        wanted = order_args.stac_ids_of(stac_ids, items)
        stac_items = order_args.stac_items("items", items) if items else self._existing_items(wanted)
        return self._review(stac_items, contract_id)

    def submit_order(
        self,
        stac_ids: list[str] | None = None,
        items: list[dict[str, Any]] | None = None,
        check_active_orders: bool = False,
        omit_search: bool = False,
        omit_review: bool = False,
        contract_id: str | None = None,
    ) -> str:
        """Order ``stac_ids`` (or ``items``); return the order id.

        ``check_active_orders=True`` returns an active order that already holds all the ids instead
        of paying again. ``omit_search`` skips re-checking ``items`` in the catalog, ``omit_review``
        skips the cost review. Never re-sent on an ambiguous failure (``CapellaAmbiguousCreateError``).

        Example::

            order_id = hook.submit_order(stac_ids=ids, check_active_orders=True)
        """
        for name, flag in (
            ("check_active_orders", check_active_orders),
            ("omit_search", omit_search),
            ("omit_review", omit_review),
        ):
            checks.boolean(name, flag)
        wanted = order_args.stac_ids_of(stac_ids, items)
        if contract_id is not None:
            checks.text("contract_id", contract_id, allow_empty=False)
        if check_active_orders:
            existing = self._active_order_with(wanted)
            if existing:
                self.log.info("Reusing active order %s holding all %d STAC id(s)", existing, len(wanted))
                return existing
        if omit_search and items:
            stac_items = order_args.stac_items("items", items)
        else:
            stac_items = self._existing_items(wanted)
        if not omit_review:
            self._review(stac_items, contract_id)
        order = self._api("POST", "/orders", json=order_args.order_body(stac_items, contract_id))
        order_id = str(order.get("orderId"))
        if order.get("orderStatus") == "rejected":
            raise CapellaOrderRejectedError(
                f"order {order_id} for {len(stac_items)} STAC item(s) was rejected", code="ORDER_REJECTED"
            )
        self.log.info("Submitted order %s for %d STAC item(s)", order_id, len(stac_items))
        return order_id

    def get_presigned_items(
        self, order_id: str, stac_ids: list[str] | None = None, sort_by: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """The order's STAC items with presigned asset hrefs, optionally filtered by ``stac_ids`` and
        ordered like ``sort_by`` (a list of STAC ids).

        Example::

            items = hook.get_presigned_items(order_id)
            url = items[0]["assets"]["HH"]["href"]
        """
        checked = checks.uuid_text("order_id", order_id)
        wanted = set(checks.as_list("stac_ids", stac_ids)) if stac_ids else None
        order_by = [str(value) for value in checks.as_list("sort_by", sort_by)] if sort_by else None
        items = list(self._api("GET", f"/orders/{checked}/download") or [])
        if order_by:
            rank = {stac_id: index for index, stac_id in enumerate(order_by)}
            items.sort(key=lambda item: rank.get(item.get("id"), len(rank)))
        if wanted is not None:
            items = [item for item in items if item.get("id") in wanted]
        return items

    def get_presigned_assets(
        self,
        order_id: str,
        stac_ids: list[str] | None = None,
        sort_by: list[str] | None = None,
        assets_only: bool = True,
    ) -> list[dict[str, Any]]:
        """The ``assets`` mapping of each presigned item of the order (see ``get_presigned_items``).

        Example::

            assets = hook.get_presigned_assets(order_id)
        """
        if not assets_only:
            self.log.warning("assets_only=False has no effect; use get_presigned_items for whole items")
        return [item.get("assets") or {} for item in self.get_presigned_items(order_id, stac_ids, sort_by)]

    # --- helpers ----------------------------------------------------------------------------------

    def _existing_items(self, stac_ids: list[str]) -> list[dict[str, Any]]:
        items = self.search(ids=stac_ids, limit=min(max(1, len(stac_ids)), 10_000))
        if not items:
            raise CapellaNoProductsError(
                f"none of the STAC ids exist in the catalog: {', '.join(stac_ids[:10])}"
            )
        missing = sorted(set(stac_ids) - {str(item["id"]) for item in items})
        if missing:
            self.log.warning(
                "%d STAC id(s) not found and left out: %s", len(missing), ", ".join(missing[:10])
            )
        return items

    def _review(self, stac_items: list[dict[str, Any]], contract_id: str | None) -> dict[str, Any]:
        review = (
            self._api("POST", "/orders/review", json=order_args.order_body(stac_items, contract_id)) or {}
        )
        if not review.get("authorized", False):
            reason = review.get("authorizationDenialReason") or {}
            raise CapellaInsufficientFundsError(
                str(reason.get("message") or "order review not authorized"),
                code=str(reason.get("code") or "AUTHORIZATION_INSUFFICIENT_FUNDS"),
                data=review.get("orderDetails"),
            )
        return review

    def _active_order_with(self, stac_ids: list[str]) -> str | None:
        wanted = set(stac_ids)
        for order in self.list_orders(is_active=True):
            granules = {item.get("granuleId") for item in order.get("items") or []}
            if granules >= wanted:
                return str(order["orderId"])
        return None


def active_orders(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Orders whose ``expirationDate`` is still ahead, latest expiry first (the SDK's order)."""
    now = datetime.now(timezone.utc)
    dated = [(expiration(order), order) for order in orders]
    live = [(when, order) for when, order in dated if when is not None and when > now]
    return [order for _, order in sorted(live, key=lambda pair: pair[0], reverse=True)]


def expiration(order: dict[str, Any]) -> datetime | None:
    raw = order.get("expirationDate")
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
