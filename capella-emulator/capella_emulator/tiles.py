"""Tiles of a tasking request: the scene-sized cells ``GET /tiles/list/{taskingrequestId}`` answers.

A request has tiles once it has been ``accepted`` or ``active`` (never before: until then nothing is
scheduled), and keeps them afterwards. A tile is a north-up rectangle as wide and as long as one scene:
``collectConstraints.imageWidth`` / ``imageLength`` (metres) when the request set them, otherwise the
nominal scene of its collection type (5 x 5 km for ``spotlight``, 5 x 20 km for ``stripmap_20``, ...).
A Point request has one tile centred on the point; an area request has the cells of a grid laid over the
polygon's bounding box that touch the polygon (at most :data:`MAX_TILES`).

Each tile is a GeoJSON Feature; ``tileGroupId`` is the same as the one the request's collects carry.

Example::

    tiles = request_tiles(state.tasking.get(task_id))
    [tile["properties"]["tileId"] for tile in tiles]
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any

from capella_emulator.feasibility_orbits import ecef_m
from capella_emulator.stac_geometry import KM_PER_DEGREE
from capella_emulator.stac_items import COLLECTION_TYPE_PROFILES

if TYPE_CHECKING:
    from capella_emulator.tasking import TaskRecord

MAX_TILES = 400
SCHEDULED_CODES = frozenset({"accepted", "active"})
Ring = list[tuple[float, float]]


def request_tiles(record: TaskRecord) -> list[dict[str, Any]]:
    """Render the tiles of a tasking request (an empty list until it is accepted or active)."""
    history = record.feature()["properties"]["statusHistory"]
    if not SCHEDULED_CODES & {entry["code"] for entry in history}:
        return []
    props = record.properties
    width_km, length_km = scene_size_km(props["collectionType"], props.get("collectConstraints") or {})
    geometry = record.geometry
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"][:2]
        cells = [((0, 0), rectangle(lon, lat, width_km, length_km))]
    else:
        cells = grid_cells(geometry["coordinates"][0], width_km, length_km)
    group = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tile-group/{record.task_id}"))
    return [_feature(record, index, cell, group, width_km, length_km) for (index, cell) in cells[:MAX_TILES]]


def scene_size_km(collection_type: str, constraints: dict[str, Any]) -> tuple[float, float]:
    """Return (width, length) of one scene in km: the request's image size, else its collection type's."""
    profile = COLLECTION_TYPE_PROFILES.get(collection_type, COLLECTION_TYPE_PROFILES["spotlight"])
    width = constraints.get("imageWidth")
    length = constraints.get("imageLength")
    return (
        float(width) / 1000 if width else profile.width_km,
        float(length) / 1000 if length else profile.length_km,
    )


def rectangle(lon: float, lat: float, width_km: float, length_km: float) -> Ring:
    """Build a closed, counter-clockwise north-up rectangle centred on ``(lon, lat)``."""
    half_lon = width_km / 2 / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    half_lat = length_km / 2 / KM_PER_DEGREE
    west, east = round(lon - half_lon, 6), round(lon + half_lon, 6)
    south, north = round(lat - half_lat, 6), round(lat + half_lat, 6)
    return [(west, south), (east, south), (east, north), (west, north), (west, south)]


def grid_cells(
    ring: list[list[float]], width_km: float, length_km: float
) -> list[tuple[tuple[int, int], Ring]]:
    """Return the cells of a scene-sized grid over the ring's bounding box that touch the ring."""
    polygon = [(float(p[0]), float(p[1])) for p in ring]
    lons, lats = [p[0] for p in polygon], [p[1] for p in polygon]
    west, south, east, north = min(lons), min(lats), max(lons), max(lats)
    mid_lat = (south + north) / 2
    step_lon = width_km / (KM_PER_DEGREE * max(math.cos(math.radians(mid_lat)), 0.01))
    step_lat = length_km / KM_PER_DEGREE
    columns = max(1, math.ceil((east - west) / step_lon - 1e-9))
    rows = max(1, math.ceil((north - south) / step_lat - 1e-9))
    cells = []
    for row in range(rows):
        for column in range(columns):
            x0, y0 = west + column * step_lon, south + row * step_lat
            cell = [(x0, y0), (x0 + step_lon, y0), (x0 + step_lon, y0 + step_lat), (x0, y0 + step_lat)]
            if _touches(cell, polygon):
                rounded = [(round(x, 6), round(y, 6)) for x, y in cell]
                cells.append(((row, column), [*rounded, rounded[0]]))
            if len(cells) >= MAX_TILES:
                return cells
    return cells


def _feature(
    record: TaskRecord, index: tuple[int, int], cell: Ring, group: str, width_km: float, length_km: float
) -> dict[str, Any]:
    lon = (cell[0][0] + cell[2][0]) / 2
    lat = (cell[0][1] + cell[2][1]) / 2
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[list(point) for point in cell]]},
        "properties": {
            "tileId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"tile/{record.task_id}/{index[0]}/{index[1]}")),
            "tileGroupId": group,
            "taskingrequestId": record.task_id,
            "repeatrequestId": record.properties.get("repeatrequestId"),
            "collectionType": record.properties["collectionType"],
            "imageWidth": round(width_km * 1000),
            "imageLength": round(length_km * 1000),
            "center": [round(lon, 6), round(lat, 6), 0.0],
            "centerEcef": ecef_m(lat, lon),
        },
    }


def _touches(cell: Ring, polygon: Ring) -> bool:
    """Whether a convex cell and a simple polygon overlap (a corner inside the other, or crossing edges)."""
    if any(_inside(point, polygon) for point in cell) or any(_inside(point, cell) for point in polygon):
        return True
    cell_edges = list(zip(cell, cell[1:] + cell[:1], strict=True))
    polygon_edges = list(zip(polygon, polygon[1:] + polygon[:1], strict=True))
    return any(_cross(a, b, c, d) for a, b in cell_edges for c, d in polygon_edges)


def _inside(point: tuple[float, float], ring: Ring) -> bool:
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def _cross(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]
) -> bool:
    def side(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0
