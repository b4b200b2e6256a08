"""Tasking/repeat request searches and updates → validated query and PATCH bodies (grammar: docs/hook.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import vocabulary as vocab


@dataclass
class RequestSearch:
    """A validated request search; ``scope``: ``"user"`` (default), ``"org"`` or ``"explicit"`` (ids)."""

    query: dict[str, Any] = field(default_factory=dict)
    page_size: int = vocab.REQUEST_SEARCH_DEFAULT_PAGE_SIZE
    threaded: bool = True
    scope: str = "user"
    sort: str | None = None
    order: str | None = None

    def body(self, query: dict[str, Any]) -> dict[str, Any]:
        """Return the search body for ``query`` (the scoped query), with ``sort``/``order`` when set."""
        return {"query": query, **checks.without_none({"sort": self.sort, "order": self.order})}


def tasking_request_search(filters: Mapping[str, Any]) -> RequestSearch:
    """Tasking request search; ``include_repeating_tasks=True`` also matches requests a repeat derived."""
    include_repeating = checks.boolean(
        "include_repeating_tasks", filters.get("include_repeating_tasks", False)
    )
    filters = {key: value for key, value in filters.items() if key != "include_repeating_tasks"}
    search = _request_search(filters, vocab.TASKING_SEARCH_FIELDS, vocab.TASKING_COLLECTION_TIERS, "tasking")
    search.query["includeRepeatingTasks"] = {"eq": include_repeating}
    return search


def repeat_request_search(filters: Mapping[str, Any]) -> RequestSearch:
    """Repeat request search: the same grammar as tasking search, with the repetition fields."""
    return _request_search(filters, vocab.REPEAT_SEARCH_FIELDS, vocab.REPEAT_COLLECTION_TIERS, "repeat")


def _request_search(
    filters: Mapping[str, Any], fields: Mapping[str, str], tiers: tuple[str, ...], kind: str
) -> RequestSearch:
    search = RequestSearch()
    for key, value in filters.items():
        if value is None:
            continue
        if key in vocab.REQUEST_SEARCH_OPTIONS:
            _apply_option(search, key, value, fields)
            continue
        target, operator, checked = request_filter(key, value, fields, tiers, kind)
        if key.partition("__")[0] in ("user_id", "org_id"):
            search.scope = "explicit"
        existing = search.query.get(target)
        if not operator and existing is None:
            search.query[target] = checked  # a bare list means "in" (the SDK's form)
            continue
        conditions = existing if isinstance(existing, dict) else {} if existing is None else {"in": existing}
        search.query[target] = {**conditions, operator or "in": checked}
    return search


def _apply_option(search: RequestSearch, key: str, value: Any, fields: Mapping[str, str]) -> None:
    if key == "page_size":
        low, high = vocab.REQUEST_SEARCH_PAGE_SIZE
        search.page_size = int(checks.number("page_size", value, minimum=low, maximum=high, integer=True))
    elif key == "sort":
        search.sort = sort_field(value, fields)
    elif key == "order":
        search.order = checks.choice("order", value, vocab.REQUEST_SEARCH_ORDERS)
    elif checks.boolean(key, value) and key == "for_org" and search.scope != "explicit":
        search.scope = "org"
    elif key == "threaded":  # show_progress is only checked: logs are the progress
        search.threaded = value


def sort_field(value: Any, fields: Mapping[str, str]) -> str:
    """Return the wire field to sort by: a filter name (``submission_time``) or a wire name."""
    name = checks.text("sort", value, allow_empty=False).strip()
    if name in fields:
        return fields[name]
    nested = "." in name and name.partition(".")[0] in vocab.REQUEST_SEARCH_NESTED_ROOTS
    if name in fields.values() or nested:
        return name
    accepted = ", ".join(sorted(fields))
    checks.fail("sort", f"cannot sort by {name!r}; accepted: {accepted} or a wire field name")


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
        product_types = checks.choices("product_types", arguments["product_types"], vocab.PRODUCT_TYPES)
        properties["processingConfig"] = {"productTypes": product_types}
    if not properties:
        checks.fail("fields", f"{where} needs at least one field to update; accepted: {', '.join(accepted)}")
    return {"properties": properties}


def request_ids(argument: str, ids: tuple[Any, ...]) -> list[str]:
    """Variadic ids → unique, validated UUIDs (at least one; None dropped); one list argument is unpacked."""
    if len(ids) == 1 and isinstance(ids[0], list | tuple | set):
        ids = tuple(ids[0])
    checked = checks.unique(checks.uuid_text(argument, value) for value in ids if value is not None)
    if not checked:
        checks.fail(argument, "at least one UUID is required")
    return checked


_ENUMS: dict[str, tuple[Any, ...]] = {
    "collection_type": vocab.COLLECTION_TYPES, "instrument_mode": vocab.INSTRUMENT_MODES,
    "collect_mode": vocab.INSTRUMENT_MODES, "status": vocab.REQUEST_STATUSES, "collection_tier": (),
}  # fmt: skip


def request_filter(
    key: str, value: Any, fields: Mapping[str, str], tiers: tuple[str, ...], kind: str
) -> tuple[str, str, Any]:
    """Return ``(wire field, operator, checked value)`` of one filter; operator ``""``: a bare list."""
    name, operator, _ = checks.split_operator(key, vocab.REQUEST_SEARCH_OPERATORS, any_case=True)
    bare = operator == "eq" and isinstance(value, list | tuple | set | frozenset)
    root, dot, rest = name.partition(".")
    if name not in fields and dot and rest and root in vocab.REQUEST_SEARCH_NESTED_ROOTS:
        if operator in vocab.REQUEST_SEARCH_TEXT_OPERATORS and not isinstance(value, str):
            checks.fail(key, f"{operator} takes a string, got {value!r}")
        operator, checked = checks.condition(key, operator, value, lambda item: _json_scalar(key, item))
        return name, "" if bare else operator, checked
    if name not in fields:
        accepted = sorted({*fields, *vocab.REQUEST_SEARCH_OPTIONS})
        checks.fail(
            key,
            f"unknown {kind} request search filter {name!r}; accepted: {', '.join(accepted)}, or a "
            f"nested wire name under {', '.join(vocab.REQUEST_SEARCH_NESTED_ROOTS)}",
        )
    datetimes = vocab.REQUEST_SEARCH_DATETIME_FIELDS
    if name in datetimes and operator == "eq" and isinstance(value, str) and "/" in value:
        ends = checks.interval(key, value)
        return fields[name], "eq", "/".join(".." if end is None else checks.iso_utc(end) for end in ends)
    checks.is_listed(key, operator, value)
    ordered = name in datetimes or name in vocab.REQUEST_SEARCH_NUMBER_FIELDS
    if operator in vocab.REQUEST_SEARCH_ORDER_OPERATORS and not ordered:
        checks.fail(key, f"`{name}` is not ordered: use eq, neq or in (or a text operator)")
    textual = name in vocab.REQUEST_SEARCH_TEXT_FIELDS or name in _ENUMS
    if operator in vocab.REQUEST_SEARCH_TEXT_OPERATORS and not textual:
        checks.fail(key, f"`{name}` is not text: {operator} applies to text and enum fields only")
    sent, checked = checks.condition(
        key, operator, value, lambda item: _scalar(key, name, operator, item, tiers)
    )
    return fields[name], "" if bare else sent, checked


def _scalar(key: str, name: str, operator: str, value: Any, tiers: tuple[str, ...]) -> Any:
    if operator in vocab.REQUEST_SEARCH_TEXT_OPERATORS:
        return checks.text(key, value, allow_empty=False)
    if name in _ENUMS:
        return checks.choice(key, value, tiers if name == "collection_tier" else _ENUMS[name])
    if name in vocab.REQUEST_SEARCH_UUID_FIELDS:
        return checks.uuid_text(key, value)
    if name in vocab.REQUEST_SEARCH_DATETIME_FIELDS:
        return checks.iso_utc(checks.utc_datetime(key, value))
    if name in vocab.REQUEST_SEARCH_TEXT_FIELDS:
        return checks.text(key, value)
    return checks.number(key, value, positive=True, integer=True)  # repetition_interval


def _json_scalar(key: str, item: Any) -> Any:
    if isinstance(item, dict | list) or not isinstance(item, str | int | float | bool):
        checks.fail(key, f"a nested field takes a string, number or boolean (or a list), got {item!r}")
    return item
