"""Validated scalar values of tasking and repeat bodies: each mistake is a 400 naming its path.

Also the shared answers of the tasking routes: a malformed id, a finalized request, a status word.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from capella_emulator.errors import ApiError, validation_error
from capella_emulator.tasking_time import parse_stored_time

FINALIZED_ERROR = "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"


def optional_time(value: Any, path: str, default: float) -> float:
    return default if value is None else parse_stored_time(value, path)


def text_property(props: dict[str, Any], key: str, default: str | None) -> str | None:
    value = props.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise validation_error(f"{key} must be a string", f"properties.{key}", "invalid_type")
    return value


def enum_value(value: Any, allowed: tuple[Any, ...], path: str) -> Any:
    if value is None:
        return None
    if is_bool(value) or value not in allowed:
        raise validation_error(f"{value!r} is not one of {list(allowed)}", path, "invalid_enum_value")
    return value


def boolean(value: Any, path: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise validation_error(f"must be true or false, got {value!r}", path, "invalid_type")
    return value


def number(value: Any, path: str, low: float = -math.inf, high: float = math.inf) -> float | None:
    if value is None:
        return None
    if not is_number(value) or not low <= value <= high:
        raise validation_error(f"must be a number between {low} and {high}, got {value!r}", path)
    return value  # type: ignore[no-any-return]


def integer(value: Any, path: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not is_number(value) or int(value) != value or not low <= value <= high:
        raise validation_error(f"must be an integer between {low} and {high}, got {value!r}", path)
    return int(value)


def is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def require_uuid(value: str, path: str) -> None:
    """Return a 400 naming ``path`` unless ``value`` is a UUID."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise validation_error(f"{path} must be a UUID, got {value!r}", path, "invalid_string") from None


def finalized_error(kind: str, identifier: str, status: str) -> ApiError:
    return ApiError(
        400, FINALIZED_ERROR, f"{kind} {identifier} is already {status} and can no longer be updated"
    )


def status_word(body: Any, keys: tuple[str, ...]) -> str:
    """Return the lower-cased status a ``PATCH .../status`` body asks for (first of ``keys`` present)."""
    if not isinstance(body, dict):
        raise validation_error("body must be an object like {'status': 'canceled'}", keys[0])
    for key in keys:
        value = body.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise validation_error(f"{key} must be a string", key)
            return value.lower()
    raise validation_error(f"body needs {' or '.join(repr(k) for k in keys)}", keys[0])
