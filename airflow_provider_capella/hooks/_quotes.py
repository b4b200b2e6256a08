"""Read what the API quotes into a :class:`Quote` (the API's text and the number in it).

A tasking request's order total, a repeat request's per-image estimate, an order review's total.

Example::

    quote = tasking_quote(hook.get_task(task_id))
    print(quote.text, quote.amount)  # "$3,000.00" 3000.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from airflow_provider_capella._answers import api_time
from airflow_provider_capella._payloads.costs import amount


@dataclass(frozen=True)
class Quote:
    """A price as the API wrote it (``text``) and as a number (``amount``, ``None`` when unreadable).

    Example::

        Quote.of("$3,000.00").amount  # 3000.0
    """

    text: str | None
    amount: float | None

    @classmethod
    def of(cls, value: Any) -> Quote:
        """Read a money value the API sent (text or number)."""
        return cls(None if value is None else str(value), amount(value))

    def times(self, count: int) -> Quote:
        """Return this (per-image) quote multiplied by ``count``."""
        total = None if self.amount is None else self.amount * count
        text = None if total is None else f"{count} x {self.text} = {total:,.2f}"
        return Quote(text, total)

    def within(self, limit: float | None) -> bool:
        """Tell whether the amount is known and at most ``limit`` (no limit: always ``True``)."""
        return limit is None or (self.amount is not None and self.amount <= limit)


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
    """Return how many collections a repeat request's series can produce; ``None`` when open-ended.

    ``repetitionCount`` when set; with ``repeatEnd``, the collections whose start
    (``repeatStart + k * repetitionInterval`` days) comes before the end.
    """
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
    """Return the total of an order review (``orderDetails.summary.total``)."""
    details = review.get("orderDetails") if isinstance(review, dict) else None
    summary = (details or {}).get("summary") or {}
    quote = Quote.of(summary.get("total", summary.get("subtotal")))
    currency = summary.get("currency")
    if quote.text is not None and currency and str(currency) not in quote.text:
        return Quote(f"{quote.text} {currency}", quote.amount)
    return quote
