"""Validation of tasking and repeat request bodies: each mistake is a 400 ``VALIDATION_ERROR`` naming a path.

The parsers return the normalised properties the emulator stores and echoes back: enum spellings made
canonical (``one_year`` -> ``1_year``), constraints with the server's defaults (:mod:`.tasking_constraints`),
geometries checked by :mod:`.tasking_geometry`. The rules the real API enforces: a minimum window per tier
(urgent 24 h, priority 72 h, standard 7 days; one minute of grace for clock skew), a Point-only repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from capella_emulator.config import DAY_SECONDS
from capella_emulator.errors import validation_error
from capella_emulator.stac_items import COLLECTION_TYPE_PROFILES, COLLECTION_TYPES
from capella_emulator.tasking_constraints import (
    normalize_constraints,
    processing_config,
)
from capella_emulator.tasking_geometry import require_point, validate_geometry
from capella_emulator.tasking_time import iso, parse_stored_time, parse_time
from capella_emulator.tasking_values import (
    boolean,
    enum_value,
    integer,
    number,
    optional_time,
    text_property,
)

# The tier and holdback vocabularies mirror the provider's _payloads/vocabulary.py (kept apart as an oracle).
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
CANCEL_WORDS = ("canceled", "cancelled")
DEFAULT_WINDOW_SECONDS = 7 * DAY_SECONDS
MIN_WINDOW_SECONDS = {"urgent": DAY_SECONDS, "priority": 3 * DAY_SECONDS, "standard": 7 * DAY_SECONDS}
WINDOW_GRACE_SECONDS = 60.0
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
    window_open = optional_time(props.get("windowOpen"), "properties.windowOpen", default=now)
    window_close = optional_time(
        props.get("windowClose"), "properties.windowClose", default=window_open + DEFAULT_WINDOW_SECONDS
    )
    if window_close <= window_open:
        raise validation_error("windowClose must be later than windowOpen", "properties.windowClose")
    tier = (
        enum_value(props.get("collectionTier"), COLLECTION_TIERS, "properties.collectionTier") or "standard"
    )
    _check_window_for_tier(tier, window_close - window_open)
    properties = {
        "taskingrequestName": text_property(props, "taskingrequestName", default=""),
        "taskingrequestDescription": text_property(props, "taskingrequestDescription", default=""),
        "windowOpen": iso(window_open),
        "windowClose": iso(window_close),
        "windowDuration": round(window_close - window_open),
        "collectionTier": tier,
        **_shared_properties(body, props, geometry["type"]),
    }
    return TaskSubmission(geometry, properties, window_open, window_close)


def _check_window_for_tier(tier: str, seconds: float) -> None:
    minimum = MIN_WINDOW_SECONDS.get(tier)
    if minimum is not None and seconds + WINDOW_GRACE_SECONDS < minimum:
        hours = minimum / 3600
        raise validation_error(
            f"a {tier} tasking request needs a window of at least {hours:g} hours "
            f"(windowClose - windowOpen), got {seconds / 3600:.2f} hours",
            "properties.windowClose",
            "too_small",
        )


def parse_repeat_body(body: Any, now: float) -> RepeatSubmission:
    """Validate a ``POST /repeat-requests`` body (``repeatEnd`` excludes ``repetitionCount``)."""
    body, geometry, props = _feature_parts(body)
    require_point(geometry)
    tier = (
        enum_value(props.get("collectionTier"), REPEAT_COLLECTION_TIERS, "properties.collectionTier")
        or "routine"
    )
    repetition = _repetition(props.get("repetitionProperties"), now)
    default_duration = repetition["repetitionInterval"] * DAY_SECONDS
    window_duration = number(
        props.get("windowDuration"), "properties.windowDuration", low=1.0, high=MAX_WINDOW_SECONDS
    )
    properties = {
        "repeatrequestName": text_property(props, "repeatrequestName", default=""),
        "repeatrequestDescription": text_property(props, "repeatrequestDescription", default=""),
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
    """Return the changes of a ``PATCH`` body ``{"properties": {...}}``; any other property is a 400."""
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        raise validation_error("body must be an object with a 'properties' object", "properties")
    changes: dict[str, Any] = {}
    for key, value in body["properties"].items():
        path = f"properties.{key}"
        if key not in updatable:
            raise validation_error(f"{key} cannot be updated; updatable properties: {list(updatable)}", path)
        if key == "processingConfig":
            changes[key] = processing_config(value)
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
        enum_value(props.get("collectionType"), COLLECTION_TYPES, "properties.collectionType") or "spotlight"
    )
    holdback = enum_value(
        props.get("archiveHoldback"), tuple(ARCHIVE_HOLDBACKS), "properties.archiveHoldback"
    )
    contract_id = body.get("contractId", props.get("contractId"))
    if contract_id is not None and not isinstance(contract_id, str):
        raise validation_error("contractId must be a string", "contractId")
    pre_approval = props.get("preApproval", props.get("pre_approval"))
    return {
        "preApproval": boolean(pre_approval, "properties.preApproval", default=False),
        "collectionType": collection_type,
        "type": instrument_mode(collection_type),
        "archiveHoldback": ARCHIVE_HOLDBACKS[holdback or "none"],
        "customAttribute1": text_property(props, "customAttribute1", default=None),
        "customAttribute2": text_property(props, "customAttribute2", default=None),
        "collectConstraints": normalize_constraints(
            props.get("collectConstraints"), geometry_type, collection_type
        ),
        "processingConfig": processing_config(props.get("processingConfig")),
        "contractId": contract_id,
    }


def _repetition(raw: Any, now: float) -> dict[str, Any]:
    path = "properties.repetitionProperties"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise validation_error("repetitionProperties must be an object", path)
    if raw.get("repeatEnd") is not None and raw.get("repetitionCount") is not None:
        raise validation_error("only one of repeatEnd and repetitionCount can be defined", path)
    start = optional_time(raw.get("repeatStart"), f"{path}.repeatStart", default=now)
    end = None if raw.get("repeatEnd") is None else parse_stored_time(raw["repeatEnd"], f"{path}.repeatEnd")
    if end is not None and end <= start:
        raise validation_error("repeatEnd must be later than repeatStart", f"{path}.repeatEnd")
    interval = integer(raw.get("repetitionInterval"), f"{path}.repetitionInterval", low=1, high=365)
    maintain = boolean(raw.get("maintainSceneFraming"), f"{path}.maintainSceneFraming", default=False)
    return {
        "repeatStart": iso(start),
        "repeatEnd": None if end is None else iso(end),
        "repetitionInterval": interval or DEFAULT_REPETITION_INTERVAL_DAYS,
        "repetitionCount": integer(raw.get("repetitionCount"), f"{path}.repetitionCount", low=1, high=10_000),
        "maintainSceneFraming": maintain,
        "lookAngleTolerance": number(raw.get("lookAngleTolerance"), f"{path}.lookAngleTolerance", low=0.0),
        "azimuthAngleTolerance": number(
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
    orbit = enum_value(raw.get("orbit"), INSAR_ORBITS, f"{path}.orbit")
    if orbit is None:
        raise validation_error(f"insar.orbit is required, one of {list(INSAR_ORBITS)}", f"{path}.orbit")
    return {"orbit": orbit}
