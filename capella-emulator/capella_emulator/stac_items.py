"""What one Capella product looks like as a STAC item: properties, footprint and assets of a collect.

Both the synthetic archive (:mod:`.catalog`) and completed tasking requests build their items here, so
every item the emulator serves has the same shape and a realistic value for each searchable property.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from capella_emulator.stac_assets import item_assets
from capella_emulator.stac_geometry import (
    etc_timezone,
    footprint,
    geometry_extent,
    scene_size,
)
from capella_emulator.stac_properties import (
    COMPLEX_PRODUCT_TYPES,
    item_properties,
)

STAC_EXTENSIONS = [
    "https://stac-extensions.github.io/sar/v1.0.0/schema.json",
    "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
    "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
]

# Mirrors the provider's _payloads/vocabulary.PRODUCT_TYPES; kept apart on purpose (an independent oracle).
ALL_PRODUCT_TYPES = ("SLC", "GEO", "GEC", "SICD", "SIDD", "CPHD", "CSI", "CSIDD", "VC", "VS", "ACD")
DEFAULT_PRODUCT_TYPES = ("SLC", "GEO", "GEC", "SICD")
PRODUCT_COLLECTIONS = {
    "GEO": "capella-geo",
    "GEC": "capella-gec",
    "SLC": "capella-slc",
    "SICD": "capella-sicd",
}
ARCHIVE_COLLECTION = "capella-archive"
OPEN_DATA_COLLECTION = "capella-open-data"
RESTRICTED_COLLECTIONS = (
    "capella-beta-analytics",
)  # exist, but the emulated organization may not search them
COLLECTIONS = (
    "capella-geo",
    "capella-gec",
    "capella-slc",
    "capella-sicd",
    ARCHIVE_COLLECTION,
    OPEN_DATA_COLLECTION,
)
ZONED_SINCE = datetime(
    2021, 1, 1, tzinfo=timezone.utc
)  # older items carry zone-less datetimes (2020 answers)

# Mirrors the provider's _payloads/vocabulary.OWNERSHIP_OPTIONS (kept apart: an independent oracle).
OWNERSHIP_OPTIONS = (
    "ownedByOrganization",
    "sharedWithOrganization",
    "availableForPurchase",
    "publiclyAvailable",
)
MODE_CODES = {"spotlight": "SP", "stripmap": "SM", "sliding_spotlight": "SS"}
ORBIT_HEADINGS = {97: (350.0, 190.0), 53: (35.0, 145.0), 45: (45.0, 135.0)}
PLATFORM_PLANES = (97, 97, 53, 53, 97, 53, 97, 97, 53, 45, 45, 53, 45, 45, 53, 97)
PLATFORM_LAUNCHES = tuple(
    datetime(*ymd, tzinfo=timezone.utc)
    for ymd in (
        (2018, 12, 3), (2020, 8, 31), (2021, 1, 24), (2021, 1, 24), (2021, 6, 30), (2021, 5, 15),
        (2022, 1, 13), (2022, 1, 13), (2023, 3, 16), (2023, 3, 24), (2023, 8, 23), (2023, 9, 19),
        (2024, 3, 4), (2024, 7, 2), (2025, 1, 14), (2025, 6, 23),
    )
)  # fmt: skip


@dataclass(frozen=True)
class ModeProfile:
    """Imaging parameters shared by the collects of one collection type.

    Example::

        COLLECTION_TYPE_PROFILES["spotlight"].instrument_mode  # "spotlight"
    """

    instrument_mode: str
    width_km: float
    length_km: float
    resolution_range: float
    resolution_azimuth: float
    detected_spacing: float
    azimuth_looks: int
    duration_s: tuple[float, float]


# Keys mirror the provider's _payloads/vocabulary.COLLECTION_TYPES (kept apart: an independent oracle).
COLLECTION_TYPE_PROFILES = {
    "spotlight": ModeProfile("spotlight", 5.0, 5.0, 0.5, 0.5, 0.35, 9, (8.0, 16.0)),
    "spotlight_ultra": ModeProfile("spotlight", 5.0, 5.0, 0.3, 0.25, 0.15, 16, (20.0, 40.0)),
    "spotlight_wide": ModeProfile("sliding_spotlight", 5.0, 10.0, 0.8, 0.8, 0.6, 4, (6.0, 12.0)),
    "stripmap_20": ModeProfile("stripmap", 5.0, 20.0, 1.2, 1.2, 0.8, 2, (3.0, 5.0)),
    "stripmap_50": ModeProfile("stripmap", 5.0, 50.0, 1.2, 1.2, 0.8, 2, (7.0, 10.0)),
    "stripmap_100": ModeProfile("stripmap", 5.0, 100.0, 1.2, 1.2, 0.8, 2, (14.0, 20.0)),
    "parallel_stripmap_20": ModeProfile("stripmap", 10.0, 20.0, 1.2, 1.2, 0.8, 2, (3.0, 5.0)),
    "parallel_stripmap_50": ModeProfile("stripmap", 10.0, 50.0, 1.2, 1.2, 0.8, 2, (7.0, 10.0)),
    "parallel_stripmap_100": ModeProfile("stripmap", 10.0, 100.0, 1.2, 1.2, 0.8, 2, (14.0, 20.0)),
}
COLLECTION_TYPES = tuple(COLLECTION_TYPE_PROFILES)


@dataclass(frozen=True)
class Place:
    """Where a collect looks and what the local clock there says.

    Example::

        Place(lon=4.05, lat=51.95, timezone_name="Europe/Amsterdam", utc_offset_hours=1, use_case="maritime")
    """

    lon: float
    lat: float
    timezone_name: str
    utc_offset_hours: float
    use_case: str


@dataclass(frozen=True)
class Collect:
    """One acquisition: everything its products share (one ``capella:collect_id``, one datetime).

    Example::

        collect = draw_collect(rng, place=place, acquired_at=moment, collection_type="spotlight",
                               platform=5, polarization="HH", ownership="publiclyAvailable")
        items = [product_item(collect, product_type, rng) for product_type in ("GEO", "SLC")]
    """

    collect_id: str
    platform: int
    collection_type: str
    polarization: str
    acquired_at: datetime
    duration_s: float
    place: Place
    footprint: list[tuple[float, float]]
    orbit_state: str
    observation_direction: str
    look_angle: float
    squint_angle: float
    heading: float
    absolute_orbit: int
    image_formation_algorithm: str
    ownership: str
    holdback_days: int
    processing_hours: float

    @property
    def profile(self) -> ModeProfile:
        return COLLECTION_TYPE_PROFILES[self.collection_type]

    @property
    def orbital_plane(self) -> int:
        return PLATFORM_PLANES[(self.platform - 1) % len(PLATFORM_PLANES)]


def active_platforms(moment: datetime) -> list[int]:
    """Platform numbers (1 = capella-1) launched by ``moment``; capella-1 alone before any launch."""
    launched = [number for number, launch in enumerate(PLATFORM_LAUNCHES, start=1) if launch <= moment]
    return launched or [1]


def collection_for(product_type: str, ownership: str | None = None) -> str:
    """Name the one STAC collection an item belongs to: public data in open data, else by product type."""
    if ownership == "publiclyAvailable":
        return OPEN_DATA_COLLECTION
    return PRODUCT_COLLECTIONS.get(product_type, ARCHIVE_COLLECTION)


def stable_rng(*parts: object) -> random.Random:
    """Return a generator seeded from ``parts`` the same way in every process (``hash()`` is salted)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def build_collect_items(
    *,
    collect_id: str,
    geometry: dict[str, Any],
    acquired_at: datetime,
    product_types: list[str] | None,
    collection_type: str,
    seed: int,
    polarization: str | None = None,
    ownership: str = "ownedByOrganization",
) -> list[dict[str, Any]]:
    """Build the STAC items of one collect over ``geometry`` (a Point or Polygon), one per product type.

    ``product_types`` ``None`` means SLC, GEO, GEC and SICD. Values not given (platform, angles, orbit)
    are drawn deterministically from ``seed`` and ``collect_id``.

    Example::

        items = build_collect_items(
            collect_id="0b7c6f5e-0b8c-4a43-9d2c-3f1f4b2a9e11",
            geometry={"type": "Point", "coordinates": [4.05, 51.95]},
            acquired_at=datetime(2026, 5, 1, 10, 30, tzinfo=timezone.utc),
            product_types=["GEO", "SICD"],
            collection_type="spotlight",
            seed=42,
        )
    """
    rng = stable_rng(seed, collect_id)
    lon, lat, east_west_km, north_south_km = geometry_extent(geometry)
    if acquired_at.tzinfo is None:
        acquired_at = acquired_at.replace(tzinfo=timezone.utc)
    offset = round(lon / 15.0)
    place = Place(lon, lat, etc_timezone(offset), float(offset), "customer_tasking")
    collect = draw_collect(
        rng,
        collect_id=collect_id,
        place=place,
        acquired_at=acquired_at,
        collection_type=collection_type if collection_type in COLLECTION_TYPE_PROFILES else "spotlight",
        platform=rng.choice(active_platforms(acquired_at)),
        polarization=polarization or "HH",
        ownership=ownership,
        aoi_km=(east_west_km, north_south_km),
    )
    wanted = list(product_types) if product_types else list(DEFAULT_PRODUCT_TYPES)
    return [product_item(collect, product_type, rng) for product_type in wanted]


def draw_collect(
    rng: random.Random,
    *,
    place: Place,
    acquired_at: datetime,
    collection_type: str,
    platform: int,
    polarization: str,
    ownership: str,
    collect_id: str | None = None,
    aoi_km: tuple[float, float] = (0.0, 0.0),
) -> Collect:
    """Return a collect over ``place`` with the geometry and orbit values a real one would have.

    The scene is the collection type's nominal size, or larger when it must cover an area of interest
    ``aoi_km`` (east-west, north-south extent in km) centred on ``place``.
    """
    profile = COLLECTION_TYPE_PROFILES[collection_type]
    orbit_state = rng.choice(("ascending", "descending"))
    plane = PLATFORM_PLANES[(platform - 1) % len(PLATFORM_PLANES)]
    heading = (ORBIT_HEADINGS[plane][orbit_state == "descending"] + rng.uniform(-8.0, 8.0)) % 360.0
    width_km, length_km = scene_size((profile.width_km, profile.length_km), heading, aoi_km)
    return Collect(
        collect_id=collect_id or str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        platform=platform,
        collection_type=collection_type,
        polarization=polarization,
        acquired_at=acquired_at,
        duration_s=rng.uniform(*profile.duration_s),
        place=place,
        footprint=footprint(place.lon, place.lat, width_km, length_km, heading),
        orbit_state=orbit_state,
        observation_direction=rng.choice(("left", "right")),
        look_angle=rng.uniform(20.0, 45.0),
        squint_angle=_squint(rng, profile.instrument_mode),
        heading=heading,
        absolute_orbit=_absolute_orbit(platform, acquired_at),
        image_formation_algorithm="backprojection" if rng.random() < 0.6 else "pfa",
        ownership=ownership,
        holdback_days=rng.choices((0, 30, 365), weights=(6, 3, 1))[0],
        processing_hours=rng.uniform(0.5, 12.0),
    )


def product_item(collect: Collect, product_type: str, rng: random.Random) -> dict[str, Any]:
    """Return the STAC item of ``collect``'s ``product_type`` product."""
    start, end = _product_window(collect, product_type)
    mode_code = MODE_CODES[collect.profile.instrument_mode]
    item_id = (
        f"CAPELLA_C{collect.platform:02d}_{mode_code}_{product_type}_{collect.polarization}_"
        f"{start:%Y%m%d%H%M%S}_{end:%Y%m%d%H%M%S}"
    )
    collection = collection_for(product_type, collect.ownership)
    lons = [point[0] for point in collect.footprint]
    lats = [point[1] for point in collect.footprint]
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": STAC_EXTENSIONS,
        "id": item_id,
        "collection": collection,
        "bbox": [min(lons), min(lats), max(lons), max(lats)],
        "geometry": {"type": "Polygon", "coordinates": [[list(point) for point in collect.footprint]]},
        "properties": item_properties(collect, product_type, item_id, start, end, rng),
        "assets": item_assets(collection, item_id, product_type, collect.polarization),
        "links": [],
    }


def _product_window(collect: Collect, product_type: str) -> tuple[datetime, datetime]:
    """Start and end of a product: complex products span the aperture, geocoded ones a padded scene."""
    half = collect.duration_s / 2.0
    if product_type not in COMPLEX_PRODUCT_TYPES:
        half += 10.0
    start = collect.acquired_at - timedelta(seconds=half)
    end = collect.acquired_at + timedelta(seconds=half)
    if end.replace(microsecond=0) <= start.replace(microsecond=0):
        end = start + timedelta(seconds=1)
    return start, end


def _squint(rng: random.Random, instrument_mode: str) -> float:
    spread = 1.0 if instrument_mode == "stripmap" else 8.0
    return max(-35.0, min(35.0, rng.gauss(0.0, spread)))


def _absolute_orbit(platform: int, moment: datetime) -> int:
    """Orbits since the platform's launch (~15.2 a day)."""
    launch = PLATFORM_LAUNCHES[(platform - 1) % len(PLATFORM_LAUNCHES)]
    days = max(0.0, (moment - launch).total_seconds() / 86_400)
    return int(days * 15.2) + 1
