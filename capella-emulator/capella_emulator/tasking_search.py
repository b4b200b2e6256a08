"""``POST /tasks/search`` and ``POST /repeat-requests/search``: query filters, sorting and paging.

A query is ``{field: condition}``; a condition is ``{op: value}`` with ops ``eq neq lt lte gt gte in
startsWith endsWith contains`` (several ops must all hold), a bare list (``in``) or a bare scalar (``eq``).
Time fields compare as instants, and ``eq`` (or a bare string) may be an interval
``"2023-01-01T00:00:00Z/2023-12-31T23:59:59Z"`` (``..`` or nothing for an open end). Nested fields are
dotted paths such as ``collectConstraints.collectMode``. An unknown field or operator is a 400.

Paging comes in the query string (``?page=1&limit=250``, the SDK's way) or in the body
(``{"page", "limit", "sort", "order"}``, the docs' way; the body wins). ``limit`` is 1..500 (default 250),
``sort`` a field name (default ``submissionTime``) and ``order`` ``asc`` or ``desc`` (default ``desc``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from capella_emulator.errors import validation_error
from capella_emulator.tasking_time import parse_time

# A superset of the provider's REQUEST_SEARCH_OPERATORS (kept apart: an independent oracle).
OPERATORS = ("eq", "neq", "in", "gt", "gte", "lt", "lte", "startsWith", "endsWith", "contains")
TEXT_OPERATORS = ("startsWith", "endsWith", "contains")
NESTED_ROOTS = ("collectConstraints", "processingConfig", "repetitionProperties", "insar", "order")
MAX_LIMIT = 500
DEFAULT_LIMIT = 250
DEFAULT_SORT = "submissionTime"

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


def _nested(path: str) -> SearchField:
    def read(props: dict[str, Any]) -> Any:
        value: Any = props
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    return SearchField("auto", read)


_COMMON_FIELDS = {
    "collectionType": SearchField("text", _prop("collectionType")),
    "collectionTier": SearchField("text", _prop("collectionTier")),
    "type": SearchField("text", _prop("type")),
    "lastStatusTime": SearchField("time", _last_status("time")),
    "lastStatusCode": SearchField("text", _last_status("code")),
    "lastStatusMessage": SearchField("text", _last_status("message")),
    "status": SearchField("text", _last_status("code")),
    "organizationIds": SearchField("text", _prop("orgId")),
    "resellerIds": SearchField("text", _prop("resellerId")),
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
        if name not in fields and name.split(".", 1)[0] in NESTED_ROOTS and "." in name:
            predicates.append(_field_predicate(_nested(name), condition, f"{path}.{name}"))
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
    tests = [_test(field.kind, op, value, f"{path}.{op}") for op, value in ops.items()]
    read = field.read
    return lambda props: all(test(read(props)) for test in tests)


def _test(kind: str, op: str, value: Any, path: str) -> Callable[[Any], bool]:
    if kind == "time" and op == "eq" and isinstance(value, str) and "/" in value:
        return _interval_test(value, path)
    if op in TEXT_OPERATORS:
        if not isinstance(value, str):
            raise validation_error(f"'{op}' takes a string, got {value!r}", path, "invalid_type")
        return _text_test(op, value)
    return _operator_test(op, _convert(kind, op, value, path), path)


def _interval_test(value: str, path: str) -> Callable[[Any], bool]:
    start_text, _, end_text = value.partition("/")
    start = None if start_text.strip() in ("", "..") else parse_time(start_text, path)
    end = None if end_text.strip() in ("", "..") else parse_time(end_text, path)
    return lambda actual: (
        actual is not None and (start is None or actual >= start) and (end is None or actual <= end)
    )


def _text_test(op: str, expected: str) -> Callable[[Any], bool]:
    def test(actual: Any) -> bool:
        if isinstance(actual, list):
            return op == "contains" and expected in actual
        if not isinstance(actual, str):
            return False
        if op == "startsWith":
            return actual.startswith(expected)
        if op == "endsWith":
            return actual.endswith(expected)
        return expected in actual

    return test


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
    if op == "neq":
        return lambda actual: actual != expected
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


@dataclass(frozen=True)
class SearchPaging:
    """Page, page size and sort of one search, from the query string and the body (the body wins).

    Example::

        paging = SearchPaging.read(request.query_params, body)
    """

    page: int = 1
    limit: int = DEFAULT_LIMIT
    sort: str = DEFAULT_SORT
    descending: bool = True

    @classmethod
    def read(cls, params: Any, body: Any) -> SearchPaging:
        """Read ``page``, ``limit``, ``sort`` and ``order`` from the body, else from the query string."""
        source = body if isinstance(body, dict) else {}

        def pick(name: str) -> Any:
            value = source.get(name)
            return params.get(name) if value is None else value

        order = pick("order") or "desc"
        if order not in ("asc", "desc"):
            raise validation_error(
                f"order must be 'asc' or 'desc', got {order!r}", "order", "invalid_enum_value"
            )
        sort = pick("sort") or DEFAULT_SORT
        if not isinstance(sort, str):
            raise validation_error("sort must be a field name", "sort", "invalid_type")
        return cls(
            page=_bounded_int(pick("page"), "page", 1, 1, None),
            limit=_bounded_int(pick("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
            sort=sort,
            descending=order == "desc",
        )


def _bounded_int(text: Any, name: str, default: int, low: int, high: int | None) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise validation_error(f"{name} must be an integer, got {text!r}", name, "invalid_type") from None
    if isinstance(text, bool) or (isinstance(text, float) and not text.is_integer()):
        raise validation_error(f"{name} must be an integer, got {text!r}", name, "invalid_type")
    if value < low or (high is not None and value > high):
        raise validation_error(
            f"{name} must be between {low} and {high or 'any'}, got {value}", name, "too_big"
        )
    return value


def search_page(
    features: list[dict[str, Any]],
    body: Any,
    keys: tuple[str, ...],
    fields: dict[str, SearchField],
    paging: SearchPaging,
) -> dict[str, Any]:
    """Filter, sort and page ``features``: ``results``, ``currentPage``, ``totalPages``, ``totalResults``."""
    predicates = compile_query(search_body_query(body, keys), fields)
    matched = [feature for feature in features if all(test(feature["properties"]) for test in predicates)]
    matched = _sorted(matched, fields, paging)
    start = (paging.page - 1) * paging.limit
    return {
        "results": matched[start : start + paging.limit],
        "currentPage": paging.page,
        "totalPages": max(1, math.ceil(len(matched) / paging.limit)),
        "totalResults": len(matched),
    }


def _sorted(features: list[dict[str, Any]], fields: dict[str, SearchField], paging: SearchPaging) -> list:
    field = fields.get(paging.sort) or (_nested(paging.sort) if "." in paging.sort else None)
    if field is None:
        raise validation_error(
            f"cannot sort by {paging.sort!r}; sortable: {sorted(fields)}", "sort", "invalid_enum_value"
        )
    id_key = "taskingrequestId" if "taskingrequestIds" in fields else "repeatrequestId"
    by_id = sorted(features, key=lambda feature: str(feature["properties"].get(id_key)))
    present = [(field.read(f["properties"]), f) for f in by_id]
    keyed = [(value, feature) for value, feature in present if value is not None]
    missing = [feature for value, feature in present if value is None]
    keyed.sort(
        key=lambda pair: (
            (isinstance(pair[0], str), pair[0])
            if not isinstance(pair[0], (list, dict))
            else (True, str(pair[0]))
        ),
        reverse=paging.descending,
    )
    return [feature for _, feature in keyed] + missing


def search_body_query(body: Any, keys: tuple[str, ...]) -> Any:
    """Return a search body's query: the first of ``keys`` present (``query``; ``filter`` for repeats)."""
    if body is None:
        return None
    if not isinstance(body, dict):
        raise validation_error("search body must be an object", "")
    present = [key for key in keys if key in body]
    if len(present) > 1:
        raise validation_error(f"send only one of {list(keys)}", present[1])
    return body[present[0]] if present else None
