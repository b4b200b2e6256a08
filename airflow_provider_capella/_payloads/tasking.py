"""Tasking and repeat request creation: user keyword arguments → validated ``POST /task`` and
``POST /repeat-requests`` bodies (same argument names and defaults as the official SDK).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import vocabulary as vocab

DEFAULT_WINDOW = timedelta(days=7)


def build_tasking_request(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The ``POST /task`` body for ``create_tasking_request(**arguments)``.

    Example::

        build_tasking_request({"geometry": {"type": "Point", "coordinates": [-105.1, 40.2]}, "name": "x"})
    """
    return _call_checked(_tasking_request_body, arguments, "create_tasking_request")


def build_repeat_request(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The ``POST /repeat-requests`` body for ``create_repeat_request(**arguments)``."""
    return _call_checked(_repeat_request_body, arguments, "create_repeat_request")


def _call_checked(builder: Callable[..., dict[str, Any]], arguments: Mapping[str, Any], where: str) -> Any:
    accepted = [name for name in inspect.signature(builder).parameters if not name.startswith("_")]
    checks.reject_unknown(arguments, accepted, where)
    if arguments.get("geometry") is None:
        checks.fail("geometry", "is required: a GeoJSON Point or Polygon")
    return builder(**arguments)


def _tasking_request_body(
    *,
    geometry: Any,
    name: str = "",
    description: str | None = "",
    collection_type: str = "spotlight",
    collection_tier: str = "standard",
    window_open: datetime | str | None = None,
    window_close: datetime | str | None = None,
    local_time: str | list[Any] | None = None,
    product_types: list[str] | None = None,
    off_nadir_min: float | None = None,
    off_nadir_max: float | None = None,
    image_width: float | None = None,
    orbital_planes: list[int] | None = None,
    asc_dsc: str | None = "either",
    look_direction: str | None = "either",
    polarization: str | None = None,
    archive_holdback: str | None = "none",
    custom_attribute_1: str | None = None,
    custom_attribute_2: str | None = None,
    pre_approval: bool = False,
    azimuth_angle_min: float | None = None,
    azimuth_angle_max: float | None = None,
    squint: str | None = None,
    max_squint_angle: float | None = None,
    contract_id: str | None = None,
) -> dict[str, Any]:
    arguments = dict(locals())
    shape = checks.geometry("geometry", geometry, allowed=("Point", "Polygon"))
    opens, closes = window(window_open, window_close)
    properties: dict[str, Any] = {
        "taskingrequestName": checks.text("name", name),
        "taskingrequestDescription": _optional_text("description", description),
        "windowOpen": checks.iso_utc(opens),
        "windowClose": checks.iso_utc(closes),
        "collectionTier": checks.choice("collection_tier", collection_tier, vocab.TASKING_COLLECTION_TIERS),
        "preApproval": checks.boolean("pre_approval", pre_approval),
        **_common_properties(collection_type, archive_holdback, custom_attribute_1, custom_attribute_2),
        "collectConstraints": collect_constraints(_constraint_arguments(arguments), shape["type"]),
    }
    return _feature(shape, properties, product_types, contract_id)


def _repeat_request_body(
    *,
    geometry: Any,
    name: str = "",
    description: str | None = "",
    collection_type: str = "spotlight",
    collection_tier: str = "routine",
    repeat_start: datetime | str | None = None,
    repeat_end: datetime | str | None = None,
    repetition_interval: int | None = 7,
    repetition_count: int | None = None,
    local_time: str | list[Any] | None = None,
    product_types: list[str] | None = None,
    off_nadir_min: float | None = None,
    off_nadir_max: float | None = None,
    image_width: float | None = None,
    orbital_planes: list[int] | None = None,
    asc_dsc: str | None = "either",
    look_direction: str | None = "either",
    polarization: str | None = None,
    archive_holdback: str | None = "none",
    custom_attribute_1: str | None = None,
    custom_attribute_2: str | None = None,
    azimuth_angle_min: float | None = None,
    azimuth_angle_max: float | None = None,
    squint: str | None = None,
    max_squint_angle: float | None = None,
    contract_id: str | None = None,
    maintain_scene_framing: bool | None = None,
    look_angle_tolerance: float | None = None,
    azimuth_angle_tolerance: float | None = None,
    window_duration: float | None = None,
    insar_orbit: str | None = None,
) -> dict[str, Any]:
    arguments = dict(locals())
    shape = checks.geometry("geometry", geometry, allowed=("Point", "Polygon"))
    tier = checks.choice("collection_tier", collection_tier, vocab.REPEAT_COLLECTION_TIERS)
    properties: dict[str, Any] = {
        "repeatrequestName": checks.text("name", name),
        "repeatrequestDescription": _optional_text("description", description),
        "collectionTier": tier,
        **_common_properties(collection_type, archive_holdback, custom_attribute_1, custom_attribute_2),
        "collectConstraints": collect_constraints(_constraint_arguments(arguments), shape["type"]),
        "repetitionProperties": repetition_properties(arguments),
    }
    if window_duration is not None:
        properties["windowDuration"] = checks.number("window_duration", window_duration, positive=True)
    if insar_orbit is not None:
        properties["insar"] = {"orbit": checks.choice("insar_orbit", insar_orbit, vocab.INSAR_ORBITS)}
    elif tier in vocab.INSAR_TIERS:
        checks.fail(
            "insar_orbit", f"is required for collection_tier {tier!r}; accepted: {vocab.INSAR_ORBITS}"
        )
    return _feature(shape, _without_none(properties), product_types, contract_id)


CONSTRAINT_ARGUMENTS = (
    "off_nadir_min",
    "off_nadir_max",
    "image_width",
    "orbital_planes",
    "asc_dsc",
    "look_direction",
    "local_time",
    "polarization",
    "azimuth_angle_min",
    "azimuth_angle_max",
    "squint",
    "max_squint_angle",
)


def window(opens: datetime | str | None, closes: datetime | str | None) -> tuple[datetime, datetime]:
    """UTC window: open defaults to now, close to open + 7 days; close must come after open."""
    start = checks.utc_datetime("window_open", opens) if opens is not None else datetime.now(timezone.utc)
    end = checks.utc_datetime("window_close", closes) if closes is not None else start + DEFAULT_WINDOW
    if end <= start:
        checks.fail(
            "window_close",
            f"must be after window_open ({checks.iso_utc(start)} UTC), got {checks.iso_utc(end)} UTC",
        )
    return start, end


def collect_constraints(arguments: Mapping[str, Any], geometry_type: str) -> dict[str, Any]:
    """``collectConstraints``: angles in range, min < max, enums checked, squint defaulted by geometry."""
    given = {key: value for key, value in arguments.items() if value is not None}
    constraints: dict[str, Any] = {}
    for key in ("off_nadir_min", "off_nadir_max", "max_squint_angle"):
        if key in given:
            constraints[_camel(key)] = checks.number(key, given[key], minimum=0, maximum=90)
    for key in ("azimuth_angle_min", "azimuth_angle_max"):
        if key in given:
            constraints[_camel(key)] = checks.number(key, given[key], minimum=0, maximum=360)
    _check_min_below_max(given, "off_nadir_min", "off_nadir_max")
    _check_min_below_max(given, "azimuth_angle_min", "azimuth_angle_max")
    if "image_width" in given:
        constraints["imageWidth"] = checks.number("image_width", given["image_width"], positive=True)
    if "orbital_planes" in given:
        constraints["orbitalPlanes"] = checks.choices(
            "orbital_planes", given["orbital_planes"], vocab.ORBITAL_PLANES
        )
    for key, accepted in (
        ("asc_dsc", vocab.ASC_DSC),
        ("look_direction", vocab.LOOK_DIRECTIONS),
        ("polarization", vocab.POLARIZATIONS),
    ):
        if key in given:
            constraints[_camel(key)] = checks.choice(key, given[key], accepted)
    if "local_time" in given:
        constraints["localTime"] = local_time_ranges(given["local_time"])
    default_squint = "enabled" if geometry_type == "Point" else "disabled"
    constraints["squint"] = checks.choice("squint", given.get("squint", default_squint), vocab.SQUINT_MODES)
    return constraints


def local_time_ranges(value: Any) -> list[list[int]]:
    """``"day" | "night" | "anytime"`` or ``[[start, end], ...]`` seconds of the day (0..86400, start<end)."""
    if isinstance(value, str):
        option = checks.choice("local_time", value, vocab.LOCAL_TIME_OPTIONS)
        return [list(pair) for pair in vocab.LOCAL_TIME_OPTIONS[option]]
    ranges = checks.as_list("local_time", value)
    if len(ranges) == 2 and all(isinstance(item, int | float) for item in ranges):
        ranges = [ranges]  # a single flat [start, end]
    checked = []
    for pair in ranges:
        if isinstance(pair, str) or not isinstance(pair, list | tuple) or len(pair) != 2:
            checks.fail(
                "local_time", f"expected 'day', 'night', 'anytime' or [[start, end], ...], got {value!r}"
            )
        start, end = (
            checks.number("local_time", item, minimum=0, maximum=vocab.DAY_SECONDS, integer=True)
            for item in pair
        )
        if start >= end:
            checks.fail(
                "local_time", f"range start {start} must be before its end {end} (seconds of the day)"
            )
        checked.append([int(start), int(end)])
    return checked


def repetition_properties(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``repetitionProperties``: start (default now), end xor count, positive interval, tolerances."""
    end, count = arguments.get("repeat_end"), arguments.get("repetition_count")
    if end is not None and count is not None:
        checks.fail("repeat_end", "repeat_end and repetition_count are mutually exclusive; give only one")
    given_start = arguments.get("repeat_start")
    start = (
        checks.utc_datetime("repeat_start", given_start)
        if given_start is not None
        else datetime.now(timezone.utc)
    )
    properties: dict[str, Any] = {"repeatStart": checks.iso_utc(start)}
    if end is not None:
        finish = checks.utc_datetime("repeat_end", end)
        if finish <= start:
            checks.fail("repeat_end", f"must be after repeat_start ({checks.iso_utc(start)} UTC)")
        properties["repeatEnd"] = checks.iso_utc(finish)
    if count is not None:
        properties["repetitionCount"] = checks.number("repetition_count", count, positive=True, integer=True)
    interval = arguments.get("repetition_interval")
    if interval is not None:
        properties["repetitionInterval"] = checks.number(
            "repetition_interval", interval, positive=True, integer=True
        )
    if arguments.get("maintain_scene_framing") is not None:
        properties["maintainSceneFraming"] = checks.boolean(
            "maintain_scene_framing", arguments["maintain_scene_framing"]
        )
    for key in ("look_angle_tolerance", "azimuth_angle_tolerance"):
        if arguments.get(key) is not None:
            properties[_camel(key)] = checks.number(key, arguments[key], minimum=0, maximum=360)
    return properties


def product_type_list(argument: str, value: Any) -> list[str]:
    return checks.choices(argument, value, vocab.PRODUCT_TYPES)


def _common_properties(
    collection_type: Any, archive_holdback: Any, custom_attribute_1: Any, custom_attribute_2: Any
) -> dict[str, Any]:
    holdback = archive_holdback
    if isinstance(holdback, str):
        holdback = vocab.ARCHIVE_HOLDBACK_ALIASES.get(holdback.strip().lower(), holdback)
    return _without_none(
        {
            "collectionType": checks.choice("collection_type", collection_type, vocab.COLLECTION_TYPES),
            "archiveHoldback": None
            if holdback is None
            else checks.choice("archive_holdback", holdback, vocab.ARCHIVE_HOLDBACKS),
            "customAttribute1": _optional_text("custom_attribute_1", custom_attribute_1),
            "customAttribute2": _optional_text("custom_attribute_2", custom_attribute_2),
        }
    )


def _feature(
    shape: dict[str, Any], properties: dict[str, Any], product_types: Any, contract_id: Any
) -> dict[str, Any]:
    properties = _without_none(properties)
    if product_types is not None:
        properties["processingConfig"] = {"productTypes": product_type_list("product_types", product_types)}
    body: dict[str, Any] = {"type": "Feature", "geometry": shape, "properties": properties}
    if contract_id:
        body["contractId"] = checks.text("contract_id", contract_id, allow_empty=False)
    return body


def _constraint_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in arguments.items() if key in CONSTRAINT_ARGUMENTS}


def _check_min_below_max(given: Mapping[str, Any], low: str, high: str) -> None:
    if low in given and high in given and not given[low] < given[high]:
        checks.fail(low, f"must be less than {high} ({given[low]} >= {given[high]})")


def _optional_text(argument: str, value: Any) -> str | None:
    return None if value is None else checks.text(argument, value)


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)
