"""Tasking/repeat request searches and updates: user keyword arguments → validated query and PATCH bodies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import vocabulary as vocab
from airflow_provider_capella._payloads.catalog import split_operator
from airflow_provider_capella._payloads.tasking import product_type_list


@dataclass
class RequestSearch:
    """A validated tasking/repeat request search: the query, the paging options and the scope to add.

    ``scope`` is ``"user"`` (the caller's own requests, the default), ``"org"`` (``for_org=True``) or
    ``"explicit"`` (``user_id``/``org_id`` given).

    Example::

        search = tasking_request_search({"status": "completed", "window_open__gte": "2024-01-01"})
    """

    query: dict[str, Any] = field(default_factory=dict)
    page_size: int = vocab.REQUEST_SEARCH_DEFAULT_PAGE_SIZE
    threaded: bool = True
    scope: str = "user"


def tasking_request_search(filters: Mapping[str, Any]) -> RequestSearch:
    """Tasking request search; ``include_repeating_tasks=True`` also matches requests a repeat derived."""
    filters = dict(filters)
    include_repeating = checks.boolean(
        "include_repeating_tasks", filters.pop("include_repeating_tasks", False)
    )
    search = _request_search(filters, vocab.TASKING_SEARCH_FIELDS, vocab.TASKING_COLLECTION_TIERS, "tasking")
    search.query["includeRepeatingTasks"] = {"eq": include_repeating}
    return search


def repeat_request_search(filters: Mapping[str, Any]) -> RequestSearch:
    return _request_search(filters, vocab.REPEAT_SEARCH_FIELDS, vocab.REPEAT_COLLECTION_TIERS, "repeat")


def _request_search(
    filters: Mapping[str, Any], fields: Mapping[str, str], tiers: tuple[str, ...], kind: str
) -> RequestSearch:
    search = RequestSearch()
    accepted = sorted({*fields, *vocab.REQUEST_SEARCH_OPTIONS})
    for key, value in filters.items():
        if value is None:
            continue
        if key in vocab.REQUEST_SEARCH_OPTIONS:
            _apply_option(search, key, value)
            continue
        name, operator, _ = split_operator(key, vocab.REQUEST_SEARCH_OPERATORS)
        if name not in fields:
            checks.fail(
                key, f"unknown {kind} request search filter {name!r}; accepted: {', '.join(accepted)}"
            )
        if name in ("user_id", "org_id"):
            search.scope = "explicit"
        checked = _filter_value(key, name, operator, value, tiers)
        target = fields[name]
        if isinstance(checked, list):
            search.query[target] = checked  # lists go bare: the API has no "in" operator here
        else:
            existing = search.query.get(target)
            search.query[target] = {**(existing if isinstance(existing, dict) else {}), operator: checked}
    return search


def _apply_option(search: RequestSearch, key: str, value: Any) -> None:
    if key == "for_org":
        if checks.boolean("for_org", value) and search.scope != "explicit":
            search.scope = "org"
    elif key == "page_size":
        low, high = vocab.REQUEST_SEARCH_PAGE_SIZE
        search.page_size = int(checks.number("page_size", value, minimum=low, maximum=high, integer=True))
    elif key == "threaded":
        search.threaded = checks.boolean("threaded", value)
    else:
        checks.boolean(key, value)  # show_progress: accepted for compatibility; logs are the progress


def _filter_value(key: str, name: str, operator: str, value: Any, tiers: tuple[str, ...]) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        if operator != "eq":
            checks.fail(key, f"operator {operator!r} takes a single value, got a list")
        return checks.unique(_scalar(key, name, operator, item, tiers) for item in checks.as_list(key, value))
    return _scalar(key, name, operator, value, tiers)


def _scalar(key: str, name: str, operator: str, value: Any, tiers: tuple[str, ...]) -> Any:
    enums: dict[str, tuple[Any, ...]] = {
        "collection_type": vocab.COLLECTION_TYPES,
        "collection_tier": tiers,
        "instrument_mode": vocab.INSTRUMENT_MODES,
        "status": vocab.REQUEST_STATUSES,
    }
    ordered = name in vocab.REQUEST_SEARCH_DATETIME_FIELDS or name == "repetition_interval"
    if operator != "eq" and not ordered:
        checks.fail(key, f"`{name}` accepts only equality (no operator suffix)")
    if name in enums:
        return checks.choice(key, value, enums[name])
    if name in vocab.REQUEST_SEARCH_UUID_FIELDS:
        return checks.uuid_text(key, value)
    if name in vocab.REQUEST_SEARCH_DATETIME_FIELDS:
        return checks.iso_utc(checks.utc_datetime(key, value))
    return checks.number(key, value, positive=True, integer=True)  # repetition_interval


def update_properties(
    arguments: Mapping[str, Any], updatable: Mapping[str, str], where: str
) -> dict[str, Any]:
    """``{"properties": {...}}`` for a PATCH of a tasking/repeat request; at least one field."""
    accepted = [*updatable, "product_types"]
    checks.reject_unknown(arguments, accepted, where)
    properties: dict[str, Any] = {
        updatable[key]: checks.text(key, value)
        for key, value in arguments.items()
        if key in updatable and value is not None
    }
    if arguments.get("product_types") is not None:
        properties["processingConfig"] = {
            "productTypes": product_type_list("product_types", arguments["product_types"])
        }
    if not properties:
        checks.fail("fields", f"{where} needs at least one field to update; accepted: {', '.join(accepted)}")
    return {"properties": properties}


def request_ids(argument: str, ids: tuple[Any, ...]) -> list[str]:
    """Variadic ids → unique, validated UUIDs (at least one); a single list argument is unpacked."""
    if len(ids) == 1 and isinstance(ids[0], list | tuple | set):
        ids = tuple(ids[0])
    return checks.uuid_list(argument, ids)
