"""Read what the API quotes into a :class:`Quote`, and the :class:`Cap` every billable step obeys.

:func:`cost_cap` is the one place that decides a step's cap (see docs/cost-safety.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from airflow_provider_capella._answers import api_time
from airflow_provider_capella._compat import conf
from airflow_provider_capella._payloads.costs import amount, optional_cost_limit
from airflow_provider_capella.exceptions import CapellaCostLimitError

ORDER_COST_SETTING = "max_order_cost"  # [capella] max_order_cost: the most one order may cost
TASKING_COST_SETTING = "max_tasking_cost"  # the most one tasking request, or repeat collection, may cost


@dataclass(frozen=True)
class Quote:
    """A price as the API wrote it (``text``), as a number (``amount``; ``None``: unreadable), a currency."""

    text: str | None
    amount: float | None
    currency: str | None = None

    @classmethod
    def of(cls, value: Any) -> Quote:
        """Read a money value the API sent (text or number)."""
        return cls(None if value is None else str(value), amount(value))

    def times(self, count: int) -> Quote:
        """Return this (per-image) quote multiplied by ``count``."""
        total = None if self.amount is None else self.amount * count
        text = None if total is None else f"{count} x {self.text} = {total:,.2f}"
        return Quote(text, total)


def _properties(feature: Any) -> dict[str, Any]:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    return properties if isinstance(properties, dict) else {}


def tasking_quote(task: Any) -> Quote:
    """Return the quote of a tasking request: ``properties.order.summary.total`` (else ``subtotal``)."""
    summary = (_properties(task).get("order") or {}).get("summary") or {}
    return Quote.of(summary.get("total", summary.get("subtotal")))


def repeat_quote_per_image(repeat: Any) -> Quote:
    """Return a repeat request's per-image estimate (``properties.costPerImageEstimate``)."""
    return Quote.of(_properties(repeat).get("costPerImageEstimate"))


def repeat_image_count(repeat: Any) -> int | None:
    """Return how many collections a repeat request's series can produce; ``None`` when open-ended."""
    properties = _properties(repeat).get("repetitionProperties") or {}
    count = properties.get("repetitionCount")
    if isinstance(count, int) and not isinstance(count, bool):
        return count
    start, end = api_time(properties.get("repeatStart")), api_time(properties.get("repeatEnd"))
    interval = properties.get("repetitionInterval") or 7
    if start is None or end is None or not isinstance(interval, int | float) or interval <= 0:
        return None
    days = (end - start).total_seconds() / 86_400
    return max(1, math.ceil(days / interval))


def review_quote(review: Any) -> Quote:
    """Return the total of an order review (``orderDetails.summary.total``); a 0 total reads as free."""
    details = review.get("orderDetails") if isinstance(review, dict) else None
    summary = (details or {}).get("summary") or {}
    quote = Quote.of(summary.get("total", summary.get("subtotal")))
    text, currency = quote.text, str(summary["currency"]) if summary.get("currency") else None
    if text is not None and currency and currency not in text:
        text = f"{text} {currency}"
    return Quote(text, quote.amount, currency)


@dataclass(frozen=True)
class Cap:
    """The most one billable step may cost (``limit``) and what set it (``source``: argument or setting)."""

    limit: float
    source: str

    def refusal(self, what: str, quote: Quote) -> CapellaCostLimitError | None:
        """Return the error refusing ``what`` quoted above the cap (or unreadably), else ``None``."""
        if quote.amount is not None and quote.amount <= self.limit:
            return None
        return CapellaCostLimitError.over_limit(
            what, quote=quote.text, quoted=quote.amount, limit=self.limit, argument=self.source
        )


def configured_cap(setting: str) -> float | None:
    """Return ``[capella] <setting>`` as a number (``None`` when unset); a bad value names the setting."""
    return optional_cost_limit(f"[capella] {setting}", conf.get("capella", setting, fallback=None))


def cost_cap(setting: str | None, argument: str, value: Any, log: Any = None) -> Cap | None:
    """Return the lower of ``[capella] <setting>`` and ``value`` (``log`` says when the setting wins)."""
    given = optional_cost_limit(argument, value)
    configured = None if setting is None else configured_cap(setting)
    if configured is None or (given is not None and given <= configured):
        return None if given is None else Cap(given, argument)
    if given is not None and log is not None:
        log.warning(
            f"{argument}={given:g} is above the deployment's cap [capella] {setting}={configured:g}: the "
            "setting applies (an argument can only lower it)"
        )
    return Cap(configured, f"[capella] {setting}")
