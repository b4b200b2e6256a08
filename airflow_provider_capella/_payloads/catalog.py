"""Catalog search: user filters (``product_type__in=[...]``, ``bbox=...``) → a validated STAC search body."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import vocabulary as vocab


def catalog_search_body(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Return the STAC item-search body for ``filters`` (``limit`` = the total wanted, paging not applied)."""
    body: dict[str, Any] = {}
    query: dict[str, dict[str, Any]] = {}
    for key, value in filters.items():
        if value is None:
            continue
        if key == "sortby":
            body["sortby"] = sort_spec(value)
        elif key == "ownership":
            body["ownership"] = checks.choice("ownership", value, vocab.OWNERSHIP_OPTIONS)
        else:
            _add_filter(body, query, key, value)
    if "bbox" in body and "intersects" in body:
        checks.fail("bbox", "bbox and intersects are mutually exclusive (STAC item search); give one")
    if query:
        body["query"] = query
    body.setdefault("limit", vocab.CATALOG_DEFAULT_LIMIT)
    return body


def _add_filter(body: dict[str, Any], query: dict[str, dict[str, Any]], key: str, value: Any) -> None:
    field, operator, explicit = checks.split_operator(key, vocab.SEARCH_OPERATORS)
    if field in vocab.SEARCH_ROOT_FIELDS:
        if explicit and operator != "eq":
            checks.fail(key, f"`{field}` takes no operator suffix (only property filters do)")
        body[field] = _root_value(field, value)
        return
    if field not in vocab.SEARCH_QUERY_FIELDS:
        accepted = sorted({*vocab.SEARCH_ROOT_FIELDS, *vocab.SEARCH_QUERY_FIELDS, "sortby", "ownership"})
        checks.fail(key, f"unknown search filter {field!r}; accepted: {', '.join(accepted)}")
    conditions = query.setdefault(vocab.SEARCH_QUERY_FIELDS[field], {})
    if field == "datetime" and operator == "eq" and isinstance(value, str) and "/" in value:
        ends = zip(("gte", "lte"), checks.interval(key, value), strict=True)
        conditions.update({bound: checks.iso_utc(moment) for bound, moment in ends if moment is not None})
        return
    operator, checked = checks.condition(
        key, operator, value, lambda item: _scalar(key, field, operator, item)
    )
    conditions[operator] = checked


def _root_value(field: str, value: Any) -> Any:
    if field == "bbox":
        return checks.bbox("bbox", value)
    if field == "intersects":
        return checks.geometry("intersects", value)
    if field == "limit":
        return checks.number("limit", value, minimum=1, maximum=vocab.CATALOG_MAX_LIMIT, integer=True)
    items = checks.as_list(field, value)
    return checks.unique(checks.text(field, item, allow_empty=False) for item in items)


def _scalar(key: str, field: str, operator: str, value: Any) -> Any:
    exact = field in vocab.SEARCH_ENUM_FIELDS or field in vocab.SEARCH_UUID_FIELDS
    if exact and operator in ("gt", "gte", "lt", "lte"):
        checks.fail(key, f"`{field}` accepts only the eq and in operators")
    if field in vocab.SEARCH_ENUM_FIELDS:
        return checks.choice(key, value, vocab.SEARCH_ENUM_FIELDS[field])
    if field in vocab.SEARCH_UUID_FIELDS:
        return checks.uuid_text(key, value)
    if field in vocab.SEARCH_DATETIME_FIELDS:
        return checks.iso_utc(checks.utc_datetime(key, value))
    if field in vocab.SEARCH_NUMBER_FIELDS:
        low, high = vocab.SEARCH_RANGES.get(field, (None, None))
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # else checks.number refuses the string
                value = float(value) if any(c in value for c in ".eE") else int(value)
        return checks.number(key, value, minimum=low, maximum=high)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        checks.fail(key, f"must be a string or number, got {type(value).__name__}")
    return value


def sort_spec(value: Any) -> list[dict[str, str]]:
    """``"-datetime"`` / ``["+datetime", "id"]`` → ``[{"field": "properties.datetime", "direction"}]``."""
    sorts = []
    for item in checks.as_list("sortby", value):
        if isinstance(item, Mapping):
            field, direction = item.get("field"), item.get("direction", "asc")
            if not isinstance(field, str) or direction not in ("asc", "desc"):
                checks.fail("sortby", f"a sort dict needs 'field' and direction 'asc'|'desc', got {item!r}")
            sorts.append({"field": field, "direction": direction})
            continue
        raw = checks.text("sortby", item, allow_empty=False).strip()
        direction = "desc" if raw.startswith("-") else "asc"
        sorts.append({"field": _sort_field(raw.lstrip("+-")), "direction": direction})
    return sorts


def _sort_field(name: str) -> str:
    if name in vocab.SEARCH_SORTABLE_ROOT:
        return vocab.SEARCH_SORTABLE_ROOT[name]
    if name in vocab.SEARCH_QUERY_FIELDS:
        return f"properties.{vocab.SEARCH_QUERY_FIELDS[name]}"
    accepted = sorted({*vocab.SEARCH_SORTABLE_ROOT, *vocab.SEARCH_QUERY_FIELDS})
    checks.fail("sortby", f"cannot sort by {name!r}; accepted fields (prefix + or -): {', '.join(accepted)}")
