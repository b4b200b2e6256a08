"""Catalog search: user filters (``product_type__in=[...]``, ``bbox=...``) → a validated STAC search body.

Unlike the official SDK, an unknown filter or operator is an error, not a silently dropped filter: a
dropped filter orders the wrong imagery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import vocabulary as vocab

SEARCH_OPTIONS = ("sortby", "ownership")
"""Top-level search arguments that are neither root STAC fields nor property filters."""


def accepted_search_arguments() -> list[str]:
    return sorted({*vocab.SEARCH_ROOT_FIELDS, *vocab.SEARCH_QUERY_FIELDS, *SEARCH_OPTIONS})


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


def split_operator(key: str, operators: tuple[str, ...]) -> tuple[str, str, bool]:
    """``"look_angle__gte"`` → ``("look_angle", "gte", True)``; no suffix means ``eq`` (explicit=False)."""
    field, separator, operator = key.partition("__")
    if not separator:
        return key, "eq", False
    if operator not in operators:
        checks.fail(key, f"unknown operator {operator!r}; accepted operators: {', '.join(operators)}")
    return field, operator, True


def _add_filter(body: dict[str, Any], query: dict[str, dict[str, Any]], key: str, value: Any) -> None:
    field, operator, explicit = split_operator(key, vocab.SEARCH_OPERATORS)
    if field in vocab.SEARCH_ROOT_FIELDS:
        if explicit and operator != "eq":
            checks.fail(key, f"`{field}` takes no operator suffix (only property filters do)")
        body[field] = _root_value(field, value)
        return
    if field not in vocab.SEARCH_QUERY_FIELDS:
        checks.fail(
            key, f"unknown search filter {field!r}; accepted: {', '.join(accepted_search_arguments())}"
        )
    target = vocab.SEARCH_QUERY_FIELDS[field]
    if field == "datetime" and operator == "eq" and isinstance(value, str) and "/" in value:
        query.setdefault(target, {}).update(_datetime_interval(key, value))
        return
    operator, checked = _query_value(key, field, operator, value)
    query.setdefault(target, {})[operator] = checked


def _root_value(field: str, value: Any) -> Any:
    if field == "bbox":
        return checks.bbox("bbox", value)
    if field == "intersects":
        return checks.geometry("intersects", value)
    if field == "limit":
        return checks.number("limit", value, minimum=1, maximum=vocab.CATALOG_MAX_LIMIT, integer=True)
    items = checks.as_list(field, value)
    return checks.unique(checks.text(field, item, allow_empty=False) for item in items)


def _query_value(key: str, field: str, operator: str, value: Any) -> tuple[str, Any]:
    is_list = isinstance(value, list | tuple | set | frozenset)
    if is_list and operator == "eq":
        operator = "in"  # the SDK's rule: a list means "in"
    if operator == "in":
        items = checks.as_list(key, value)
        return operator, checks.unique(_scalar(key, field, operator, item) for item in items)
    if is_list:
        checks.fail(key, f"operator {operator!r} takes a single value, got a list")
    return operator, _scalar(key, field, operator, value)


def _scalar(key: str, field: str, operator: str, value: Any) -> Any:
    if operator in ("gt", "gte", "lt", "lte") and (
        field in vocab.SEARCH_ENUM_FIELDS or field in vocab.SEARCH_UUID_FIELDS
    ):
        checks.fail(key, f"`{field}` accepts only the eq and in operators")
    if field in vocab.SEARCH_ENUM_FIELDS:
        return checks.choice(key, value, vocab.SEARCH_ENUM_FIELDS[field])
    if field in vocab.SEARCH_UUID_FIELDS:
        return checks.uuid_text(key, value)
    if field in vocab.SEARCH_DATETIME_FIELDS:
        return checks.iso_utc(checks.utc_datetime(key, value))
    if field in vocab.SEARCH_NUMBER_FIELDS:
        low, high = vocab.SEARCH_RANGES.get(field, (None, None))
        return checks.number(key, _numeric(key, value), minimum=low, maximum=high)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        checks.fail(key, f"must be a string or number, got {type(value).__name__}")
    return value


def _numeric(key: str, value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            checks.fail(key, f"must be a number, got {value!r}")
    return value


def _datetime_interval(key: str, value: str) -> dict[str, str]:
    """Return a STAC interval ``"start/end"`` (either end may be ``..``) → ``{"gte": start, "lte": end}``."""
    start, _, end = value.partition("/")
    bounds: dict[str, str] = {}
    if start.strip() not in ("", ".."):
        bounds["gte"] = checks.iso_utc(checks.utc_datetime(key, start))
    if end.strip() not in ("", ".."):
        bounds["lte"] = checks.iso_utc(checks.utc_datetime(key, end))
    if not bounds:
        checks.fail(key, f"the interval {value!r} is open at both ends")
    if len(bounds) == 2 and bounds["gte"] > bounds["lte"]:
        checks.fail(key, f"the interval {value!r} ends before it starts")
    return bounds


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
        name = raw.lstrip("+-")
        sorts.append({"field": _sort_field(name), "direction": direction})
    return sorts


def _sort_field(name: str) -> str:
    if name in vocab.SEARCH_SORTABLE_ROOT:
        return vocab.SEARCH_SORTABLE_ROOT[name]
    if name in vocab.SEARCH_QUERY_FIELDS:
        return f"properties.{vocab.SEARCH_QUERY_FIELDS[name]}"
    accepted = sorted({*vocab.SEARCH_SORTABLE_ROOT, *vocab.SEARCH_QUERY_FIELDS})
    checks.fail("sortby", f"cannot sort by {name!r}; accepted fields (prefix + or -): {', '.join(accepted)}")
