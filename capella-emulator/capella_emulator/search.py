"""STAC item search, as ``POST /catalog/search`` does it: body validation, filtering, sorting, paging.

Pure functions, no HTTP: :func:`parse_search` turns a request body into a :class:`SearchRequest` (or
raises a 400 ``VALIDATION_ERROR`` naming the field), :func:`run_search` applies it to items, and
:func:`search_response` builds the FeatureCollection page and its ``next`` link. Filters live in
:mod:`.search_space` and :mod:`.search_filters`.

As the real API answers: a page holds 10 items when no ``limit`` is sent; ``sortby`` is a list of
``{field, direction}`` or a plain string (``"properties.datetime"``, ``"-properties.datetime"``, comma
separated); in results the data asset and the metadata carry no usable href (an unsigned URL the asset
host refuses: download hrefs come from ``GET /orders/{id}/download`` only) while thumbnail and preview
come presigned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from capella_emulator.errors import validation_error
from capella_emulator.search_filters import (
    DATETIME_PROPERTIES,
    Item,
    Predicate,
    datetime_predicate,
    parse_instant,
    query_predicates,
)
from capella_emulator.search_space import bbox_predicate, intersects_predicate
from capella_emulator.stac_items import OWNERSHIP_OPTIONS, RESTRICTED_COLLECTIONS

MAX_PAGE_SIZE = 900
DEFAULT_LIMIT = 10  # the server's default (STAC's); 500 and the 900 cap are the SDK's choices
MAX_ITEMS_PER_QUERY = 10_000
SEARCH_PATH = "/catalog/search"
TOP_LEVEL_SORT_FIELDS = frozenset({"id", "collection"})
PRESIGNED_IN_SEARCH = frozenset({"thumbnail", "preview"})

SortKey = tuple[str, bool, bool]  # (field, is a property, descending)
Signer = Callable[[str], str]


class RestrictedCollection(Exception):
    """A search names a collection the organization may not access (answered with a plain-string error).

    Example::

        raise RestrictedCollection("capella-beta-analytics")
    """


@dataclass(frozen=True)
class SearchRequest:
    """A validated search: filters, sort order and the page wanted.

    Example::

        request = parse_search({"collections": ["capella-geo"], "limit": 10})
        page = run_search(catalog.items, request)
    """

    predicates: tuple[Predicate, ...]
    sort_keys: tuple[SortKey, ...]
    page_size: int
    page: int


@dataclass(frozen=True)
class SearchPage:
    """One page of matches and what the client needs to ask for the next one.

    Example::

        page = run_search(items, request)
        print(page.matched, len(page.features), page.has_next)
    """

    features: list[Item]
    matched: int
    page: int
    page_size: int
    has_next: bool


def parse_search(body: Any, page_param: str | None = None) -> SearchRequest:
    """Validate a search body; ``page_param`` is the ``?page=`` query parameter (the body's wins)."""
    if not isinstance(body, dict):
        raise validation_error("the search body must be a JSON object", "body")
    if body.get("bbox") is not None and body.get("intersects") is not None:
        raise validation_error("bbox and intersects are mutually exclusive", "bbox")
    predicates: list[Predicate] = []
    for field, key in (("ids", "id"), ("collections", "collection")):
        accepted = None if body.get(field) is None else _strings(body[field], field)
        restricted = (
            sorted((accepted or set()) & set(RESTRICTED_COLLECTIONS)) if field == "collections" else []
        )
        if restricted:
            raise RestrictedCollection(restricted[0])
        if accepted:  # an empty list filters nothing, as in stac-fastapi
            predicates.append(_field_in(key, accepted))
    if body.get("ownership") is not None:
        predicates.append(_ownership(body["ownership"]))
    if body.get("bbox") is not None:
        predicates.append(bbox_predicate(body["bbox"]))
    if body.get("intersects") is not None:
        predicates.append(intersects_predicate(body["intersects"]))
    if body.get("datetime") is not None:
        predicates.append(datetime_predicate(body["datetime"]))
    if body.get("query") is not None:
        predicates.extend(query_predicates(body["query"]))
    limit = DEFAULT_LIMIT if body.get("limit") is None else _positive_int(body["limit"], "limit")
    page_value = body.get("page") if body.get("page") is not None else page_param
    page = 1 if page_value is None else _positive_int(page_value, "page")
    return SearchRequest(
        predicates=tuple(predicates),
        sort_keys=_sort_keys(body.get("sortby")),
        page_size=min(limit, MAX_PAGE_SIZE),
        page=page,
    )


def run_search(items: Iterable[Item], request: SearchRequest, cap: int = MAX_ITEMS_PER_QUERY) -> SearchPage:
    """Return the requested page of the sorted matches; nothing past the ``cap``-th match is returned."""
    predicates = request.predicates
    matches = [item for item in items if all(predicate(item) for predicate in predicates)]
    matches = _sorted(matches, request.sort_keys)
    reachable = min(len(matches), cap)
    start = (request.page - 1) * request.page_size
    end = min(start + request.page_size, reachable)
    features = matches[start:end] if start < reachable else []
    return SearchPage(
        features=features,
        matched=len(matches),
        page=request.page,
        page_size=request.page_size,
        has_next=start < reachable and end < reachable,
    )


def search_response(
    page: SearchPage, body: dict[str, Any], base_url: str, next_base_url: str, presign: Signer | None = None
) -> dict[str, Any]:
    """Build the STAC FeatureCollection of ``page``; thumbnail and preview presigned by ``presign``."""
    features = [absolute_item(item, base_url, presign) for item in page.features]
    links: list[dict[str, Any]] = []
    if page.has_next:
        next_page = page.page + 1
        links.append(
            {
                "rel": "next",
                "href": f"{next_base_url.rstrip('/')}{SEARCH_PATH}?page={next_page}",
                "type": "application/geo+json",
                "method": "POST",
                "body": {**body, "page": next_page},
                "merge": False,
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": page.matched,
        "numberReturned": len(features),
        "context": {
            "matched": page.matched,
            "returned": len(features),
            "limit": page.page_size,
            "page": page.page,
        },
        "links": links,
    }


def absolute_item(item: Item, base_url: str, presign: Signer | None = None) -> Item:
    """Copy ``item`` with absolute asset hrefs: thumbnail and preview presigned when ``presign`` is given."""
    base = base_url.rstrip("/")
    assets = {}
    for key, asset in item.get("assets", {}).items():
        href = asset.get("href", "")
        if href.startswith("/"):
            href = presign(href) if presign is not None and key in PRESIGNED_IN_SEARCH else base + href
        assets[key] = {**asset, "href": href}
    return {**item, "assets": assets}


# ---- simple fields -------------------------------------------------------------------------------


def _positive_int(value: Any, field: str) -> int:
    number: Any = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise validation_error(f"{field} must be an integer >= 1, got {value!r}", field)
    return number


def _strings(value: Any, field: str) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise validation_error(f"{field} must be a list of strings", field)
    return frozenset(value)


def _field_in(field: str, accepted: frozenset[str]) -> Predicate:
    return lambda item: item.get(field) in accepted


def _ownership(value: Any) -> Predicate:
    options = _strings(value, "ownership")
    unknown = sorted(options - set(OWNERSHIP_OPTIONS))
    if unknown:
        raise validation_error(
            f"unknown ownership {unknown}; accepted: {list(OWNERSHIP_OPTIONS)}", "ownership"
        )
    return lambda item: item["properties"].get("capella:ownership") in options


# ---- order ---------------------------------------------------------------------------------------


def _sort_keys(value: Any) -> tuple[SortKey, ...]:
    """Return the sort keys, then ``datetime`` desc (default only) and ``id`` asc for stable paging."""
    if value is None or value == [] or value == "":
        return (("datetime", True, True), ("id", False, False))
    if isinstance(value, str):
        value = [_sort_entry(part.strip()) for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise validation_error('sortby must be a list of {"field": ..., "direction": "asc"|"desc"}', "sortby")
    keys: list[SortKey] = []
    for index, entry in enumerate(value):
        path = f"sortby[{index}]"
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("field"), str)
            or not entry["field"].strip()
        ):
            raise validation_error(f'{path} must be {{"field": "<name>", "direction": "asc"|"desc"}}', path)
        direction = entry.get("direction", "asc")
        if direction not in ("asc", "desc"):
            raise validation_error(
                f"{path}.direction must be 'asc' or 'desc', got {direction!r}", f"{path}.direction"
            )
        field = entry["field"].strip()
        if field in TOP_LEVEL_SORT_FIELDS:
            keys.append((field, False, direction == "desc"))
        else:
            keys.append((field.removeprefix("properties."), True, direction == "desc"))
    if not any(key[0] == "id" and not key[1] for key in keys):
        keys.append(("id", False, False))
    return tuple(keys)


def _sort_entry(text: str) -> dict[str, str]:
    """Read one plain-string sort key: ``field``, ``+field`` (ascending) or ``-field`` (descending)."""
    if text[0] in "+-":
        return {"field": text[1:], "direction": "desc" if text[0] == "-" else "asc"}
    return {"field": text, "direction": "asc"}


def _sorted(items: list[Item], keys: tuple[SortKey, ...]) -> list[Item]:
    """Stable multi-key sort; items lacking a key's value go last whatever the direction."""
    for field, is_property, descending in reversed(keys):
        values = [_sort_value(item, field, is_property) for item in items]
        present = [(value, item) for value, item in zip(values, items, strict=True) if value is not None]
        missing = [item for value, item in zip(values, items, strict=True) if value is None]
        present.sort(key=lambda pair: pair[0], reverse=descending)
        items = [item for _, item in present] + missing
    return items


def _sort_value(item: Item, field: str, is_property: bool) -> tuple[int, Any] | None:
    value = item["properties"].get(field) if is_property else item.get(field)
    if value is None:
        return None
    if is_property and field in DATETIME_PROPERTIES and isinstance(value, str):
        moment = parse_instant(value)
        return None if moment is None else (0, moment.timestamp())
    if isinstance(value, (int, float)):
        return (0, float(value))
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, list):
        return (2, tuple(str(entry) for entry in value))
    return (3, str(value))
