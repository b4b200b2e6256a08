"""Geometry rules of tasking: a Point or one-ring Polygon (under 250 vertices, not self-intersecting).

Area tasks take a Polygon only: one ring (no holes), fewer than 250 vertices, no self-intersection, no
MultiPolygon. Repeat requests take a Point only (there is no repeat tasking of areas).
"""

from __future__ import annotations

from typing import Any

from capella_emulator.errors import validation_error
from capella_emulator.tasking_values import is_number

MAX_POLYGON_VERTICES = 250  # a ring must have fewer distinct vertices than this


def validate_geometry(geometry: Any) -> dict[str, Any]:
    """Return a GeoJSON Point or Polygon with coordinates in range (a copy, coordinates as floats)."""
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
        if len(coordinates) > 1:
            raise validation_error(
                "an area task takes a Polygon with one ring: holes (interior rings) are not accepted",
                "geometry.coordinates",
            )
        ring = _ring(coordinates[0], 0)
        _check_area_ring(ring)
        return {"type": "Polygon", "coordinates": [ring]}
    if kind == "MultiPolygon":
        raise validation_error(
            "MultiPolygon is not accepted: task each area as its own Polygon request", "geometry.type"
        )
    raise validation_error(f"geometry type must be Point or Polygon, got {kind!r}", "geometry.type")


def require_point(geometry: dict[str, Any]) -> None:
    """Refuse anything but a Point: repeat requests cannot task an area."""
    if geometry["type"] != "Point":
        raise validation_error(
            f"repeat requests take a Point geometry only (no repeat tasking of a {geometry['type']})",
            "geometry.type",
        )


def _check_area_ring(ring: list[list[float]]) -> None:
    vertices = [(point[0], point[1]) for point in ring[:-1]]
    path = "geometry.coordinates.0"
    if len(vertices) >= MAX_POLYGON_VERTICES:
        raise validation_error(
            f"an area polygon must have fewer than {MAX_POLYGON_VERTICES} vertices, got {len(vertices)}",
            path,
            "too_big",
        )
    if _self_intersects(vertices):
        raise validation_error("the polygon ring intersects itself", path)


def _self_intersects(vertices: list[tuple[float, float]]) -> bool:
    """Whether two non-adjacent edges of the closed ring touch or cross (O(n^2), n < 250)."""
    count = len(vertices)
    edges = [(vertices[i], vertices[(i + 1) % count]) for i in range(count)]
    for i in range(count):
        for j in range(i + 1, count):
            if j == i + 1 or (i == 0 and j == count - 1):
                continue
            if _segments_touch(*edges[i], *edges[j]):
                return True
    return False


def _segments_touch(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]
) -> bool:
    def orientation(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    def within(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> bool:
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    o1, o2, o3, o4 = orientation(a, b, c), orientation(a, b, d), orientation(c, d, a), orientation(c, d, b)
    if ((o1 > 0 > o2) or (o1 < 0 < o2)) and ((o3 > 0 > o4) or (o3 < 0 < o4)):
        return True
    return any(
        value == 0 and within(p, q, r)
        for value, p, q, r in ((o1, a, b, c), (o2, a, b, d), (o3, c, d, a), (o4, c, d, b))
    )


def _ring(ring: Any, index: int) -> list[list[float]]:
    path = f"geometry.coordinates.{index}"
    if not isinstance(ring, list) or len(ring) < 4:
        raise validation_error("a linear ring needs at least 4 positions", path)
    positions = [_position(position, f"{path}.{i}") for i, position in enumerate(ring)]
    if positions[0][:2] != positions[-1][:2]:
        raise validation_error("a linear ring must end where it starts", path)
    return positions


def _position(value: Any, path: str) -> list[float]:
    if not isinstance(value, list) or len(value) not in (2, 3) or not all(is_number(v) for v in value):
        raise validation_error("a position must be [longitude, latitude] numbers", path)
    lon, lat = float(value[0]), float(value[1])
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise validation_error(f"position {value} is out of range (lon -180..180, lat -90..90)", path)
    return [float(v) for v in value]
