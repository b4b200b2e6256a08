"""Validation of tasking and repeat request bodies: each mistake is a 400 ``VALIDATION_ERROR`` naming a path.

The parsers return the normalised properties the emulator stores and echoes back: enum spellings made
canonical (``one_year`` -> ``1_year``), ``localTime`` presets expanded to second-of-day ranges, the
collect-constraint defaults filled in (squint ``enabled`` for a Point, ``disabled`` otherwise).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from airflow_provider_capella.testing.emulator.config import DAY_SECONDS
from airflow_provider_capella.testing.emulator.errors import ApiError, validation_error
from airflow_provider_capella.testing.emulator.stac_items import (
    ALL_PRODUCT_TYPES,
    COLLECTION_TYPE_PROFILES,
    COLLECTION_TYPES,
)
from airflow_provider_capella.testing.emulator.tasking_time import iso, parse_stored_time, parse_time

COLLECTION_TIERS = ("urgent", "priority", "standard", "flexible", "internal")
REPEAT_COLLECTION_TIERS = ("routine", "flexible", "internal", "insar", "insar-internal")
INSAR_TIERS = ("insar", "insar-internal")
INSAR_ORBITS = ("MIO_53_2P95", "SSO_97_7P00")
ARCHIVE_HOLDBACKS = {
    "none": "none",
    "1_year": "1_year",
    "30_day": "30_day",
    "permanent": "permanent",
    "one_year": "1_year",
    "thirty_day": "30_day",
}
POLARIZATIONS = ("HH", "VV")
ASC_DSC = ("ascending", "descending", "either")
LOOK_DIRECTIONS = ("left", "right", "either")
SQUINT_MODES = ("enabled", "disabled", "forward", "backward")
ORBITAL_PLANES = (45, 53, 97)
LOCAL_TIME_PRESETS: dict[str, list[list[int]]] = {
    "day": [[21600, 64800]],
    "night": [[0, 21600], [64800, 86400]],
    "anytime": [[0, 86400]],
}
FINALIZED_ERROR = "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"
CANCEL_WORDS = ("canceled", "cancelled")
DEFAULT_WINDOW_SECONDS = 7 * DAY_SECONDS
MAX_WINDOW_SECONDS = 10 * 365 * DAY_SECONDS
DEFAULT_REPETITION_INTERVAL_DAYS = 7
TASK_UPDATABLE = (
    "taskingrequestName",
    "taskingrequestDescription",
    "customAttribute1",
    "customAttribute2",
    "processingConfig",
)
REPEAT_UPDATABLE = (
    "repeatrequestName",
    "repeatrequestDescription",
    "customAttribute1",
    "customAttribute2",
    "processingConfig",
)


@dataclass
class TaskSubmission:
    """A valid ``POST /task`` body: geometry, normalised properties and the window in epoch seconds.

    Example::

        submission = parse_task_body(body, now=time.time())
        submission.properties["collectConstraints"]["squint"]  # "enabled" for a Point
    """

    geometry: dict[str, Any]
    properties: dict[str, Any]
    window_open: float
    window_close: float


@dataclass
class RepeatSubmission:
    """A valid ``POST /repeat-requests`` body with its series bounds in epoch seconds.

    Example::

        series = parse_repeat_body(body, now=time.time())
        series.interval_days, series.count, series.repeat_end
    """

    geometry: dict[str, Any]
    properties: dict[str, Any]
    repeat_start: float
    repeat_end: float | None
    interval_days: int
    count: int | None
    window_duration: float


def instrument_mode(collection_type: str) -> str:
    """``spotlight``, ``sliding_spotlight`` or ``stripmap``: the ``type`` a collection type images in."""
    return COLLECTION_TYPE_PROFILES[collection_type].instrument_mode


def parse_task_body(body: Any, now: float) -> TaskSubmission:
    """Validate a ``POST /task`` body.

    Example::

        parse_task_body({"geometry": {"type": "Point", "coordinates": [4.05, 51.95]},
                         "properties": {"taskingrequestName": "rotterdam"}}, now=time.time())
    """
    body, geometry, props = _feature_parts(body)
    window_open = _optional_time(props.get("windowOpen"), "properties.windowOpen", default=now)
    window_close = _optional_time(
        props.get("windowClose"), "properties.windowClose", default=window_open + DEFAULT_WINDOW_SECONDS
    )
    if window_close <= window_open:
        raise validation_error("windowClose must be later than windowOpen", "properties.windowClose")
    pre_approval = props.get("preApproval", props.get("pre_approval"))
    properties = {
        "taskingrequestName": _text(props, "taskingrequestName", default=""),
        "taskingrequestDescription": _text(props, "taskingrequestDescription", default=""),
        "windowOpen": iso(window_open),
        "windowClose": iso(window_close),
        "windowDuration": round(window_close - window_open),
        "collectionTier": _enum(props.get("collectionTier"), COLLECTION_TIERS, "properties.collectionTier")
        or "standard",
        "preApproval": _boolean(pre_approval, "properties.preApproval", default=False),
        **_shared_properties(body, props, geometry["type"]),
    }
    return TaskSubmission(geometry, properties, window_open, window_close)


def parse_repeat_body(body: Any, now: float) -> RepeatSubmission:
    """Validate a ``POST /repeat-requests`` body (``repeatEnd`` excludes ``repetitionCount``)."""
    body, geometry, props = _feature_parts(body)
    tier = (
        _enum(props.get("collectionTier"), REPEAT_COLLECTION_TIERS, "properties.collectionTier") or "routine"
    )
    repetition = _repetition(props.get("repetitionProperties"), now)
    default_duration = repetition["repetitionInterval"] * DAY_SECONDS
    window_duration = _number(
        props.get("windowDuration"), "properties.windowDuration", low=1.0, high=MAX_WINDOW_SECONDS
    )
    properties = {
        "repeatrequestName": _text(props, "repeatrequestName", default=""),
        "repeatrequestDescription": _text(props, "repeatrequestDescription", default=""),
        "collectionTier": tier,
        "windowDuration": round(window_duration or default_duration),
        "repetitionProperties": repetition,
        "insar": _insar(props.get("insar"), tier),
        **_shared_properties(body, props, geometry["type"]),
    }
    return RepeatSubmission(
        geometry=geometry,
        properties=properties,
        repeat_start=parse_time(repetition["repeatStart"], "properties.repetitionProperties.repeatStart"),
        repeat_end=None
        if repetition["repeatEnd"] is None
        else parse_time(repetition["repeatEnd"], "properties.repetitionProperties.repeatEnd"),
        interval_days=repetition["repetitionInterval"],
        count=repetition["repetitionCount"],
        window_duration=float(properties["windowDuration"]),
    )


def parse_update(body: Any, updatable: tuple[str, ...]) -> dict[str, Any]:
    """The changes of a ``PATCH`` body ``{"properties": {...}}``; any other property is a 400."""
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        raise validation_error("body must be an object with a 'properties' object", "properties")
    changes: dict[str, Any] = {}
    for key, value in body["properties"].items():
        path = f"properties.{key}"
        if key not in updatable:
            raise validation_error(f"{key} cannot be updated; updatable properties: {list(updatable)}", path)
        if key == "processingConfig":
            changes[key] = _processing_config(value)
        elif value is not None and not isinstance(value, str):
            raise validation_error(f"{key} must be a string or null", path)
        else:
            changes[key] = value
    return changes


def _feature_parts(body: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    if not isinstance(body, dict):
        raise validation_error("body must be a GeoJSON Feature object", "")
    if body.get("type", "Feature") != "Feature":
        raise validation_error(f"type must be 'Feature', got {body.get('type')!r}", "type")
    props = body.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise validation_error("properties must be an object", "properties")
    return body, validate_geometry(body.get("geometry")), props


def _shared_properties(body: dict[str, Any], props: dict[str, Any], geometry_type: str) -> dict[str, Any]:
    collection_type = (
        _enum(props.get("collectionType"), COLLECTION_TYPES, "properties.collectionType") or "spotlight"
    )
    holdback = _enum(props.get("archiveHoldback"), tuple(ARCHIVE_HOLDBACKS), "properties.archiveHoldback")
    contract_id = body.get("contractId", props.get("contractId"))
    if contract_id is not None and not isinstance(contract_id, str):
        raise validation_error("contractId must be a string", "contractId")
    return {
        "collectionType": collection_type,
        "type": instrument_mode(collection_type),
        "archiveHoldback": ARCHIVE_HOLDBACKS[holdback or "none"],
        "customAttribute1": _text(props, "customAttribute1", default=None),
        "customAttribute2": _text(props, "customAttribute2", default=None),
        "collectConstraints": normalize_constraints(props.get("collectConstraints"), geometry_type),
        "processingConfig": _processing_config(props.get("processingConfig")),
        "contractId": contract_id,
    }


def validate_geometry(geometry: Any) -> dict[str, Any]:
    """A GeoJSON Point or Polygon with coordinates in range (a copy, coordinates as floats)."""
    if not isinstance(geometry, dict):
        raise validation_error("geometry is required and must be a GeoJSON Point or Polygon", "geometry")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        return {"type": "Point", "coordinates": _position(coordinates, "geometry.coordinates")}
    if kind == "Polygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise validation_error(
                "Polygon coordinates must be a list of linear rings", "geometry.coordinates"
            )
        return {"type": "Polygon", "coordinates": [_ring(ring, i) for i, ring in enumerate(coordinates)]}
    raise validation_error(f"geometry type must be Point or Polygon, got {kind!r}", "geometry.type")


def _ring(ring: Any, index: int) -> list[list[float]]:
    path = f"geometry.coordinates.{index}"
    if not isinstance(ring, list) or len(ring) < 4:
        raise validation_error("a linear ring needs at least 4 positions", path)
    positions = [_position(position, f"{path}.{i}") for i, position in enumerate(ring)]
    if positions[0][:2] != positions[-1][:2]:
        raise validation_error("a linear ring must end where it starts", path)
    return positions


def _position(value: Any, path: str) -> list[float]:
    if not isinstance(value, list) or len(value) not in (2, 3) or not all(_is_number(v) for v in value):
        raise validation_error("a position must be [longitude, latitude] numbers", path)
    lon, lat = float(value[0]), float(value[1])
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise validation_error(f"position {value} is out of range (lon -180..180, lat -90..90)", path)
    return [float(v) for v in value]


def normalize_constraints(raw: Any, geometry_type: str) -> dict[str, Any]:
    """``collectConstraints`` validated, with defaults: either/either, squint by geometry, any local time."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise validation_error("collectConstraints must be an object", "properties.collectConstraints")
    path = "properties.collectConstraints."
    constraints = dict(raw)
    constraints["lookDirection"] = _enum(raw.get("lookDirection"), LOOK_DIRECTIONS, path + "lookDirection")
    constraints["ascDsc"] = _enum(raw.get("ascDsc"), ASC_DSC, path + "ascDsc")
    squint_default = "enabled" if geometry_type == "Point" else "disabled"
    constraints["squint"] = _enum(raw.get("squint"), SQUINT_MODES, path + "squint") or squint_default
    constraints["lookDirection"] = constraints["lookDirection"] or "either"
    constraints["ascDsc"] = constraints["ascDsc"] or "either"
    constraints["localTime"] = _local_time(raw.get("localTime"), path + "localTime")
    constraints["orbitalPlanes"] = _orbital_planes(raw.get("orbitalPlanes"), path + "orbitalPlanes")
    polarization = _enum(raw.get("polarization"), POLARIZATIONS, path + "polarization")
    _set_if_given(constraints, "polarization", polarization)
    for key, low, high in (
        ("offNadirMin", 0.0, 90.0),
        ("offNadirMax", 0.0, 90.0),
        ("azimuthAngleMin", 0.0, 360.0),
        ("azimuthAngleMax", 0.0, 360.0),
        ("maxSquintAngle", 0.0, 90.0),
        ("imageWidth", 1.0, 1_000_000.0),
        ("imageLength", 1.0, 1_000_000.0),
    ):
        _set_if_given(constraints, key, _number(raw.get(key), path + key, low=low, high=high))
    low_nadir, high_nadir = constraints.get("offNadirMin"), constraints.get("offNadirMax")
    if low_nadir is not None and high_nadir is not None and low_nadir >= high_nadir:
        raise validation_error("offNadirMin must be less than offNadirMax", path + "offNadirMin")
    return constraints


def _set_if_given(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _local_time(value: Any, path: str) -> list[list[int]]:
    if value is None:
        return [list(window) for window in LOCAL_TIME_PRESETS["anytime"]]
    if isinstance(value, str):
        if value not in LOCAL_TIME_PRESETS:
            raise validation_error(f"localTime must be one of {list(LOCAL_TIME_PRESETS)} or ranges", path)
        return [list(window) for window in LOCAL_TIME_PRESETS[value]]
    if isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value):
        value = [value]
    if not isinstance(value, list) or not value:
        raise validation_error("localTime must be a preset or a list of [start, end] seconds of day", path)
    windows = []
    for window in value:
        ok = isinstance(window, list) and len(window) == 2 and all(_is_number(v) for v in window)
        if not ok or not 0 <= window[0] < window[1] <= DAY_SECONDS:
            raise validation_error(
                "each localTime range is [start, end] with 0 <= start < end <= 86400", path
            )
        windows.append([int(window[0]), int(window[1])])
    return windows


def _orbital_planes(value: Any, path: str) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list) or any(plane not in ORBITAL_PLANES or _is_bool(plane) for plane in value):
        raise validation_error(f"orbitalPlanes must be a list of {list(ORBITAL_PLANES)}", path)
    return [int(plane) for plane in value]


def _processing_config(value: Any) -> dict[str, Any] | None:
    path = "properties.processingConfig"
    if value is None:
        return None
    if not isinstance(value, dict):
        raise validation_error("processingConfig must be an object", path)
    unknown = set(value) - {"productTypes"}
    if unknown:
        raise validation_error(
            f"unknown processingConfig field(s) {sorted(unknown)}", f"{path}.{min(unknown)}"
        )
    product_types = value.get("productTypes")
    if product_types is None:
        return {"productTypes": None}
    if not isinstance(product_types, list) or not all(isinstance(p, str) for p in product_types):
        raise validation_error("productTypes must be a list of product type names", f"{path}.productTypes")
    normalized = [p.upper() for p in product_types]
    unknown_types = [p for p in normalized if p not in ALL_PRODUCT_TYPES]
    if unknown_types:
        raise validation_error(
            f"unknown product type(s) {unknown_types}; accepted: {list(ALL_PRODUCT_TYPES)}",
            f"{path}.productTypes",
        )
    return {"productTypes": list(dict.fromkeys(normalized))}


def _repetition(raw: Any, now: float) -> dict[str, Any]:
    path = "properties.repetitionProperties"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise validation_error("repetitionProperties must be an object", path)
    if raw.get("repeatEnd") is not None and raw.get("repetitionCount") is not None:
        raise validation_error("only one of repeatEnd and repetitionCount can be defined", path)
    start = _optional_time(raw.get("repeatStart"), f"{path}.repeatStart", default=now)
    end = None if raw.get("repeatEnd") is None else parse_stored_time(raw["repeatEnd"], f"{path}.repeatEnd")
    if end is not None and end <= start:
        raise validation_error("repeatEnd must be later than repeatStart", f"{path}.repeatEnd")
    interval = _integer(raw.get("repetitionInterval"), f"{path}.repetitionInterval", low=1, high=365)
    maintain = _boolean(raw.get("maintainSceneFraming"), f"{path}.maintainSceneFraming", default=False)
    return {
        "repeatStart": iso(start),
        "repeatEnd": None if end is None else iso(end),
        "repetitionInterval": interval or DEFAULT_REPETITION_INTERVAL_DAYS,
        "repetitionCount": _integer(
            raw.get("repetitionCount"), f"{path}.repetitionCount", low=1, high=10_000
        ),
        "maintainSceneFraming": maintain,
        "lookAngleTolerance": _number(raw.get("lookAngleTolerance"), f"{path}.lookAngleTolerance", low=0.0),
        "azimuthAngleTolerance": _number(
            raw.get("azimuthAngleTolerance"), f"{path}.azimuthAngleTolerance", low=0.0
        ),
    }


def _insar(raw: Any, tier: str) -> dict[str, Any] | None:
    path = "properties.insar"
    if raw is None:
        if tier in INSAR_TIERS:
            raise validation_error(
                f"collectionTier {tier} needs insar.orbit, one of {list(INSAR_ORBITS)}", path
            )
        return None
    if not isinstance(raw, dict):
        raise validation_error("insar must be an object {orbit}", path)
    orbit = _enum(raw.get("orbit"), INSAR_ORBITS, f"{path}.orbit")
    if orbit is None:
        raise validation_error(f"insar.orbit is required, one of {list(INSAR_ORBITS)}", f"{path}.orbit")
    return {"orbit": orbit}


def _optional_time(value: Any, path: str, default: float) -> float:
    return default if value is None else parse_stored_time(value, path)


def _text(props: dict[str, Any], key: str, default: str | None) -> str | None:
    value = props.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise validation_error(f"{key} must be a string", f"properties.{key}")
    return value


def _enum(value: Any, allowed: tuple[Any, ...], path: str) -> Any:
    if value is None:
        return None
    if _is_bool(value) or value not in allowed:
        raise validation_error(f"{value!r} is not one of {list(allowed)}", path)
    return value


def _boolean(value: Any, path: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise validation_error(f"must be true or false, got {value!r}", path)
    return value


def _number(value: Any, path: str, low: float = -math.inf, high: float = math.inf) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or not low <= value <= high:
        raise validation_error(f"must be a number between {low} and {high}, got {value!r}", path)
    return value  # type: ignore[no-any-return]


def _integer(value: Any, path: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not _is_number(value) or int(value) != value or not low <= value <= high:
        raise validation_error(f"must be an integer between {low} and {high}, got {value!r}", path)
    return int(value)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def require_uuid(value: str, path: str) -> None:
    """A 400 naming ``path`` unless ``value`` is a UUID."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise validation_error(f"{path} must be a UUID, got {value!r}", path) from None


def finalized_error(kind: str, identifier: str, status: str) -> ApiError:
    return ApiError(
        400, FINALIZED_ERROR, f"{kind} {identifier} is already {status} and can no longer be updated"
    )


def status_word(body: Any, keys: tuple[str, ...]) -> str:
    """The lower-cased status a ``PATCH .../status`` body asks for, from the first of ``keys`` present."""
    if not isinstance(body, dict):
        raise validation_error("body must be an object like {'status': 'canceled'}", keys[0])
    for key in keys:
        value = body.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise validation_error(f"{key} must be a string", key)
            return value.lower()
    raise validation_error(f"body needs {' or '.join(repr(k) for k in keys)}", keys[0])
