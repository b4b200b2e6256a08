"""``POST /tasks/search`` and ``POST /repeat-requests/search``: query filters and paging.

A query is ``{field: condition}``; a condition is ``{op: value}`` with ops ``eq in gt gte lt lte``
(several ops must all hold), a bare list (``in``) or a bare scalar (``eq``). Time fields compare as
instants (ISO 8601 values, a date alone means its midnight UTC). An unknown field or operator is a 400.

Paging is ``?page=1&limit=250``. The real API is used with limits of 250..500; the emulator accepts
any limit from 1 to 500 so tests can page through a handful of requests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airflow_provider_capella.testing.emulator.errors import validation_error
from airflow_provider_capella.testing.emulator.tasking_time import parse_time

OPERATORS = ("eq", "in", "gt", "gte", "lt", "lte")
MAX_LIMIT = 500
DEFAULT_LIMIT = 250

Predicate = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class SearchField:
    """How to read one searchable field from a request's properties, and what kind of value it is.

    Example::

        SearchField("time", lambda props: parse_time(props["windowOpen"], "windowOpen"))
    """

    kind: str  # "text" | "time" | "number"
    read: Callable[[dict[str, Any]], Any]


def _prop(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda props: props.get(name)


def _time_prop(name: str) -> Callable[[dict[str, Any]], Any]:
    def read(props: dict[str, Any]) -> float | None:
        value = props.get(name)
        return None if value is None else parse_time(value, name)

    return read


def _last_status(key: str) -> Callable[[dict[str, Any]], Any]:
    def read(props: dict[str, Any]) -> Any:
        history = props.get("statusHistory") or []
        if not history:
            return None
        value = history[0][key]
        return parse_time(value, key) if key == "time" else value

    return read


def _repetition(name: str, kind: str) -> SearchField:
    def read(props: dict[str, Any]) -> Any:
        value = (props.get("repetitionProperties") or {}).get(name)
        return parse_time(value, name) if kind == "time" and value is not None else value

    return SearchField(kind, read)


_COMMON_FIELDS = {
    "collectionType": SearchField("text", _prop("collectionType")),
    "collectionTier": SearchField("text", _prop("collectionTier")),
    "type": SearchField("text", _prop("type")),
    "lastStatusTime": SearchField("time", _last_status("time")),
    "lastStatusCode": SearchField("text", _last_status("code")),
    "organizationIds": SearchField("text", _prop("organizationId")),
    "submissionTime": SearchField("time", _time_prop("submissionTime")),
    "userId": SearchField("text", _prop("userId")),
}
TASK_FIELDS = {
    **_COMMON_FIELDS,
    "taskingrequestIds": SearchField("text", _prop("taskingrequestId")),
    "windowOpen": SearchField("time", _time_prop("windowOpen")),
    "windowClose": SearchField("time", _time_prop("windowClose")),
}
REPEAT_FIELDS = {
    **_COMMON_FIELDS,
    "repeatrequestIds": SearchField("text", _prop("repeatrequestId")),
    "repetitionProperties.repeatStart": _repetition("repeatStart", "time"),
    "repetitionProperties.repeatEnd": _repetition("repeatEnd", "time"),
    "repetitionProperties.repetitionInterval": _repetition("repetitionInterval", "number"),
}


def compile_query(query: Any, fields: dict[str, SearchField], path: str = "query") -> list[Predicate]:
    """Predicates over a request's properties, one per field of ``query``; 400 on anything unknown."""
    if query is None:
        return []
    if not isinstance(query, dict):
        raise validation_error(f"{path} must be an object of field conditions", path)
    predicates = []
    for name, condition in query.items():
        if name == "includeRepeatingTasks" and "taskingrequestIds" in fields:
            predicates.extend(_repeating_tasks(condition, f"{path}.{name}"))
            continue
        if name not in fields:
            raise validation_error(
                f"unknown search field {name!r}; accepted: {sorted(fields)}", f"{path}.{name}"
            )
        predicates.append(_field_predicate(fields[name], condition, f"{path}.{name}"))
    return predicates


def _repeating_tasks(condition: Any, path: str) -> list[Predicate]:
    value = condition.get("eq") if isinstance(condition, dict) and set(condition) == {"eq"} else condition
    if not isinstance(value, bool):
        raise validation_error("includeRepeatingTasks must be true, false or {'eq': bool}", path)
    return [] if value else [lambda props: props.get("repeatrequestId") is None]


def _field_predicate(field: SearchField, condition: Any, path: str) -> Predicate:
    if isinstance(condition, dict):
        ops = condition
    elif isinstance(condition, list):
        ops = {"in": condition}
    else:
        ops = {"eq": condition}
    if not ops:
        raise validation_error("a condition needs at least one operator", path)
    tests = [
        _operator_test(op, _convert(field.kind, op, value, f"{path}.{op}"), f"{path}.{op}")
        for op, value in ops.items()
    ]
    read = field.read
    return lambda props: all(test(read(props)) for test in tests)


def _convert(kind: str, op: str, value: Any, path: str) -> Any:
    if op == "in":
        if not isinstance(value, list):
            raise validation_error("'in' takes a list", path)
        return [_convert(kind, "eq", item, path) for item in value]
    if kind == "time":
        return parse_time(value, path)
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise validation_error(f"must be a number, got {value!r}", path)
    if isinstance(value, (dict, list)):
        raise validation_error(f"must be a single value, got {value!r}", path)
    return value


def _operator_test(op: str, expected: Any, path: str) -> Callable[[Any], bool]:
    if op == "eq":
        return lambda actual: actual == expected
    if op == "in":
        return lambda actual: actual in expected
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    if op not in comparisons:
        raise validation_error(f"unknown operator {op!r}; accepted: {list(OPERATORS)}", path)
    compare = comparisons[op]

    def test(actual: Any) -> bool:
        try:
            return actual is not None and compare(actual, expected)
        except TypeError:
            return False

    return test


def paging(page: str | None, limit: str | None) -> tuple[int, int]:
    """``(page, limit)`` from the query string: page >= 1, 1 <= limit <= 500 (default 1 and 250)."""
    return _bounded_int(page, "page", 1, 1, None), _bounded_int(limit, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)


def _bounded_int(text: str | None, name: str, default: int, low: int, high: int | None) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise validation_error(f"{name} must be an integer, got {text!r}", name) from None
    if value < low or (high is not None and value > high):
        raise validation_error(f"{name} must be between {low} and {high or 'any'}, got {value}", name)
    return value


def page_of(
    features: list[dict[str, Any]], predicates: list[Predicate], page: int, limit: int
) -> dict[str, Any]:
    """The paged response: ``results``, ``currentPage``, ``totalPages`` (at least 1), ``totalResults``."""
    matched = [feature for feature in features if all(test(feature["properties"]) for test in predicates)]
    start = (page - 1) * limit
    return {
        "results": matched[start : start + limit],
        "currentPage": page,
        "totalPages": max(1, math.ceil(len(matched) / limit)),
        "totalResults": len(matched),
    }


def search_body_query(body: Any, keys: tuple[str, ...]) -> Any:
    """The query of a search body: the first of ``keys`` present (``query``, or ``filter`` for repeats)."""
    if body is None:
        return None
    if not isinstance(body, dict):
        raise validation_error("search body must be an object", "")
    present = [key for key in keys if key in body]
    if len(present) > 1:
        raise validation_error(f"send only one of {list(keys)}", present[1])
    return body[present[0]] if present else None
