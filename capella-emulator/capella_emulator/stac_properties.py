"""The searchable properties of a product's STAC item: radiometry, viewing geometry, Capella fields, locale.

Acquisition times of collects before 2021 are written without a zone (``2020-10-19T10:04:25.898923``), as
recorded 2020 answers show; later ones end in ``Z``.
"""

from __future__ import annotations

import hashlib
import math
import random
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from capella_emulator.stac_assets import ANALYTIC_PRODUCT_TYPES
from capella_emulator.stac_geometry import (
    KM_PER_DEGREE,
    incidence_angle,
    signed_area,
    utm_epsg,
)

if TYPE_CHECKING:
    from capella_emulator.stac_items import Collect

COMPLEX_PRODUCT_TYPES = ("SLC", "SICD", "CPHD", "CSI")
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
ZONED_SINCE = datetime(
    2021, 1, 1, tzinfo=timezone.utc
)  # older items carry zone-less datetimes (2020 answers)


def format_timestamp(moment: datetime) -> str:
    """Format UTC ISO 8601 with microseconds and ``Z``, the format of every zoned UTC time in the catalog."""
    return moment.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)


def item_timestamp(moment: datetime, acquired_at: datetime) -> str:
    """Format an acquisition time as the item carries it: zone-less for collects before 2021."""
    text = format_timestamp(moment)
    return text if acquired_at >= ZONED_SINCE else text[:-1]


def item_properties(
    collect: Collect, product_type: str, item_id: str, start: datetime, end: datetime, rng: random.Random
) -> dict[str, Any]:
    created = collect.acquired_at + timedelta(hours=collect.processing_hours)
    properties: dict[str, Any] = {
        "datetime": item_timestamp(collect.acquired_at, collect.acquired_at),
        "start_datetime": item_timestamp(start, collect.acquired_at),
        "end_datetime": item_timestamp(end, collect.acquired_at),
        "created": format_timestamp(created),
        "updated": format_timestamp(created + timedelta(minutes=rng.uniform(1.0, 90.0))),
        "constellation": "capella",
        "platform": f"capella-{collect.platform}",
        "instruments": [f"capella-radar-{collect.platform}"],
        "sar:product_type": product_type,
        "sar:instrument_mode": collect.profile.instrument_mode,
        "sar:polarizations": [collect.polarization],
        "sar:frequency_band": "X",
        "sar:center_frequency": 9.65,
    }
    properties.update(_radiometry(collect, product_type, rng))
    properties.update(_viewing_geometry(collect))
    properties.update(_capella_fields(collect, product_type, item_id))
    properties.update(_locale(collect))
    return properties


def _radiometry(collect: Collect, product_type: str, rng: random.Random) -> dict[str, Any]:
    profile = collect.profile
    resolution_range = round(profile.resolution_range * rng.uniform(0.95, 1.1), 3)
    resolution_azimuth = round(profile.resolution_azimuth * rng.uniform(0.95, 1.05), 3)
    if product_type in COMPLEX_PRODUCT_TYPES:
        looks_range, looks_azimuth, equivalent = 1, 1, 1.0
        spacing_range = round(resolution_range * 0.8, 3)
        spacing_azimuth = round(resolution_azimuth * rng.uniform(0.1, 0.3), 3)
    else:
        looks_range, looks_azimuth = 1, profile.azimuth_looks
        equivalent = round(looks_azimuth * rng.uniform(0.75, 0.95), 2)
        spacing_range = spacing_azimuth = profile.detected_spacing
    return {
        "sar:looks_range": looks_range,
        "sar:looks_azimuth": looks_azimuth,
        "sar:looks_equivalent_number": equivalent,
        "sar:observation_direction": collect.observation_direction,
        "sar:pixel_spacing_range": spacing_range,
        "sar:pixel_spacing_azimuth": spacing_azimuth,
        "sar:resolution_range": resolution_range,
        "sar:resolution_azimuth": resolution_azimuth,
    }


def _viewing_geometry(collect: Collect) -> dict[str, Any]:
    incidence = incidence_angle(collect.look_angle)
    turn = 90.0 if collect.observation_direction == "right" else -90.0
    look_azimuth = (collect.heading + turn) % 360.0
    return {
        "sat:orbit_state": collect.orbit_state,
        "sat:absolute_orbit": collect.absolute_orbit,
        "sat:relative_orbit": collect.absolute_orbit % 224 + 1,
        "view:incidence_angle": round(incidence, 3),
        "view:look_angle": round(collect.look_angle, 3),
        "view:azimuth": round(look_azimuth, 3),
        "capella:layover_angle": round((look_azimuth + 180.0) % 360.0 - 180.0, 3),
        "capella:squint_angle": round(collect.squint_angle, 3),
        "capella:orbital_plane": collect.orbital_plane,
    }


def _capella_fields(collect: Collect, product_type: str, item_id: str) -> dict[str, Any]:
    profile = collect.profile
    incidence = math.radians(incidence_angle(collect.look_angle))
    lons = [point[0] for point in collect.footprint]
    holdback = collect.acquired_at + timedelta(days=collect.holdback_days)
    return {
        "capella:collect_id": collect.collect_id,
        "capella:collection_type": collect.collection_type,
        "capella:resolution_ground_range": round(profile.resolution_range / math.sin(incidence), 3),
        "capella:billable_area": int(_scene_area_m2(collect)),
        "capella:hash": hashlib.sha256(f"{item_id}|{collect.collect_id}".encode()).hexdigest(),
        "capella:image_formation_algorithm": collect.image_formation_algorithm,
        "capella:rgt_id": (collect.orbital_plane * 1000 + collect.absolute_orbit % 224) * 10
        + collect.platform % 10,
        "capella:archive_holdback_date": format_timestamp(holdback),
        "capella:use_case": collect.place.use_case,
        "capella:ownership": collect.ownership,
        "capella:product_category": "analytics" if product_type in ANALYTIC_PRODUCT_TYPES else "standard",
        "proj:epsg": utm_epsg((min(lons) + max(lons)) / 2.0, collect.place.lat),
    }


def _locale(collect: Collect) -> dict[str, Any]:
    local = collect.acquired_at.astimezone(timezone(timedelta(hours=collect.place.utc_offset_hours)))
    return {
        "locale:timezone": collect.place.timezone_name,
        "locale:datetime": local.isoformat(timespec="microseconds"),
        "locale:time": local.strftime("%H:%M:%S"),
    }


def _scene_area_m2(collect: Collect) -> float:
    km_per_lon = KM_PER_DEGREE * max(math.cos(math.radians(collect.place.lat)), 0.01)
    degrees2 = abs(signed_area(collect.footprint[:-1])) / 2.0
    return degrees2 * km_per_lon * KM_PER_DEGREE * 1_000_000
