"""Catalog search filters in space: ``bbox`` (antimeridian-aware) and ``intersects`` (any GeoJSON geometry).

Items match by bounding box: an item whose bbox overlaps a box of the requested geometry matches.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from capella_emulator.errors import validation_error

Item = dict[str, Any]
Predicate = Callable[[Item], bool]
# Intended mirror of the provider's _payloads/checks.py nesting: the server side, kept apart as an oracle.
GEOMETRY_DEPTHS = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


# ---- space ---------------------------------------------------------------------------------------


def bbox_predicate(value: Any) -> Predicate:
    if (
        not isinstance(value, list)
        or len(value) not in (4, 6)
        or not all(_is_number(entry) for entry in value)
    ):
        raise validation_error("bbox must be 4 numbers [min lon, min lat, max lon, max lat]", "bbox")
    half = len(value) // 2
    min_lon, min_lat, max_lon, max_lat = value[0], value[1], value[half], value[half + 1]
    if not all(-180 <= lon <= 180 for lon in (min_lon, max_lon)) or not all(
        -90 <= lat <= 90 for lat in (min_lat, max_lat)
    ):
        raise validation_error("bbox is out of range (longitude -180..180, latitude -90..90)", "bbox")
    if min_lat > max_lat:
        raise validation_error("bbox min latitude is greater than its max latitude", "bbox")
    if min_lon > max_lon:  # crosses the antimeridian, as STAC allows
        return _any_box([(min_lon, min_lat, 180.0, max_lat), (-180.0, min_lat, max_lon, max_lat)])
    return _any_box([(min_lon, min_lat, max_lon, max_lat)])


def intersects_predicate(value: Any) -> Predicate:
    return _any_box(_geometry_boxes(value, "intersects"))


def _any_box(boxes: list[tuple[float, float, float, float]]) -> Predicate:
    def intersects(item: Item) -> bool:
        bbox = item.get("bbox")
        if not bbox:
            return False
        half = len(bbox) // 2
        min_lon, min_lat, max_lon, max_lat = bbox[0], bbox[1], bbox[half], bbox[half + 1]
        return any(
            min_lon <= box[2] and max_lon >= box[0] and min_lat <= box[3] and max_lat >= box[1]
            for box in boxes
        )

    return intersects


def _geometry_boxes(geometry: Any, path: str) -> list[tuple[float, float, float, float]]:
    """Bounding boxes of a GeoJSON geometry: one per part of a Multi* geometry or GeometryCollection."""
    if not isinstance(geometry, dict) or not isinstance(geometry.get("type"), str):
        raise validation_error("intersects must be a GeoJSON geometry object with a type", path)
    kind = geometry["type"]
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list) or not members:
            raise validation_error(
                "a GeometryCollection needs a non-empty geometries list", f"{path}.geometries"
            )
        return [
            box for index, member in enumerate(members) for box in _geometry_boxes(member, f"{path}[{index}]")
        ]
    if kind not in GEOMETRY_DEPTHS:
        accepted = [*GEOMETRY_DEPTHS, "GeometryCollection"]
        raise validation_error(f"unknown geometry type {kind!r}; accepted: {accepted}", f"{path}.type")
    positions = _positions(geometry.get("coordinates"), GEOMETRY_DEPTHS[kind], f"{path}.coordinates")
    if not positions:
        raise validation_error(f"{kind} has no coordinates", f"{path}.coordinates")
    if kind in ("Polygon", "MultiPolygon"):
        _check_rings(geometry["coordinates"] if kind == "MultiPolygon" else [geometry["coordinates"]], path)
    depth = GEOMETRY_DEPTHS[kind]
    parts = geometry["coordinates"] if kind.startswith("Multi") else [geometry["coordinates"]]
    return [_box(_positions(part, depth - 1 if kind.startswith("Multi") else depth, path)) for part in parts]


def _box(positions: list[list[float]]) -> tuple[float, float, float, float]:
    lons = [position[0] for position in positions]
    lats = [position[1] for position in positions]
    return (min(lons), min(lats), max(lons), max(lats))


def _positions(value: Any, depth: int, path: str) -> list[list[float]]:
    if depth == 0:
        if (
            not isinstance(value, list)
            or len(value) not in (2, 3)
            or not all(_is_number(entry) for entry in value)
        ):
            raise validation_error("a position must be [longitude, latitude]", path)
        if not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
            raise validation_error(f"position {value} is out of range", path)
        return [value]
    if not isinstance(value, list):
        raise validation_error("coordinates are not nested as the geometry type requires", path)
    return [position for entry in value for position in _positions(entry, depth - 1, path)]


def _check_rings(polygons: list[Any], path: str) -> None:
    for polygon in polygons:
        for ring in polygon:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise validation_error(
                    "a polygon ring needs at least 4 positions, the last equal to the first",
                    f"{path}.coordinates",
                )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
