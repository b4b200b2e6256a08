"""Catalog search filters on time and properties: STAC ``datetime`` intervals and ``query`` operators.

Item datetimes may lack a zone (``2020-10-19T10:04:25.898923``, as recorded 2020 answers show): they are
read as UTC.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from capella_emulator.errors import validation_error

Item = dict[str, Any]
Predicate = Callable[[Item], bool]
QUERY_OPERATORS = (
    "eq",
    "in",
    "gt",
    "gte",
    "lt",
    "lte",
)  # the provider's SEARCH_OPERATORS, kept apart on purpose
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


@lru_cache(maxsize=131_072)
def parse_instant(text: str) -> datetime | None:
    """Parse RFC 3339 text into an aware datetime (no offset means UTC); ``None`` if invalid."""
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


# ---- time ----------------------------------------------------------------------------------------


def datetime_predicate(value: Any) -> Predicate:
    """Filter on a STAC ``datetime``: an instant, or an interval ``a/b`` (``..`` or nothing: open end)."""
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


def query_predicates(query: Any) -> list[Predicate]:
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
