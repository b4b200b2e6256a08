"""Catalog searches past the API's per-query cap (10,000 items), by splitting the datetime range.

The range is halved until every sub-query is under the cap; the sub-queries' items are merged,
de-duplicated by id.

Each range is first asked for one item, which tells how many it matches (``numberMatched``). A range
over the cap is halved; one under it is read page by page. A server whose cap is lower than assumed
shows itself when a range returns fewer items than it matched: that range is halved too and the lower
cap is used from then on. A range shorter than one second that is still over the cap cannot be split:
its results are cut and a warning says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import catalog_search_body, checks
from airflow_provider_capella._payloads import vocabulary as vocab
from airflow_provider_capella.hooks._catalog import pages_and_count

if TYPE_CHECKING:
    from airflow_provider_capella.hooks._api import CapellaApi

SMALLEST_RANGE = timedelta(seconds=1)
"""A datetime range this short is not split further."""

Range = tuple[datetime, datetime]


def search(api: CapellaApi, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return every STAC item matching ``filters``, past the per-query cap, by splitting the time range.

    :param api: the client.
    :param filters: the search filters; a closed ``datetime`` range is required, ``limit`` (any
        positive integer, ``None`` = no limit) caps the total.
    :return: the matching items, oldest sub-range first, de-duplicated by id.
    """
    limit = filters.get("limit")
    if limit is not None:
        limit = int(checks.number("limit", limit, minimum=1, integer=True))
    base = catalog_search_body({**filters, "limit": vocab.CATALOG_MAX_LIMIT})
    lower_op, upper_op, whole = closed_range(base)
    cap = vocab.CATALOG_MAX_LIMIT
    found: dict[str, dict[str, Any]] = {}
    pending: list[Range] = [whole]
    queries = 0
    while pending and (limit is None or len(found) < limit):
        span = pending.pop(0)
        body = _with_range(base, span, whole, lower_op, upper_op)
        queries += 1
        matched = _count(api, body)
        if matched == 0:
            continue
        if matched is not None and matched > cap and _splittable(span):
            pending[:0] = _halves(api, span, matched, cap)
            continue
        wanted = cap if matched is None else min(matched, cap)
        items, _ = pages_and_count(api, {**body, "limit": wanted})
        queries += 1
        short = matched is not None and len(items) < matched
        if (short or (matched is None and len(items) >= cap)) and _splittable(span):
            cap = max(1, min(cap, len(items)))
            pending[:0] = _halves(api, span, matched, cap)
            continue
        if short:
            api.log.warning(
                "Catalog search range %s..%s matched %d items but returned %d and cannot be split "
                "further: its results were cut",
                *span,
                matched,
                len(items),
            )
        for item in items:
            found.setdefault(str(item.get("id")), item)
    result = list(found.values())
    api.log.info("Catalog search split by time (%d queries) matched %d STAC item(s)", queries, len(result))
    return result if limit is None else result[:limit]


def closed_range(body: Mapping[str, Any]) -> tuple[str, str, Range]:
    """Return the lower and upper operators of the body's ``datetime`` filter and its range.

    :param body: a validated search body.
    :return: ``(lower_op, upper_op, (start, end))``.
    :raises CapellaValidationError: naming ``datetime`` when the range is not closed.
    """
    bounds = (body.get("query") or {}).get("datetime") or {}
    lower_op = next((op for op in ("gte", "gt") if op in bounds), None)
    upper_op = next((op for op in ("lte", "lt") if op in bounds), None)
    if lower_op is None or upper_op is None:
        checks.fail(
            "datetime",
            "split_by_time=True needs a closed datetime range to split, e.g. "
            "datetime='2024-01-01T00:00:00Z/2024-12-31T23:59:59Z', "
            "or datetime__gte=... with datetime__lte=...",
        )
    start = checks.utc_datetime("datetime", bounds[lower_op])
    end = checks.utc_datetime("datetime", bounds[upper_op])
    return lower_op, upper_op, (start, end)


def _with_range(
    base: dict[str, Any], span: Range, whole: Range, lower_op: str, upper_op: str
) -> dict[str, Any]:
    """Restrict the base body to ``span``; the outer edges keep the caller's own operators."""
    start, end = span
    bounds = {
        lower_op if start == whole[0] else "gte": checks.iso_utc(start),
        upper_op if end == whole[1] else "lte": checks.iso_utc(end),
    }
    query = {**base.get("query", {}), "datetime": bounds}
    return {**base, "query": query}


def _count(api: CapellaApi, body: dict[str, Any]) -> int | None:
    """Ask for one item of the range; return its ``numberMatched`` (``None`` when the API gives none)."""
    items, matched = pages_and_count(api, {**body, "limit": 1})
    if matched is None and not items:
        return 0
    return matched


def _splittable(span: Range) -> bool:
    return span[1] - span[0] >= 2 * SMALLEST_RANGE


def _halves(api: CapellaApi, span: Range, matched: int | None, cap: int) -> list[Range]:
    start, end = span
    middle = start + (end - start) / 2
    middle = middle.replace(microsecond=middle.microsecond // 1000 * 1000)
    api.log.info(
        "Catalog search range %s..%s matches %s items (over the %d per query): splitting it at %s",
        start.isoformat(),
        end.isoformat(),
        "too many" if matched is None else matched,
        cap,
        middle.isoformat(),
    )
    return [(start, middle), (middle, end)]
