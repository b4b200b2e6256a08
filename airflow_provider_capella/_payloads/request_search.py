"""Tasking/repeat request searches and updates: user keyword arguments → validated query and PATCH bodies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import vocabulary as vocab
from airflow_provider_capella._payloads.request_filters import request_filter
from airflow_provider_capella._payloads.tasking import product_type_list


@dataclass
class RequestSearch:
    """A validated tasking/repeat request search: the query, the paging options and the scope to add.

    ``scope`` is ``"user"`` (the caller's own requests, the default), ``"org"`` (``for_org=True``) or
    ``"explicit"`` (``user_id``/``org_id`` given). ``sort`` and ``order`` go in the body when set.

    Example::

        search = tasking_request_search({"status": "completed", "window_open__gte": "2024-01-01"})
    """

    query: dict[str, Any] = field(default_factory=dict)
    page_size: int = vocab.REQUEST_SEARCH_DEFAULT_PAGE_SIZE
    threaded: bool = True
    scope: str = "user"
    sort: str | None = None
    order: str | None = None

    def body(self, query: dict[str, Any]) -> dict[str, Any]:
        """Return the search body for ``query`` (the scoped query), with ``sort``/``order`` when set."""
        body: dict[str, Any] = {"query": query}
        if self.sort is not None:
            body["sort"] = self.sort
        if self.order is not None:
            body["order"] = self.order
        return body


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
    if key == "for_org":
        if checks.boolean("for_org", value) and search.scope != "explicit":
            search.scope = "org"
    elif key == "page_size":
        low, high = vocab.REQUEST_SEARCH_PAGE_SIZE
        search.page_size = int(checks.number("page_size", value, minimum=low, maximum=high, integer=True))
    elif key == "threaded":
        search.threaded = checks.boolean("threaded", value)
    elif key == "sort":
        search.sort = sort_field(value, fields)
    elif key == "order":
        search.order = checks.choice("order", value, vocab.REQUEST_SEARCH_ORDERS)
    else:
        checks.boolean(key, value)  # show_progress: accepted for compatibility; logs are the progress


def sort_field(value: Any, fields: Mapping[str, str]) -> str:
    """Return the wire field to sort by: a filter name (``submission_time``) or a wire name.

    :param value: the ``sort`` argument.
    :param fields: the search's user-facing names and their wire names.
    :return: the wire name, e.g. ``submissionTime``.
    :raises CapellaValidationError: naming ``sort`` for a field the search does not know.
    """
    name = checks.text("sort", value, allow_empty=False).strip()
    if name in fields:
        return fields[name]
    wire = set(fields.values())
    root = name.partition(".")[0]
    if name in wire or ("." in name and root in vocab.REQUEST_SEARCH_NESTED_ROOTS):
        return name
    checks.fail(
        "sort", f"cannot sort by {name!r}; accepted: {', '.join(sorted(fields))} or a wire field name"
    )


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
