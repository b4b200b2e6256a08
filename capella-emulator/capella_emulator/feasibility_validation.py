"""Validation of ``POST /ma/accessrequests`` bodies, answering every problem at once in the zod style.

The API validates with zod: a bad body is ``400 {"error": {"message": "Validation Error", "code":
"VALIDATION_ERROR", "detail": [{"message", "code", "path"}]}}`` where ``path`` is zod's list of keys
(``["properties", "windowClose"]``) and ``code`` one of zod's issue codes (``invalid_type``,
``invalid_string``, ``invalid_enum_value``, ``too_small``, ``too_big``, ``custom``).

Example::

    request = parse_access_request(body, now=state.now())
    request.geometry, request.window_open, request.constraints["offNadirMax"]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from capella_emulator.errors import ApiError

DAY = 86_400.0
DEFAULT_WINDOW = 7 * DAY
MAX_WINDOW = 366 * DAY
MAX_VERTICES = 250
ASC_DSC = ("ascending", "descending", "either")
LOOK_DIRECTIONS = ("left", "right", "either")
ORBITAL_PLANES = (45, 53, 97)
LOCAL_TIME_PRESETS = {
    "day": [[21600, 64800]],
    "night": [[0, 21600], [64800, 86400]],
    "anytime": [[0, 86400]],
}
DEFAULT_CONSTRAINTS: dict[str, Any] = {
    "offNadirMin": 25,
    "offNadirMax": 50,
    "imageLength": 5000,
    "imageWidth": 5000,
    "ascDsc": "either",
    "lookDirection": "either",
    "orbitalPlanes": list(ORBITAL_PLANES),
    "localTime": LOCAL_TIME_PRESETS["anytime"],
}


@dataclass
class AccessRequestInput:
    """A valid access request: its target, window and constraints with the server's defaults applied.

    Example::

        AccessRequestInput(geometry={"type": "Point", "coordinates": [4.05, 51.95]}, name="rotterdam",
                           description=None, window_open=t0, window_close=t0 + 86_400,
                           constraints=dict(DEFAULT_CONSTRAINTS))
    """

    geometry: dict[str, Any]
    name: str | None
    description: str | None
    window_open: float
    window_close: float
    constraints: dict[str, Any]


@dataclass
class Issues:
    """Problems found in a request body, raised together as one zod-style ``VALIDATION_ERROR``.

    Example::

        issues = Issues()
        issues.add("invalid_enum_value", "Invalid enum value", "exportType")
        issues.raise_any()
    """

    found: list[dict[str, Any]] = field(default_factory=list)

    def add(self, code: str, message: str, *path: str | int) -> None:
        self.found.append({"message": message, "code": code, "path": list(path)})

    def raise_any(self) -> None:
        if self.found:
            raise ApiError(400, "VALIDATION_ERROR", "Validation Error", detail=self.found)


def parse_access_request(body: Any, now: float) -> AccessRequestInput:
    """Validate ``body`` into an access request; a 400 listing every problem otherwise."""
    issues = Issues()
    if not isinstance(body, dict):
        issues.add("invalid_type", f"Expected object, received {_kind(body)}")
        issues.raise_any()
    if body.get("type", "Feature") != "Feature":
        issues.add("invalid_literal", 'Invalid literal value, expected "Feature"', "type")
    geometry = _geometry(body.get("geometry"), issues)
    props = body.get("properties")
    if not isinstance(props, dict):
        issues.add("invalid_type", f"Expected object, received {_kind(props)}", "properties")
        issues.raise_any()
    name = _text(props, "accessrequestName", issues)
    description = _text(props, "accessrequestDescription", issues)
    window_open = _time(props, "windowOpen", issues, default=now)
    window_close = _time(props, "windowClose", issues, default=(window_open or now) + DEFAULT_WINDOW)
    if window_open is not None and window_close is not None:
        if window_close <= window_open:
            issues.add("custom", "windowClose must be after windowOpen", "properties", "windowClose")
        elif window_close <= now:
            issues.add("custom", "windowClose must be in the future", "properties", "windowClose")
        elif window_close - window_open > MAX_WINDOW:
            issues.add("too_big", "the window may span at most 366 days", "properties", "windowClose")
    constraints = _constraints(props.get("accessConstraints"), issues)
    issues.raise_any()
    assert geometry is not None and window_open is not None and window_close is not None
    return AccessRequestInput(geometry, name, description, window_open, window_close, constraints)


def target_of(geometry: dict[str, Any]) -> tuple[float, float]:
    """``(lat, lon)`` the passes are computed for: the Point, or the mean vertex of the Polygon."""
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"][:2]
        return lat, lon
    ring = geometry["coordinates"][0][:-1]
    return sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring)


def _kind(value: Any) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _geometry(value: Any, issues: Issues) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        issues.add("invalid_type", f"Expected object, received {_kind(value)}", "geometry")
        return None
    kind, coordinates = value.get("type"), value.get("coordinates")
    if kind == "Point":
        position = _position(coordinates, issues, "geometry", "coordinates")
        return None if position is None else {"type": "Point", "coordinates": position}
    if kind != "Polygon":
        issues.add(
            "invalid_union_discriminator", "geometry type must be Point or Polygon", "geometry", "type"
        )
        return None
    if not isinstance(coordinates, list) or len(coordinates) != 1:
        issues.add("custom", "a Polygon must have exactly one ring (no holes)", "geometry", "coordinates")
        return None
    ring = coordinates[0]
    path = ("geometry", "coordinates", 0)
    if not isinstance(ring, list) or not 4 <= len(ring) <= MAX_VERTICES:
        issues.add("too_small", f"a ring needs 4 to {MAX_VERTICES} positions", *path)
        return None
    positions = [_position(point, issues, *path, index) for index, point in enumerate(ring)]
    if any(point is None for point in positions):
        return None
    if positions[0] != positions[-1]:
        issues.add("custom", "a ring must end where it starts", *path)
        return None
    return {"type": "Polygon", "coordinates": [positions]}


def _position(value: Any, issues: Issues, *path: str | int) -> list[float] | None:
    if not isinstance(value, list) or len(value) not in (2, 3) or not all(_is_number(v) for v in value):
        issues.add("invalid_type", "a position is [longitude, latitude] numbers", *path)
        return None
    lon, lat = float(value[0]), float(value[1])
    if not -180.0 <= lon <= 180.0:
        issues.add("too_big" if lon > 0 else "too_small", "longitude must be within -180..180", *path, 0)
        return None
    if not -90.0 <= lat <= 90.0:
        issues.add("too_big" if lat > 0 else "too_small", "latitude must be within -90..90", *path, 1)
        return None
    return [lon, lat]


def _text(props: dict[str, Any], key: str, issues: Issues) -> str | None:
    value = props.get(key)
    if value is not None and not isinstance(value, str):
        issues.add("invalid_type", f"Expected string, received {_kind(value)}", "properties", key)
        return None
    return value


def _time(props: dict[str, Any], key: str, issues: Issues, default: float) -> float | None:
    value = props.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        issues.add("invalid_type", f"Expected string, received {_kind(value)}", "properties", key)
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        issues.add("invalid_string", "Invalid datetime", "properties", key)
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _constraints(raw: Any, issues: Issues) -> dict[str, Any]:
    constraints = {key: list(v) if isinstance(v, list) else v for key, v in DEFAULT_CONSTRAINTS.items()}
    if raw is None:
        return constraints
    base = ("properties", "accessConstraints")
    if not isinstance(raw, dict):
        issues.add("invalid_type", f"Expected object, received {_kind(raw)}", *base)
        return constraints
    for key, low, high in (
        ("offNadirMin", 0, 90),
        ("offNadirMax", 0, 90),
        ("imageLength", 1, 1_000_000),
        ("imageWidth", 1, 1_000_000),
    ):
        value = raw.get(key)
        if value is None:
            continue
        if not _is_number(value):
            issues.add("invalid_type", f"Expected number, received {_kind(value)}", *base, key)
        elif not low <= value <= high:
            code = "too_small" if value < low else "too_big"
            issues.add(code, f"{key} must be within {low}..{high}", *base, key)
        else:
            constraints[key] = value
    if constraints["offNadirMin"] >= constraints["offNadirMax"]:
        issues.add("custom", "offNadirMin must be less than offNadirMax", *base, "offNadirMin")
    for key, allowed in (("ascDsc", ASC_DSC), ("lookDirection", LOOK_DIRECTIONS)):
        value = raw.get(key)
        if value is not None and value not in allowed:
            message = f"Invalid enum value. Expected {' | '.join(map(repr, allowed))}, received {value!r}"
            issues.add("invalid_enum_value", message, *base, key)
        elif value is not None:
            constraints[key] = value
    planes = raw.get("orbitalPlanes")
    if planes is not None:
        if (
            not isinstance(planes, list)
            or not planes
            or any(p not in ORBITAL_PLANES or _kind(p) != "number" for p in planes)
        ):
            issues.add(
                "invalid_enum_value",
                "orbitalPlanes is a non-empty list of 45, 53, 97",
                *base,
                "orbitalPlanes",
            )
        else:
            constraints["orbitalPlanes"] = sorted({int(p) for p in planes})
    local_time = _local_time(raw.get("localTime"), issues, *base, "localTime")
    if local_time is not None:
        constraints["localTime"] = local_time
    return constraints


def _local_time(value: Any, issues: Issues, *path: str) -> list[list[int]] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value in LOCAL_TIME_PRESETS:
            return [list(window) for window in LOCAL_TIME_PRESETS[value]]
        issues.add("invalid_enum_value", f"localTime must be one of {list(LOCAL_TIME_PRESETS)}", *path)
        return None
    if isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value):
        value = [value]
    ok = isinstance(value, list) and bool(value)
    windows = []
    for window in value if ok else []:
        well_formed = isinstance(window, list) and len(window) == 2 and all(_is_number(v) for v in window)
        if not well_formed or not 0 <= window[0] < window[1] <= DAY:
            ok = False
        else:
            windows.append([int(window[0]), int(window[1])])
    if not ok:
        issues.add(
            "custom",
            "localTime is a preset or [start, end] seconds of day (0 <= start < end <= 86400)",
            *path,
        )
        return None
    return windows
