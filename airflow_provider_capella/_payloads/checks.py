"""Primitive argument checks shared by every payload builder; each raises ``CapellaValidationError``."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any, NoReturn

from airflow_provider_capella.exceptions import CapellaValidationError

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
# Intended mirror: the emulator's search_space.py keeps its own copy as an independent oracle.
_NESTING = dict(Point=0, MultiPoint=1, LineString=1, MultiLineString=2, Polygon=2, MultiPolygon=3)


def fail(argument: str, problem: str) -> NoReturn:
    """Raise the one validation error type, naming ``argument``."""
    raise CapellaValidationError.argument_error(argument, problem)


def without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the entries whose value is not ``None`` (so the receiver's own defaults apply to the rest)."""
    return {key: value for key, value in values.items() if value is not None}


def reject_unknown(given: Iterable[str], accepted: Collection[str], where: str) -> None:
    """Unknown keyword arguments are an error listing what ``where`` accepts."""
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        fail(", ".join(unknown), f"not accepted by {where}; accepted: {', '.join(sorted(set(accepted)))}")


def choice(argument: str, value: Any, accepted: Iterable[Any]) -> Any:
    """Return the canonical spelling of ``value`` if it is one of ``accepted`` (strings: case-insensitive)."""
    options = list(accepted)
    raw = getattr(value, "value", value)  # enum members (e.g. the SDK's) count as their value
    if isinstance(raw, str):
        for option in options:
            if isinstance(option, str) and option.lower() == raw.strip().lower():
                return option
    elif isinstance(raw, int) and not isinstance(raw, bool) and raw in options:
        return raw
    fail(argument, f"got {value!r}; accepted: {', '.join(str(option) for option in options)}")


def choices(argument: str, value: Any, accepted: Iterable[Any]) -> list[Any]:
    """Return a non-empty list (a single value is promoted) of accepted values, duplicates removed."""
    return unique([choice(argument, item, accepted) for item in as_list(argument, value)])


def as_list(argument: str, value: Any, *, allow_empty: bool = False) -> list[Any]:
    """Return a list from a list/tuple/set or a single scalar value."""
    scalar = isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable)
    items = [value] if scalar else list(value)
    if not items and not allow_empty:
        fail(argument, "must not be empty")
    return items


def unique(items: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def text(argument: str, value: Any, *, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        fail(argument, f"must be a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        fail(argument, "must be a non-empty string")
    return value


def boolean(argument: str, value: Any) -> bool:
    if not isinstance(value, bool):
        fail(argument, f"must be True or False, got {value!r}")
    return value


def booleans(**flags: Any) -> None:
    """Check that every keyword argument is a bool (the keyword names the argument in the error)."""
    for argument, value in flags.items():
        boolean(argument, value)


def number(
    argument: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
    integer: bool = False,
) -> int | float:
    """Return a real number (bools rejected) within the given bounds."""
    kind = "an integer" if integer else "a number"
    real = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    if not real or (integer and not float(value).is_integer()):
        fail(argument, f"must be {kind}, got {value!r}")
    value = int(value) if integer else value
    if positive and value <= 0:
        fail(argument, f"must be greater than 0, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        ends = (("at least", minimum), ("at most", maximum))
        bounds = (f"{word} {limit}" for word, limit in ends if limit is not None)
        fail(argument, f"must be {' and '.join(bounds)}, got {value!r}")
    return value


def uuid_text(argument: str, value: Any) -> str:
    """Return a canonical lower-case UUID string."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        fail(argument, f"must be a UUID string, got {type(value).__name__}")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        fail(argument, f"must be a UUID like '78616ccc-0436-4dc2-adc8-b0a1e316b095', got {value!r}")


def utc_datetime(argument: str, value: Any) -> datetime:
    """Return an aware UTC datetime from a datetime, date or ISO 8601 string (naive: taken as UTC)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        raw = value.strip()
        try:
            moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
        except ValueError:
            fail(argument, f"must be an ISO 8601 datetime such as '2024-05-01T12:00:00Z', got {value!r}")
    else:
        fail(argument, f"must be a datetime or an ISO 8601 string, got {type(value).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso_utc(moment: datetime) -> str:
    """Return the wire format: ISO 8601 in UTC with milliseconds and ``Z``."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def geometry(argument: str, value: Any, *, allowed: Iterable[str] = GEOMETRY_TYPES) -> dict[str, Any]:
    """Return a GeoJSON geometry (``__geo_interface__`` objects converted) of an allowed type, in range."""
    allowed_types = tuple(allowed)
    candidate = getattr(value, "__geo_interface__", value)
    if not isinstance(candidate, Mapping):
        fail(argument, f"must be a GeoJSON geometry dict of type {' or '.join(allowed_types)}")
    kind = candidate.get("type")
    if kind == "Feature":
        fail(argument, "got a GeoJSON Feature; pass its 'geometry' member instead")
    if kind not in allowed_types:
        fail(argument, f"GeoJSON type {kind!r} not accepted; accepted: {', '.join(allowed_types)}")
    coordinates = _plain(candidate.get("coordinates"))
    _check_positions(argument, coordinates, _NESTING[kind])
    polygons = {"Polygon": [coordinates], "MultiPolygon": coordinates}.get(kind, [])
    for ring in (ring for rings in polygons for ring in rings):
        if len(ring) < 4:
            fail(argument, "a polygon ring needs at least 4 positions (first and last equal)")
        if ring[0][:2] != ring[-1][:2]:
            fail(argument, "a polygon ring must be closed: its first and last positions must be equal")
    return {"type": kind, "coordinates": coordinates}


def _plain(value: Any) -> Any:
    """Tuples → lists, so the geometry is JSON-ready and comparable."""
    return [_plain(item) for item in value] if isinstance(value, list | tuple) else value


def _check_positions(argument: str, position: Any, depth: int) -> None:
    if depth > 0:
        if not isinstance(position, list) or not position:
            fail(argument, "coordinates must be non-empty nested lists of [longitude, latitude] positions")
        for item in position:
            _check_positions(argument, item, depth - 1)
        return
    if not isinstance(position, list) or len(position) not in (2, 3):
        fail(argument, f"a position must be [longitude, latitude], got {position!r}")
    if any(isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c) for c in position):
        fail(argument, f"a position must hold numbers, got {position!r}")
    for name, degrees, limit in (("longitude", position[0], 180), ("latitude", position[1], 90)):
        if not -limit <= degrees <= limit:
            fail(
                argument,
                f"{name} {degrees} out of range -{limit}..{limit} (positions are [longitude, latitude])",
            )


def bbox(argument: str, value: Any) -> list[float]:
    """``[min_lon, min_lat, max_lon, max_lat]``; min_lon > max_lon is allowed (antimeridian crossing)."""
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple) or len(value) != 4:
        fail(argument, f"must be [min_lon, min_lat, max_lon, max_lat] (4 numbers), got {value!r}")
    west, south, east, north = (number(argument, item) for item in value)
    _check_positions(argument, [[west, south], [east, north]], 1)
    if south > north:
        fail(argument, f"min_lat {south} is greater than max_lat {north}")
    return [west, south, east, north]


def interval(argument: str, value: str) -> tuple[datetime | None, datetime | None]:
    """Return the UTC ends of ``"start/end"`` (``..`` or empty: open); both open, or end < start, fail."""
    start, end = (
        None if part.strip() in ("", "..") else utc_datetime(argument, part.strip())
        for part in value.partition("/")[::2]
    )
    if start is None and end is None:
        fail(argument, f"the interval {value!r} is open at both ends")
    if start is not None and end is not None and end < start:
        fail(argument, f"the interval {value!r} ends before it starts")
    return start, end


def condition(argument: str, operator: str, value: Any, check: Callable[[Any], Any]) -> tuple[str, Any]:
    """``(operator, checked value)`` of a search filter: a list means ``in``; ``in`` always takes a list."""
    if is_listed(argument, operator, value) or operator == "in":
        return "in", unique(check(item) for item in as_list(argument, value))
    return operator, check(value)


def is_listed(argument: str, operator: str, value: Any) -> bool:
    """Tell whether a filter's value is a list, which only ``eq`` (meaning ``in``) and ``in`` take."""
    listed = isinstance(value, list | tuple | set | frozenset)
    if listed and operator not in ("eq", "in"):
        fail(argument, f"operator {operator!r} takes a single value, got a list")
    return listed


def split_operator(key: str, operators: tuple[str, ...], *, any_case: bool = False) -> tuple[str, str, bool]:
    """``"look_angle__gte"`` → ``("look_angle", "gte", True)``; no suffix means ``eq`` (explicit=False)."""
    field, separator, suffix = key.partition("__")
    if not separator:
        return key, "eq", False
    operator = {(op.lower() if any_case else op): op for op in operators}.get(
        suffix.lower() if any_case else suffix
    )
    if operator is None:
        fail(key, f"unknown operator {suffix!r}; accepted operators: {', '.join(operators)}")
    return field, operator, True
