"""The synthetic archive: a deterministic set of Capella collects over ~20 sites, 2019-2026.

The archive of a ``(seed, size)`` pair is generated once per process and shared read-only by every
:class:`Catalog` built from it, so ``EmulatorState.reset()`` costs nothing; a catalog only owns the
items added to it later (the products of completed tasking requests).
"""

from __future__ import annotations

import gc
import random
import threading
from collections import ChainMap
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from capella_emulator.stac_items import (
    OWNERSHIP_OPTIONS,
    Place,
    active_platforms,
    build_collect_items,
    draw_collect,
    product_item,
    stable_rng,
)

__all__ = ["SITES", "Catalog", "Site", "build_collect_items", "generate_archive"]

ARCHIVE_START = datetime(2019, 1, 1, tzinfo=timezone.utc)
ARCHIVE_END = datetime(2026, 10, 1, tzinfo=timezone.utc)
YEAR_WEIGHTS = {2019: 1, 2020: 2, 2021: 4, 2022: 6, 2023: 8, 2024: 10, 2025: 12, 2026: 9}
OWNERSHIP_WEIGHTS = (20, 15, 50, 15)
CACHE_LIMIT = 8

COLLECTION_TYPE_WEIGHTS = {
    "spotlight": 40,
    "spotlight_ultra": 10,
    "spotlight_wide": 15,
    "stripmap_20": 20,
    "stripmap_50": 6,
    "stripmap_100": 3,
    "parallel_stripmap_20": 3,
    "parallel_stripmap_50": 2,
    "parallel_stripmap_100": 1,
}
OPTIONAL_PRODUCTS = {
    "SIDD": 0.25,
    "CPHD": 0.1,
    "CSI": 0.15,
    "CSIDD": 0.1,
    "VC": 0.04,
    "VS": 0.04,
    "ACD": 0.04,
}


@dataclass(frozen=True)
class Site:
    """A place the archive images again and again.

    Example::

        rotterdam = next(site for site in SITES if site.name == "Port of Rotterdam")
    """

    name: str
    continent: str
    lon: float
    lat: float
    timezone_name: str
    utc_offset_hours: float
    use_case: str


SITES = (
    Site(
        "Port of New York and New Jersey", "North America", -74.04, 40.67, "America/New_York", -5, "maritime"
    ),
    Site("Port of Los Angeles", "North America", -118.26, 33.74, "America/Los_Angeles", -8, "maritime"),
    Site("Houston Ship Channel", "North America", -95.0, 29.73, "America/Chicago", -6, "energy"),
    Site("Denver International Airport", "North America", -104.67, 39.86, "America/Denver", -7, "aviation"),
    Site("Panama Canal", "North America", -79.57, 8.95, "America/Panama", -5, "maritime"),
    Site("Port of Santos", "South America", -46.3, -23.96, "America/Sao_Paulo", -3, "maritime"),
    Site(
        "Port of Buenos Aires",
        "South America",
        -58.37,
        -34.58,
        "America/Argentina/Buenos_Aires",
        -3,
        "maritime",
    ),
    Site("Lima Callao", "South America", -77.14, -12.05, "America/Lima", -5, "infrastructure"),
    Site("Port of Rotterdam", "Europe", 4.05, 51.95, "Europe/Amsterdam", 1, "maritime"),
    Site("London Heathrow", "Europe", -0.45, 51.47, "Europe/London", 0, "aviation"),
    Site("Port of Hamburg", "Europe", 9.95, 53.53, "Europe/Berlin", 1, "maritime"),
    Site("Port of Cape Town", "Africa", 18.43, -33.91, "Africa/Johannesburg", 2, "maritime"),
    Site("Lagos Apapa", "Africa", 3.36, 6.44, "Africa/Lagos", 1, "maritime"),
    Site("Suez Canal", "Africa", 32.55, 29.95, "Africa/Cairo", 2, "maritime"),
    Site("Nairobi Jomo Kenyatta Airport", "Africa", 36.93, -1.32, "Africa/Nairobi", 3, "aviation"),
    Site("Port of Singapore", "Asia", 103.84, 1.26, "Asia/Singapore", 8, "maritime"),
    Site("Tokyo Haneda", "Asia", 139.78, 35.55, "Asia/Tokyo", 9, "aviation"),
    Site("Port of Shanghai", "Asia", 121.6, 31.35, "Asia/Shanghai", 8, "maritime"),
    Site("Jebel Ali", "Asia", 55.03, 25.01, "Asia/Dubai", 4, "energy"),
    Site("Mumbai Airport", "Asia", 72.87, 19.09, "Asia/Kolkata", 5.5, "aviation"),
    Site("Port Botany Sydney", "Oceania", 151.2, -33.96, "Australia/Sydney", 10, "maritime"),
    Site("Auckland", "Oceania", 174.79, -36.84, "Pacific/Auckland", 12, "infrastructure"),
)

_ARCHIVES: dict[tuple[int, int], _Archive] = {}
_ARCHIVES_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Archive:
    items: tuple[dict[str, Any], ...]
    by_id: dict[str, dict[str, Any]]


class Catalog:
    """The items search, orders and assets see: the shared archive plus items added at run time.

    Items are shared between catalogs built from the same ``(seed, size)``: treat them as read-only.

    Example::

        catalog = Catalog(seed=42, size=2400)
        item = catalog.get(catalog.items[0]["id"])
        catalog.add(build_collect_items(collect_id=..., geometry=..., acquired_at=...,
                                        product_types=None, collection_type="spotlight", seed=42))
    """

    def __init__(self, seed: int, size: int) -> None:
        self.seed = seed
        self.size = size
        self._archive = _archive(seed, size)
        self._added: list[dict[str, Any]] = []
        self._added_by_id: dict[str, dict[str, Any]] = {}

    @property
    def items(self) -> list[dict[str, Any]]:
        """Every item, archive first then added ones (a new list; the items themselves are shared)."""
        return [*self._archive.items, *self._added]

    @property
    def by_id(self) -> ChainMap[str, dict[str, Any]]:
        """Items by id; an added item shadows an archive item with the same id."""
        return ChainMap(self._added_by_id, self._archive.by_id)

    def __len__(self) -> int:
        return len(self._archive.items) + len(self._added)

    def get(self, item_id: str) -> dict[str, Any] | None:
        return self._added_by_id.get(item_id) or self._archive.by_id.get(item_id)

    def add(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            if item["id"] not in self._added_by_id:
                self._added.append(item)
            self._added_by_id[item["id"]] = item


def _archive(seed: int, size: int) -> _Archive:
    key = (seed, size)
    with _ARCHIVES_LOCK:
        archive = _ARCHIVES.get(key)
        if archive is None:
            items = tuple(_without_gc(generate_archive, seed, size))
            archive = _Archive(items=items, by_id={item["id"]: item for item in items})
            if len(_ARCHIVES) >= CACHE_LIMIT:
                _ARCHIVES.pop(next(iter(_ARCHIVES)))
            _ARCHIVES[key] = archive
        return archive


def _without_gc(build: Any, *args: Any) -> Any:
    """Run ``build`` with the cyclic GC paused.

    It only allocates acyclic dicts, and GC passes over the growing archive would make it superlinear.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return build(*args)
    finally:
        if enabled:
            gc.enable()


def generate_archive(seed: int, size: int) -> list[dict[str, Any]]:
    """Exactly ``size`` archive items from ``seed``, grouped by collect (same seed, same items)."""
    rng = stable_rng("capella-archive", seed)
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(items) < size:
        for item in _archive_collect(rng):
            if item["id"] not in seen and len(items) < size:
                seen.add(item["id"])
                items.append(item)
    return items


def _archive_collect(rng: random.Random) -> list[dict[str, Any]]:
    site = rng.choice(SITES)
    acquired_at = _acquisition_time(rng)
    collection_type = rng.choices(
        list(COLLECTION_TYPE_WEIGHTS), weights=list(COLLECTION_TYPE_WEIGHTS.values())
    )[0]
    jitter_km = 2.0
    place = Place(
        lon=site.lon + rng.uniform(-jitter_km, jitter_km) / 85.0,
        lat=site.lat + rng.uniform(-jitter_km, jitter_km) / 111.0,
        timezone_name=site.timezone_name,
        utc_offset_hours=site.utc_offset_hours,
        use_case=site.use_case,
    )
    collect = draw_collect(
        rng,
        place=place,
        acquired_at=acquired_at,
        collection_type=collection_type,
        platform=rng.choice(active_platforms(acquired_at)),
        polarization="HH" if rng.random() < 0.8 else "VV",
        ownership=rng.choices(OWNERSHIP_OPTIONS, weights=OWNERSHIP_WEIGHTS)[0],
    )
    product_types = ["SLC", "GEO", "GEC", "SICD"]
    product_types += [name for name, chance in OPTIONAL_PRODUCTS.items() if rng.random() < chance]
    return [product_item(collect, product_type, rng) for product_type in product_types]


def _acquisition_time(rng: random.Random) -> datetime:
    """Return a moment in the archive's span, later years more likely (the constellation grew)."""
    year = rng.choices(list(YEAR_WEIGHTS), weights=list(YEAR_WEIGHTS.values()))[0]
    start = max(ARCHIVE_START, datetime(year, 1, 1, tzinfo=timezone.utc))
    end = min(ARCHIVE_END, datetime(year + 1, 1, 1, tzinfo=timezone.utc))
    seconds = rng.uniform(0.0, (end - start).total_seconds())
    return start + timedelta(seconds=seconds)
