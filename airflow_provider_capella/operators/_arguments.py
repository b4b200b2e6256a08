"""Rendered operator arguments (JSON or Python literal strings, XCom lists) → plain Python values, checked."""

from __future__ import annotations

import ast
import contextlib
import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_capella._payloads import checks


def structured(argument: str, value: Any) -> Any:
    """``value``, or the JSON (or Python literal) in a string that looks like ``{...}`` or ``[...]``."""
    text = value.strip() if isinstance(value, str) else ""
    if not text.startswith(("{", "[")):
        return value
    with contextlib.suppress(ValueError):
        return json.loads(text)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        short = text if len(text) <= 80 else text[:77] + "..."
        checks.fail(argument, f"is neither valid JSON nor a Python literal: {short!r}")


def mapping(argument: str, value: Any) -> dict[str, Any]:
    """Return a dict from a dict or a JSON object string; ``None`` → ``{}``."""
    parsed = {} if value is None or value == "" else structured(argument, value)
    if not isinstance(parsed, Mapping):
        checks.fail(argument, f"must be a mapping (dict or JSON object), got {type(parsed).__name__}")
    return dict(parsed)


def merged(argument: str, value: Any, explicit: dict[str, Any]) -> dict[str, Any]:
    """Return ``explicit`` with the mapping ``value`` of ``argument``, refusing a key given in both."""
    extra = mapping(argument, value)
    twice = sorted(set(extra) & set(explicit))
    if twice:
        checks.fail(argument, f"repeats argument(s) given explicitly: {', '.join(twice)}")
    return {**extra, **explicit}


def string_list(argument: str, value: Any, *, items: bool = False) -> list[str]:
    """Return unique non-empty ids from a list, one id, a JSON list or ``None``; ``items``: or STAC items."""
    ids = []
    for item in checks.as_list(argument, structured(argument, value), allow_empty=True) if value else []:
        found = item.get("id") if items and isinstance(item, dict) else item
        if not isinstance(found, str) or not found.strip():
            what = "STAC ids or STAC item dicts with an 'id'" if items else "strings (ids)"
            checks.fail(argument, f"must be {what}, got {item!r}")
        ids.append(found.strip())
    return checks.unique(ids)


def integer(argument: str, value: Any) -> int | None:
    """Return an int from an int or a rendered template such as ``"7"``; ``None`` stays ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:  # a bool's "True" is no integer either
        return int(str(value).strip())
    except ValueError:
        checks.fail(argument, f"must be an integer, got {value!r}")


def stac_items(argument: str, value: Any) -> list[dict[str, Any]]:
    """Return STAC item dicts from a list, one dict, or a JSON string; ``None`` → ``[]``."""
    items = checks.as_list(argument, structured(argument, value), allow_empty=True) if value else []
    if not all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in items):
        checks.fail(argument, "must be STAC item dicts with an 'id' (or pass stac_ids instead)")
    return items
