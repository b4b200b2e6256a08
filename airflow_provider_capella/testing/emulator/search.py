"""STAC item search, as ``POST /catalog/search`` does it: body validation, filtering, sorting, paging.

Pure functions, no HTTP: :func:`parse_search` turns a request body into a :class:`SearchRequest` (or
raises a 400 ``VALIDATION_ERROR`` naming the field), :func:`run_search` applies it to items, and
:func:`search_response` builds the FeatureCollection page with absolute asset hrefs and a ``next`` link.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from airflow_provider_capella.testing.emulator.errors import validation_error
from airflow_provider_capella.testing.emulator.stac_items import OWNERSHIP_OPTIONS

MAX_PAGE_SIZE = 900
DEFAULT_LIMIT = 500
MAX_ITEMS_PER_QUERY = 10_000
SEARCH_PATH = "/catalog/search"
QUERY_OPERATORS = ("eq", "in", "gt", "gte", "lt", "lte")
DATETIME_PROPERTIES = frozenset(
    {
        "datetime",
        "start_datetime",
        "end_datetime",
        "created",
        "updated",
        "capella:archive_holdback_date",
        "locale:datetime",
    }
)
TOP_LEVEL_SORT_FIELDS = frozenset({"id", "collection"})
GEOMETRY_DEPTHS = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}

Item = dict[str, Any]
Predicate = Callable[[Item], bool]
SortKey = tuple[str, bool, bool]  # (field, is a property, descending)

_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "in": lambda value, operand: value in operand,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_DATETIME_PATTERN = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
_MISSING = object()


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
        if accepted:  # an empty list filters nothing, as in stac-fastapi
            predicates.append(_field_in(key, accepted))
    if body.get("ownership") is not None:
        predicates.append(_ownership(body["ownership"]))
    if body.get("bbox") is not None:
        predicates.append(_bbox_predicate(body["bbox"]))
    if body.get("intersects") is not None:
        predicates.append(_intersects_predicate(body["intersects"]))
    if body.get("datetime") is not None:
        predicates.append(_datetime_predicate(body["datetime"]))
    if body.get("query") is not None:
        predicates.extend(_query_predicates(body["query"]))
    limit = DEFAULT_LIMIT if body.get("limit") is None else _positive_int(body["limit"], "limit")
    page_value = body.get("page") if body.get("page") is not None else page_param
    page = 1 if page_value is None else _positive_int(page_value, "page")
    return SearchRequest(
        predicates=tuple(predicates),
        sort_keys=_sort_keys(body.get("sortby")),
        page_size=min(limit, MAX_PAGE_SIZE),
        page=page,
    )


def run_search(items: Iterable[Item], request: SearchRequest) -> SearchPage:
    """The requested page of the sorted matches; nothing past the 10,000th match is ever returned."""
    predicates = request.predicates
    matches = [item for item in items if all(predicate(item) for predicate in predicates)]
    matches = _sorted(matches, request.sort_keys)
    reachable = min(len(matches), MAX_ITEMS_PER_QUERY)
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
    page: SearchPage, body: dict[str, Any], base_url: str, next_base_url: str
) -> dict[str, Any]:
    """The STAC FeatureCollection of ``page``; asset hrefs absolute on ``base_url``."""
    features = [absolute_item(item, base_url) for item in page.features]
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


def absolute_item(item: Item, base_url: str) -> Item:
    """A copy of ``item`` whose emulator-relative asset hrefs start with ``base_url``."""
    base = base_url.rstrip("/")
    assets = {
        key: {**asset, "href": base + asset["href"]} if asset.get("href", "").startswith("/") else asset
        for key, asset in item.get("assets", {}).items()
    }
    return {**item, "assets": assets}


@lru_cache(maxsize=131_072)
def parse_instant(text: str) -> datetime | None:
    """An aware datetime from RFC 3339 text (date-only and offset-less text read as UTC); None if invalid."""
    match = _DATETIME_PATTERN.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=_zone(zone),
        )
    except ValueError:
        return None
    return moment


def _zone(text: str | None) -> timezone:
    if not text or text in "Zz":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


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


# ---- space ---------------------------------------------------------------------------------------


def _bbox_predicate(value: Any) -> Predicate:
    if (
        not isinstance(value, list)
        or len(value) not in (4, 6)
        or not all(_is_number(entry) for entry in value)
    ):
        raise validation_error("bbox must be 4 numbers [min lon, min lat, max lon, max lat]", "bbox")
    half = len(value) // 2
    min_lon, min_lat, max_lon, max_lat = value[0], value[1], value[half], value[half + 1]
    if not all(-180 <= lon <= 180 for lon in (min_lon, max_lon)) or not all(
        -90 <= lat <= 90 for lat in (min_lat, max_lat)
    ):
        raise validation_error("bbox is out of range (longitude -180..180, latitude -90..90)", "bbox")
    if min_lat > max_lat:
        raise validation_error("bbox min latitude is greater than its max latitude", "bbox")
    if min_lon > max_lon:  # crosses the antimeridian, as STAC allows
        return _any_box([(min_lon, min_lat, 180.0, max_lat), (-180.0, min_lat, max_lon, max_lat)])
    return _any_box([(min_lon, min_lat, max_lon, max_lat)])


def _intersects_predicate(value: Any) -> Predicate:
    return _any_box(_geometry_boxes(value, "intersects"))


def _any_box(boxes: list[tuple[float, float, float, float]]) -> Predicate:
    def intersects(item: Item) -> bool:
        bbox = item.get("bbox")
        if not bbox:
            return False
        half = len(bbox) // 2
        min_lon, min_lat, max_lon, max_lat = bbox[0], bbox[1], bbox[half], bbox[half + 1]
        return any(
            min_lon <= box[2] and max_lon >= box[0] and min_lat <= box[3] and max_lat >= box[1]
            for box in boxes
        )

    return intersects


def _geometry_boxes(geometry: Any, path: str) -> list[tuple[float, float, float, float]]:
    """Bounding boxes of a GeoJSON geometry: one per part of a Multi* geometry or GeometryCollection."""
    if not isinstance(geometry, dict) or not isinstance(geometry.get("type"), str):
        raise validation_error("intersects must be a GeoJSON geometry object with a type", path)
    kind = geometry["type"]
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list) or not members:
            raise validation_error(
                "a GeometryCollection needs a non-empty geometries list", f"{path}.geometries"
            )
        return [
            box for index, member in enumerate(members) for box in _geometry_boxes(member, f"{path}[{index}]")
        ]
    if kind not in GEOMETRY_DEPTHS:
        accepted = [*GEOMETRY_DEPTHS, "GeometryCollection"]
        raise validation_error(f"unknown geometry type {kind!r}; accepted: {accepted}", f"{path}.type")
    positions = _positions(geometry.get("coordinates"), GEOMETRY_DEPTHS[kind], f"{path}.coordinates")
    if not positions:
        raise validation_error(f"{kind} has no coordinates", f"{path}.coordinates")
    if kind in ("Polygon", "MultiPolygon"):
        _check_rings(geometry["coordinates"] if kind == "MultiPolygon" else [geometry["coordinates"]], path)
    depth = GEOMETRY_DEPTHS[kind]
    parts = geometry["coordinates"] if kind.startswith("Multi") else [geometry["coordinates"]]
    return [_box(_positions(part, depth - 1 if kind.startswith("Multi") else depth, path)) for part in parts]


def _box(positions: list[list[float]]) -> tuple[float, float, float, float]:
    lons = [position[0] for position in positions]
    lats = [position[1] for position in positions]
    return (min(lons), min(lats), max(lons), max(lats))


def _positions(value: Any, depth: int, path: str) -> list[list[float]]:
    if depth == 0:
        if (
            not isinstance(value, list)
            or len(value) not in (2, 3)
            or not all(_is_number(entry) for entry in value)
        ):
            raise validation_error("a position must be [longitude, latitude]", path)
        if not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
            raise validation_error(f"position {value} is out of range", path)
        return [value]
    if not isinstance(value, list):
        raise validation_error("coordinates are not nested as the geometry type requires", path)
    return [position for entry in value for position in _positions(entry, depth - 1, path)]


def _check_rings(polygons: list[Any], path: str) -> None:
    for polygon in polygons:
        for ring in polygon:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise validation_error(
                    "a polygon ring needs at least 4 positions, the last equal to the first",
                    f"{path}.coordinates",
                )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ---- time ----------------------------------------------------------------------------------------


def _datetime_predicate(value: Any) -> Predicate:
    """A STAC ``datetime``: one instant, or an interval ``a/b`` with ``..`` (or nothing) for an open end."""
    if not isinstance(value, str) or not value.strip():
        raise validation_error("datetime must be an RFC 3339 datetime or an interval 'start/end'", "datetime")
    parts = value.split("/")
    if len(parts) == 1:
        instant = _instant(parts[0], "datetime")
        return lambda item: _item_covers(item, instant)
    if len(parts) != 2:
        raise validation_error(f"datetime interval {value!r} must have exactly one '/'", "datetime")
    start, end = (None if part.strip() in ("", "..") else _instant(part, "datetime") for part in parts)
    if start is None and end is None:
        raise validation_error("datetime interval must have at least one closed end", "datetime")
    if start is not None and end is not None and start > end:
        raise validation_error("datetime interval starts after it ends", "datetime")
    return lambda item: _item_within(item, start, end)


def _instant(text: Any, path: str) -> datetime:
    moment = parse_instant(text) if isinstance(text, str) else None
    if moment is None:
        raise validation_error(f"{text!r} is not an RFC 3339 datetime (e.g. 2023-02-01T00:00:00Z)", path)
    return moment


def _item_datetime(item: Item, name: str) -> datetime | None:
    value = item["properties"].get(name)
    return parse_instant(value) if isinstance(value, str) else None


def _item_covers(item: Item, instant: datetime) -> bool:
    if _item_datetime(item, "datetime") == instant:
        return True
    start, end = _item_datetime(item, "start_datetime"), _item_datetime(item, "end_datetime")
    return start is not None and end is not None and start <= instant <= end


def _item_within(item: Item, start: datetime | None, end: datetime | None) -> bool:
    moment = _item_datetime(item, "datetime")
    if moment is None:
        return False
    return (start is None or moment >= start) and (end is None or moment <= end)


# ---- query ---------------------------------------------------------------------------------------


def _query_predicates(query: Any) -> list[Predicate]:
    """``{"<property>": {"<op>": value}}``; an unknown property simply matches nothing."""
    if not isinstance(query, dict):
        raise validation_error("query must be an object of {property: {operator: value}}", "query")
    predicates = []
    for name, operations in query.items():
        path = f"query.{name}"
        if not isinstance(operations, dict) or not operations:
            raise validation_error(f"{path} must be a non-empty object of {{operator: value}}", path)
        for op, value in operations.items():
            if op not in QUERY_OPERATORS:
                raise validation_error(
                    f"unknown query operator {op!r}; accepted: {list(QUERY_OPERATORS)}", f"{path}.{op}"
                )
            prop = name.removeprefix("properties.")
            operand = _operand(prop, op, value, f"{path}.{op}")
            predicates.append(_property_predicate(prop, op, operand))
    return predicates


def _operand(prop: str, op: str, value: Any, path: str) -> Any:
    if op == "in":
        if not isinstance(value, list):
            raise validation_error(f"{path} needs a list of values", path)
        return [_scalar_operand(prop, entry, path) for entry in value]
    if op == "eq" and isinstance(value, list):
        return value
    return _scalar_operand(prop, value, path)


def _scalar_operand(prop: str, value: Any, path: str) -> Any:
    if prop in DATETIME_PROPERTIES:
        return _instant(value, path)
    if value is None or isinstance(value, (list, dict)):
        raise validation_error(f"{path} needs a string, number or boolean, got {value!r}", path)
    return value


def _property_predicate(prop: str, op: str, operand: Any) -> Predicate:
    compare = _COMPARATORS[op]
    is_datetime = prop in DATETIME_PROPERTIES
    whole_list = op == "eq" and isinstance(operand, list)

    def matches(item: Item) -> bool:
        value = item["properties"].get(prop, _MISSING)
        if value is _MISSING or value is None:
            return False
        if whole_list:
            return bool(value == operand)
        for candidate in value if isinstance(value, list) else (value,):
            if is_datetime:
                candidate = parse_instant(candidate) if isinstance(candidate, str) else None
                if candidate is None:
                    continue
            try:
                if compare(candidate, operand):
                    return True
            except TypeError:
                continue
        return False

    return matches


# ---- order ---------------------------------------------------------------------------------------


def _sort_keys(value: Any) -> tuple[SortKey, ...]:
    """Requested sort keys, then ``datetime`` desc (default only) and ``id`` asc to make paging stable."""
    if value is None or value == []:
        return (("datetime", True, True), ("id", False, False))
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
