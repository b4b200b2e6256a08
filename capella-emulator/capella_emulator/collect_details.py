"""One collect by id: ``GET /collects/{collectId}`` and ``GET /collects/status/{collectId}``.

The collect is the one ``GET /collects/list/{taskingrequestId}`` shows, with the details Capella's
collect records also carry added where that listing lacks them (existing fields are never replaced):

- ``centerEcef``: the centre in WGS84 Earth-centred, Earth-fixed metres;
- ``accessProperties.azimuthClose`` (the azimuth from the target at the end of the aperture),
  ``elevationMin`` / ``elevationMax`` (of the spacecraft seen from the target, from the off-nadir range);
- ``collectProperties.imageLength`` / ``imageWidth`` (metres: the request's, else the collection type's
  scene), ``grr`` / ``azr`` (ground-range and azimuth resolution, metres), ``nesz`` (dB) and
  ``meanSquint`` (degrees).

``GET /collects/status/{collectId}`` answers ``{collectId, taskingrequestId, repeatrequestId,
spacecraftId, collectStatus, collectStatusHistory}`` (the status is the newest history entry's code).

Example::

    details = collect_details(state, collect_id)
    details["collectProperties"]["grr"], collect_status(state, collect_id)["collectStatus"]
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any

from capella_emulator.errors import not_found, validation_error
from capella_emulator.feasibility_orbits import (
    EARTH_RADIUS_KM,
    central_angle_for,
    ecef_m,
)
from capella_emulator.stac_items import COLLECTION_TYPE_PROFILES, stable_rng
from capella_emulator.tiles import scene_size_km

if TYPE_CHECKING:
    from capella_emulator.state import EmulatorState
    from capella_emulator.tasking import TaskRecord

GROUND_SPEED_KM_S = 7.0


def find_collect(state: EmulatorState, collect_id: str) -> tuple[TaskRecord, dict[str, Any]]:
    """Return the tasking request holding ``collect_id`` and the collect as the listing renders it."""
    try:
        wanted = str(uuid.UUID(collect_id))
    except ValueError:
        raise validation_error("collectId must be a UUID", "collectId") from None
    for record in state.tasking.tasks.values():
        if any(collect.collect_id == wanted for collect in record.collects):
            rendered = record.rendered_collects()
            return record, next(c for c in rendered if c["collectId"] == wanted)
    raise not_found("collect", collect_id)


def collect_details(state: EmulatorState, collect_id: str) -> dict[str, Any]:
    """Render one collect with its full record (see the module docstring)."""
    record, collect = find_collect(state, collect_id)
    details = dict(collect)
    center = details.get("center") or [0.0, 0.0, 0.0]
    details.setdefault(
        "centerEcef", ecef_m(center[1], center[0], float(center[2]) if len(center) > 2 else 0.0)
    )
    access = dict(details.get("accessProperties") or {})
    look_min = float(access.get("offNadirMin", 30.0))
    look_max = float(access.get("offNadirMax", look_min))
    duration = float((details.get("collectProperties") or {}).get("collectDuration", 10.0))
    for key, value in _access_extras(
        look_min, look_max, float(access.get("azimuthOpen", 0.0)), duration
    ).items():
        access.setdefault(key, value)
    details["accessProperties"] = access
    collect_props = dict(details.get("collectProperties") or {})
    extras = _collect_extras(record, collect_id, look_min, look_max)
    for key, value in extras.items():
        collect_props.setdefault(key, value)
    details["collectProperties"] = collect_props
    return details


def collect_status(state: EmulatorState, collect_id: str) -> dict[str, Any]:
    """Render the status answer of one collect."""
    _, collect = find_collect(state, collect_id)
    history = collect.get("collectStatusHistory") or []
    return {
        "collectId": collect["collectId"],
        "taskingrequestId": collect.get("taskingrequestId"),
        "repeatrequestId": collect.get("repeatrequestId"),
        "spacecraftId": collect.get("spacecraftId"),
        "collectStatus": history[0]["code"] if history else "predicted",
        "collectStatusHistory": history,
    }


def _elevation(look: float) -> float:
    return round(90.0 - look - math.degrees(central_angle_for(look)), 2)


def _access_extras(look_min: float, look_max: float, azimuth_open: float, duration: float) -> dict[str, Any]:
    ground_range = EARTH_RADIUS_KM * central_angle_for((look_min + look_max) / 2)
    sweep = math.degrees(math.atan2(GROUND_SPEED_KM_S * duration, max(ground_range, 1.0)))
    return {
        "azimuthClose": round((azimuth_open + sweep) % 360.0, 2),
        "elevationMin": _elevation(look_max),
        "elevationMax": _elevation(look_min),
    }


def _collect_extras(record: TaskRecord, collect_id: str, look_min: float, look_max: float) -> dict[str, Any]:
    collection_type = record.properties["collectionType"]
    profile = COLLECTION_TYPE_PROFILES.get(collection_type, COLLECTION_TYPE_PROFILES["spotlight"])
    width_km, length_km = scene_size_km(collection_type, record.properties.get("collectConstraints") or {})
    look = (look_min + look_max) / 2
    incidence = look + math.degrees(central_angle_for(look))
    rng = stable_rng("collect-details", collect_id)
    squint = 0.0 if profile.instrument_mode == "stripmap" else rng.uniform(-5.0, 5.0)
    return {
        "imageLength": round(length_km * 1000),
        "imageWidth": round(width_km * 1000),
        "grr": round(profile.resolution_range / math.sin(math.radians(incidence)), 3),
        "azr": round(profile.resolution_azimuth, 3),
        "nesz": round(-20.0 + 0.12 * (look - 25.0) + rng.uniform(-0.5, 0.5), 2),
        "meanSquint": round(squint, 3),
    }
