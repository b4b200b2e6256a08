"""Reading the API's answers as Capella sends them, whatever variant of a shape arrives.

Capella's answers vary in ways a reader must absorb: times with or without a zone
(``"2020-10-19T10:04:25.898923"`` is UTC), the organization as ``orgId`` on tasking requests but
``organizationId`` (or ``organization.id``) on ``GET /user``, order items whose ``type`` is the imaging
mode (``spotlight``, ``stripmap``, ``sliding_spotlight``) rather than the product type, and review
prices in ``summary.subtotal/total`` and ``lineItems[].order.finalListPrice``. Every reader here is
lenient: an absent or unreadable value gives ``None``, never an exception.

Example::

    from airflow_provider_capella._answers import api_time, organization_id

    api_time("2020-10-19T10:04:25.898923")  # datetime(2020, 10, 19, 10, 4, 25, 898923, tzinfo=UTC)
    organization_id(hook.whoami())
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

IMAGING_MODES = ("spotlight", "stripmap", "sliding_spotlight")
"""What an order item's ``type`` names: the imaging mode of its collect."""


def api_time(value: Any) -> datetime | None:
    """Return an API timestamp as an aware UTC datetime; a zone-less time is UTC; ``None`` if unreadable.

    :param value: an ISO 8601 string (``Z``, an offset, or no zone), or a datetime.
    :return: the moment in UTC, or ``None``.

    Example::

        api_time("2024-05-01T12:00:00.000Z") == api_time("2024-05-01T12:00:00")  # True
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        raw = value.strip()
        if raw[-1] in "Zz":
            raw = raw[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def organization_id(user: Any) -> str | None:
    """Return the organization id of a ``GET /user`` answer (``organizationId`` or ``organization.id``).

    :param user: the ``GET /user`` answer.
    :return: the organization id, or ``None`` when the answer names none.
    """
    if not isinstance(user, dict):
        return None
    organization = user.get("organization")
    value = user.get("organizationId") or (organization.get("id") if isinstance(organization, dict) else None)
    return None if value is None else str(value)


def describe_user(user: Any) -> str:
    """Say who a ``GET /user`` answer is: email, organization name and API environment role.

    :param user: the ``GET /user`` answer.
    :return: e.g. ``"ada@example.com (organization Example Org, environment production)"``.
    """
    if not isinstance(user, dict):
        return "an unknown user"
    who = str(user.get("email") or user.get("id") or "an unknown user")
    organization = user.get("organization")
    name = organization.get("name") if isinstance(organization, dict) else None
    details = [
        f"organization {name}" if name else "",
        f"environment {user['apiEnvironmentRole']}" if user.get("apiEnvironmentRole") else "",
    ]
    shown = ", ".join(detail for detail in details if detail)
    return f"{who} ({shown})" if shown else who


def request_organization_id(request: Any) -> str | None:
    """Return the organization of a tasking or repeat request Feature (``orgId``; older ``organizationId``).

    :param request: a tasking or repeat request Feature.
    :return: the organization id, or ``None``.
    """
    properties = request.get("properties") if isinstance(request, dict) else None
    if not isinstance(properties, dict):
        return None
    value = properties.get("orgId", properties.get("organizationId"))
    return None if value is None else str(value)


@dataclass(frozen=True)
class OrderItem:
    """One item of an order answer, read the way Capella writes it.

    ``imaging_mode`` is the item's ``type`` (``spotlight``, ``stripmap``, ``sliding_spotlight``); it is
    not a product type (the product type is in the STAC id and the catalog item).

    Example::

        items = order_items(hook.list_orders(order_id)[0])
        [item.collection_date for item in items]
    """

    granule_id: str
    collection_id: str | None
    imaging_mode: str | None
    collection_date: datetime | None
    collect_id: str | None
    tasking_request_id: str | None
    size: int | None
    previously_ordered: bool | None
    status: str | None


def order_items(order: Any) -> list[OrderItem]:
    """Return the items of an ``POST /orders`` or ``GET /orders/{id}`` answer as :class:`OrderItem`.

    :param order: the order answer.
    :return: its items, in order (items without a ``granuleId`` are left out).
    """
    raw_items = order.get("items") if isinstance(order, dict) else None
    items = []
    for raw in raw_items if isinstance(raw_items, list) else []:
        if not isinstance(raw, dict) or not raw.get("granuleId"):
            continue
        size = raw.get("size")
        previously = raw.get("previouslyOrdered")
        items.append(
            OrderItem(
                granule_id=str(raw["granuleId"]),
                collection_id=_text(raw.get("collectionId")),
                imaging_mode=_text(raw.get("type")),
                collection_date=api_time(raw.get("collectionDate")),
                collect_id=_text(raw.get("collectId")),
                tasking_request_id=_text(raw.get("taskingRequestId")),
                size=int(size) if isinstance(size, int | float) and not isinstance(size, bool) else None,
                previously_ordered=previously if isinstance(previously, bool) else None,
                status=_text(raw.get("itemStatus")),
            )
        )
    return items


@dataclass(frozen=True)
class ReviewPrice:
    """What an order review priced: ``subtotal`` and ``total`` (as the API wrote them) and each item's price.

    Example::

        price = review_price(review)
        price.total, price.line_prices["CAPELLA_C13_SP_GEO_HH_..."]
    """

    subtotal: str | None
    total: str | None
    currency: str | None
    line_prices: dict[str, str]

    def describe(self) -> str | None:
        """Return e.g. ``"120.00 USD"`` (the total, else the subtotal), or ``None`` when nothing is priced."""
        amount = self.total if self.total is not None else self.subtotal
        if amount is None:
            return None
        return f"{amount} {self.currency}" if self.currency and self.currency not in amount else amount


def review_price(review: Any) -> ReviewPrice:
    """Read ``orderDetails.summary.{subtotal,total,currency}`` and ``lineItems[].order.finalListPrice``.

    :param review: the ``POST /orders/review`` answer.
    :return: the :class:`ReviewPrice` (fields ``None`` / empty when absent).
    """
    details = _mapping(review.get("orderDetails") if isinstance(review, dict) else None)
    summary = _mapping(details.get("summary"))
    prices: dict[str, str] = {}
    for line in details.get("lineItems") or []:
        if not isinstance(line, dict) or not line.get("granuleId"):
            continue
        price = _mapping(line.get("order")).get("finalListPrice")
        if price is not None:
            prices[str(line["granuleId"])] = str(price)
    return ReviewPrice(
        subtotal=_text(summary.get("subtotal")),
        total=_text(summary.get("total")),
        currency=_text(summary.get("currency")),
        line_prices=prices,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
