"""Plane geometry of emulated collects: footprints, scene sizes, viewing angles and map zones."""

from __future__ import annotations

import math
from typing import Any

EARTH_RADIUS_KM = 6371.0
ORBIT_ALTITUDE_KM = 525.0
KM_PER_DEGREE = 111.32


def footprint(
    lon: float, lat: float, width_km: float, length_km: float, heading: float
) -> list[tuple[float, float]]:
    """Return a closed counter-clockwise rectangle ``width_km`` across, ``length_km`` along ``heading``."""
    along = math.radians(heading)
    across = along + math.pi / 2.0
    km_per_lon = KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01)
    corners = []
    for sign_along, sign_across in ((-1, -1), (-1, 1), (1, 1), (1, -1)):
        east = sign_along * length_km / 2 * math.sin(along) + sign_across * width_km / 2 * math.sin(across)
        north = sign_along * length_km / 2 * math.cos(along) + sign_across * width_km / 2 * math.cos(across)
        corners.append((round(lon + east / km_per_lon, 6), round(lat + north / KM_PER_DEGREE, 6)))
    if signed_area(corners) < 0:
        corners.reverse()
    return [*corners, corners[0]]


def scene_size(
    nominal_km: tuple[float, float], heading: float, aoi_km: tuple[float, float]
) -> tuple[float, float]:
    """(across, along) km of a scene on ``heading`` that holds both the nominal scene and the AOI box."""
    east_west, north_south = aoi_km
    sin, cos = abs(math.sin(math.radians(heading))), abs(math.cos(math.radians(heading)))
    along = north_south * cos + east_west * sin
    across = east_west * cos + north_south * sin
    return max(nominal_km[0], across), max(nominal_km[1], along)


def signed_area(ring: list[tuple[float, float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))


def geometry_extent(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """Centre lon/lat and width/length in km of a GeoJSON geometry (zero extent for a Point)."""
    points = list(coordinates(geometry.get("coordinates", [])))
    if not points:
        raise ValueError("geometry has no coordinates")
    lons = [point[0] for point in points]
    lats = [point[1] for point in points]
    lon, lat = (min(lons) + max(lons)) / 2.0, (min(lats) + max(lats)) / 2.0
    km_per_lon = KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01)
    return lon, lat, (max(lons) - min(lons)) * km_per_lon, (max(lats) - min(lats)) * KM_PER_DEGREE


def coordinates(value: Any) -> list[tuple[float, float]]:
    if (
        isinstance(value, (list, tuple))
        and len(value) >= 2
        and all(isinstance(v, (int, float)) for v in value)
    ):
        return [(float(value[0]), float(value[1]))]
    if isinstance(value, (list, tuple)):
        return [point for part in value for point in coordinates(part)]
    return []


def incidence_angle(look_angle: float) -> float:
    """Incidence at the ground for a look angle from a ~525 km orbit (Earth curvature makes it larger)."""
    ratio = (EARTH_RADIUS_KM + ORBIT_ALTITUDE_KM) / EARTH_RADIUS_KM
    return math.degrees(math.asin(min(1.0, ratio * math.sin(math.radians(look_angle)))))


def utm_epsg(lon: float, lat: float) -> int:
    zone = min(60, max(1, int((lon + 180.0) / 6.0) + 1))
    return (32600 if lat >= 0 else 32700) + zone


def etc_timezone(offset_hours: int) -> str:
    """Return the IANA ``Etc/GMT`` zone of a whole-hour offset (its sign is inverted by convention)."""
    if offset_hours == 0:
        return "Etc/UTC"
    return f"Etc/GMT{'-' if offset_hours > 0 else '+'}{abs(offset_hours)}"
