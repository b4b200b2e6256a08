"""Collects of tasking requests: what ``GET /collects/list/{taskingrequestId}`` shows, and their STAC items.

A collect is planned when its request is ``accepted`` (status ``predicted``): its acquisition time is the
request's ``active`` time, moved later when needed so that one spacecraft never acquires twice within a
minute (two collects must never produce the same STAC id). Its items are built with the catalog's
``build_collect_items`` and added to the catalog when the request completes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from capella_emulator.catalog import build_collect_items
from capella_emulator.tasking_time import iso, parse_time, to_datetime

MIN_GAP_SECONDS = 60.0


@dataclass
class CollectRecord:
    """One planned acquisition of a tasking request.

    Example::

        record = plan_collect(geometry=point, earliest=time.time(), collection_type="spotlight",
                              polarization="HH", seed=42, slots=AcquisitionSlots())
        record.spacecraft_id, record.acquired_at
    """

    collect_id: str
    acquired_at: float
    spacecraft_id: int
    duration: float
    polarization: str
    center: list[float]
    access: dict[str, Any]


class AcquisitionSlots:
    """Acquisition times per spacecraft, kept ``MIN_GAP_SECONDS`` apart.

    Example::

        slots = AcquisitionSlots()
        slots.reserve(5, 1_800_000_000.0)  # 1_800_000_000.0
        slots.reserve(5, 1_800_000_010.0)  # 1_800_000_060.0
    """

    def __init__(self) -> None:
        self._taken: dict[int, list[float]] = {}

    def reserve(self, spacecraft: int, earliest: float) -> float:
        taken = self._taken.setdefault(spacecraft, [])
        moment = earliest
        clash = next((t for t in taken if abs(t - moment) < MIN_GAP_SECONDS), None)
        while clash is not None:
            moment = clash + MIN_GAP_SECONDS
            clash = next((t for t in taken if abs(t - moment) < MIN_GAP_SECONDS), None)
        taken.append(moment)
        return moment


def plan_collect(
    *,
    geometry: dict[str, Any],
    earliest: float,
    collection_type: str,
    polarization: str,
    seed: int,
    slots: AcquisitionSlots,
) -> CollectRecord:
    """Plan a collect over ``geometry`` acquired at ``earliest`` or soon after (never before)."""
    collect_id = str(uuid.uuid4())
    probe = _probe_item(collect_id, geometry, earliest, collection_type, polarization, seed)
    half_duration = _duration(probe) / 2
    acquired_at = slots.reserve(_platform(probe), earliest + half_duration)
    probe = _probe_item(collect_id, geometry, acquired_at, collection_type, polarization, seed)
    props = probe["properties"]
    lons = [point[0] for point in probe["geometry"]["coordinates"][0]]
    lats = [point[1] for point in probe["geometry"]["coordinates"][0]]
    look = props["view:look_angle"]
    return CollectRecord(
        collect_id=collect_id,
        acquired_at=acquired_at,
        spacecraft_id=_platform(probe),
        duration=_duration(probe),
        polarization=polarization,
        center=[round((min(lons) + max(lons)) / 2, 6), round((min(lats) + max(lats)) / 2, 6), 0.0],
        access={
            "ascdsc": props["sat:orbit_state"],
            "lookDirection": props["sar:observation_direction"],
            "localTime": _seconds_of_day(props["locale:time"]),
            "offNadirMin": round(look - 0.4, 3),
            "offNadirMax": round(look + 0.4, 3),
            "azimuthOpen": props["view:azimuth"],
        },
    )


def collect_items(
    record: CollectRecord,
    *,
    geometry: dict[str, Any],
    collection_type: str,
    product_types: list[str] | None,
    seed: int,
) -> list[dict[str, Any]]:
    """Return the STAC items of a delivered collect (same platform and footprint as its plan)."""
    return build_collect_items(
        collect_id=record.collect_id,
        geometry=geometry,
        acquired_at=to_datetime(record.acquired_at),
        product_types=product_types,
        collection_type=collection_type,
        seed=seed,
        polarization=record.polarization,
    )


def render_collect(
    record: CollectRecord,
    *,
    task_id: str,
    repeat_id: str | None,
    collection_type: str,
    history: list[dict[str, Any]],
) -> dict[str, Any]:
    """Render the collect as ``GET /collects/list/{id}`` does (``collectStatusHistory`` newest first)."""
    half = record.duration / 2
    return {
        "collectId": record.collect_id,
        "taskingrequestId": task_id,
        "repeatrequestId": repeat_id,
        "spacecraftId": record.spacecraft_id,
        "tileId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"tile/{record.collect_id}")),
        "tileGroupId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"tile-group/{task_id}")),
        "collectionType": collection_type,
        "center": record.center,
        "windowOpen": iso(record.acquired_at - half),
        "windowClose": iso(record.acquired_at + half),
        "windowDuration": round(record.duration, 6),
        "accessProperties": record.access,
        "collectProperties": {
            "collectDuration": round(record.duration, 6),
            "polarization": record.polarization,
        },
        "collectStatusHistory": history,
    }


def _probe_item(
    collect_id: str,
    geometry: dict[str, Any],
    acquired_at: float,
    collection_type: str,
    polarization: str,
    seed: int,
) -> dict[str, Any]:
    """One item of the collect, built only to learn what the collect's items will say."""
    return build_collect_items(
        collect_id=collect_id,
        geometry=geometry,
        acquired_at=to_datetime(acquired_at),
        product_types=["SLC"],
        collection_type=collection_type,
        seed=seed,
        polarization=polarization,
    )[0]


def _platform(item: dict[str, Any]) -> int:
    return int(str(item["properties"]["platform"]).rsplit("-", 1)[-1])


def _duration(item: dict[str, Any]) -> float:
    """Seconds the collect's aperture lasts (the span of a complex product such as SLC)."""
    props = item["properties"]
    return parse_time(props["end_datetime"], "end") - parse_time(props["start_datetime"], "start")


def _seconds_of_day(clock: str) -> int:
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return hours * 3600 + minutes * 60 + seconds
