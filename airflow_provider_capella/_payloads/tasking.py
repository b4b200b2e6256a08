"""Tasking and repeat request creation: the SDK's arguments → ``POST /task``, ``/repeat-requests`` bodies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import vocabulary as vocab
from airflow_provider_capella._payloads.checks import without_none
from airflow_provider_capella._payloads.tasking_rules import (
    check_window_for_tier,
    repeat_geometry,
    tasking_geometry,
)

DEFAULT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class CollectConstraints:
    """The collect constraints a tasking or repeat request shares (``None``: not constrained)."""

    off_nadir_min: float | None = None
    off_nadir_max: float | None = None
    image_width: float | None = None
    orbital_planes: list[int] | None = None
    asc_dsc: str | None = None
    look_direction: str | None = None
    local_time: str | list[Any] | None = None
    polarization: str | None = None
    azimuth_angle_min: float | None = None
    azimuth_angle_max: float | None = None
    squint: str | None = None
    max_squint_angle: float | None = None

    def body(self, geometry_type: str) -> dict[str, Any]:
        """Return the validated ``collectConstraints``; squint defaults to enabled on a Point only."""
        squint = (
            ("enabled" if geometry_type == "Point" else "disabled") if self.squint is None else self.squint
        )
        return checked_constraints(asdict(self)) | {
            "squint": checks.choice("squint", squint, vocab.SQUINT_MODES)
        }


@dataclass(frozen=True)
class RequestBasics:
    """What describes a tasking or repeat request besides its constraints and timing."""

    geometry: Any
    name: str = ""
    description: str | None = ""
    collection_type: str = "spotlight"
    product_types: list[str] | None = None
    archive_holdback: str | None = "none"
    custom_attribute_1: str | None = None
    custom_attribute_2: str | None = None
    contract_id: str | None = None


@dataclass(frozen=True)
class Repetition:
    """How a repeat request repeats (see ``CapellaHook.create_repeat_request``)."""

    repeat_start: datetime | str | None = None
    repeat_end: datetime | str | None = None
    repetition_interval: int | None = 7
    repetition_count: int | None = None
    maintain_scene_framing: bool | None = None
    look_angle_tolerance: float | None = None
    azimuth_angle_tolerance: float | None = None


_BASIC = tuple(f.name for cls in (RequestBasics, CollectConstraints) for f in fields(cls))
TASKING_ARGUMENTS = (*_BASIC, "collection_tier", "window_open", "window_close", "pre_approval")
_REPEATING = tuple(f.name for f in fields(Repetition))
REPEAT_ARGUMENTS = (*_BASIC, *_REPEATING, "collection_tier", "window_duration", "insar_orbit")


def tasking_request_body(
    basics: RequestBasics,
    constraints: CollectConstraints,
    *,
    collection_tier: str,
    window_open: datetime | str | None,
    window_close: datetime | str | None,
    pre_approval: bool,
) -> dict[str, Any]:
    """Build the ``POST /task`` body, every argument checked first."""
    shape = tasking_geometry("geometry", basics.geometry)
    opens, closes = window(window_open, window_close)
    tier = checks.choice("collection_tier", collection_tier, vocab.TASKING_COLLECTION_TIERS)
    check_window_for_tier(tier, opens, closes)
    properties = {
        "windowOpen": checks.iso_utc(opens),
        "windowClose": checks.iso_utc(closes),
        "collectionTier": tier,
        "preApproval": checks.boolean("pre_approval", pre_approval),
    }
    return _feature(basics, constraints, shape, "taskingrequest", properties)


def repeat_request_body(
    basics: RequestBasics,
    constraints: CollectConstraints,
    repetition: Repetition,
    *,
    collection_tier: str,
    window_duration: float | None,
    insar_orbit: str | None,
) -> dict[str, Any]:
    """Build the ``POST /repeat-requests`` body, every argument checked first."""
    shape = repeat_geometry("geometry", basics.geometry)
    tier = checks.choice("collection_tier", collection_tier, vocab.REPEAT_COLLECTION_TIERS)
    own: dict[str, Any] = {"collectionTier": tier, "repetitionProperties": _repetition(asdict(repetition))}
    if window_duration is not None:
        own["windowDuration"] = checks.number("window_duration", window_duration, positive=True)
    if insar_orbit is not None:
        own["insar"] = {"orbit": checks.choice("insar_orbit", insar_orbit, vocab.INSAR_ORBITS)}
    elif tier in vocab.INSAR_TIERS:
        checks.fail(
            "insar_orbit", f"is required for collection_tier {tier!r}; accepted: {vocab.INSAR_ORBITS}"
        )
    return _feature(basics, constraints, shape, "repeatrequest", own)


def window(opens: datetime | str | None, closes: datetime | str | None) -> tuple[datetime, datetime]:
    """UTC window: open defaults to now, close to open + 7 days; close must come after open."""
    start = _moment("window_open", opens, datetime.now(timezone.utc))
    end = _moment("window_close", closes, start + DEFAULT_WINDOW)
    if end <= start:
        checks.fail(
            "window_close",
            f"must be after window_open ({checks.iso_utc(start)} UTC), got {checks.iso_utc(end)} UTC",
        )
    return start, end


def _with(check: Callable[..., Any], *args: Any, **options: Any) -> Callable[[str, Any], Any]:
    return lambda key, value: check(key, value, *args, **options)


def _local_time(key: str, value: Any) -> list[list[int]]:
    """``"day" | "night" | "anytime"`` or ``[[start, end], ...]`` seconds of the day (0..86400, start<end)."""
    if isinstance(value, str):
        option = checks.choice(key, value, vocab.LOCAL_TIME_OPTIONS)
        return [list(pair) for pair in vocab.LOCAL_TIME_OPTIONS[option]]
    ranges = checks.as_list(key, value)
    if len(ranges) == 2 and all(isinstance(item, int | float) for item in ranges):
        ranges = [ranges]  # a single flat [start, end]
    checked = []
    for pair in ranges:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            checks.fail(key, f"expected 'day', 'night', 'anytime' or [[start, end], ...], got {value!r}")
        start, end = (
            checks.number(key, item, minimum=0, maximum=vocab.DAY_SECONDS, integer=True) for item in pair
        )
        if start >= end:
            checks.fail(key, f"range start {start} must be before its end {end} (seconds of the day)")
        checked.append([int(start), int(end)])
    return checked


_ANGLE, _AZIMUTH = _with(checks.number, minimum=0, maximum=90), _with(checks.number, minimum=0, maximum=360)
_SIZE, _COUNT = _with(checks.number, positive=True), _with(checks.number, positive=True, integer=True)
CONSTRAINT_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "off_nadir_min": _ANGLE, "off_nadir_max": _ANGLE, "max_squint_angle": _ANGLE,
    "azimuth_angle_min": _AZIMUTH, "azimuth_angle_max": _AZIMUTH, "image_width": _SIZE, "image_length": _SIZE,
    "orbital_planes": _with(checks.choices, vocab.ORBITAL_PLANES), "local_time": _local_time,
    "look_direction": _with(checks.choice, vocab.LOOK_DIRECTIONS),
    "polarization": _with(checks.choice, vocab.POLARIZATIONS), "asc_dsc": _with(checks.choice, vocab.ASC_DSC),
    "repetition_count": _COUNT, "repetition_interval": _COUNT, "maintain_scene_framing": checks.boolean,
    "look_angle_tolerance": _AZIMUTH, "azimuth_angle_tolerance": _AZIMUTH,
}  # fmt: skip
"""How each collect constraint or repetition argument is checked (tasking, repeat, access); camelCased."""


def checked_constraints(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Return the wire form of the given ``CONSTRAINT_CHECKS`` arguments (``None`` left out); min < max."""
    given = {key: value for key, value in arguments.items() if value is not None and key in CONSTRAINT_CHECKS}
    wire = {_camel(key): CONSTRAINT_CHECKS[key](key, value) for key, value in given.items()}
    for low, high in (("off_nadir_min", "off_nadir_max"), ("azimuth_angle_min", "azimuth_angle_max")):
        if low in given and high in given and not given[low] < given[high]:
            checks.fail(low, f"must be less than {high} ({given[low]} >= {given[high]})")
    return wire


def _repetition(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``repetitionProperties``: start (default now), end xor count, positive interval, tolerances."""
    end, count = arguments.get("repeat_end"), arguments.get("repetition_count")
    if end is not None and count is not None:
        checks.fail("repeat_end", "repeat_end and repetition_count are mutually exclusive; give only one")
    start = _moment("repeat_start", arguments.get("repeat_start"), datetime.now(timezone.utc))
    properties: dict[str, Any] = {"repeatStart": checks.iso_utc(start)}
    if end is not None:
        finish = checks.utc_datetime("repeat_end", end)
        if finish <= start:
            checks.fail("repeat_end", f"must be after repeat_start ({checks.iso_utc(start)} UTC)")
        properties["repeatEnd"] = checks.iso_utc(finish)
    return properties | checked_constraints(arguments)


def _feature(
    basics: RequestBasics,
    constraints: CollectConstraints,
    shape: dict[str, Any],
    prefix: str,
    own: dict[str, Any],
) -> dict[str, Any]:
    """Build the request Feature from ``basics``, ``constraints`` and the kind's ``own`` properties."""
    holdback = basics.archive_holdback
    if holdback is not None:
        holdback = vocab.ARCHIVE_HOLDBACK_ALIASES.get(str(holdback).strip().lower(), holdback)
        holdback = checks.choice("archive_holdback", holdback, vocab.ARCHIVE_HOLDBACKS)
    properties = {
        f"{prefix}Name": checks.text("name", basics.name),
        f"{prefix}Description": _optional_text("description", basics.description),
        "collectionType": checks.choice("collection_type", basics.collection_type, vocab.COLLECTION_TYPES),
        "archiveHoldback": holdback,
        "customAttribute1": _optional_text("custom_attribute_1", basics.custom_attribute_1),
        "customAttribute2": _optional_text("custom_attribute_2", basics.custom_attribute_2),
        **own,
        "collectConstraints": constraints.body(shape["type"]),
    }
    if basics.product_types is not None:
        properties["processingConfig"] = {
            "productTypes": checks.choices("product_types", basics.product_types, vocab.PRODUCT_TYPES)
        }
    body: dict[str, Any] = {"type": "Feature", "geometry": shape, "properties": without_none(properties)}
    if basics.contract_id:
        body["contractId"] = checks.text("contract_id", basics.contract_id, allow_empty=False)
    return body


def _optional_text(argument: str, value: Any) -> str | None:
    return None if value is None else checks.text(argument, value)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _moment(argument: str, value: Any, default: datetime) -> datetime:
    return default if value is None else checks.utc_datetime(argument, value)
