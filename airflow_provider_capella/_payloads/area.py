"""The geometry rules Capella tasking enforces: what a Point, an area and a repeat request may be.

An area task is a GeoJSON Polygon with one ring (no holes), fewer than 250 distinct vertices and no
self-intersection; a MultiPolygon is refused (task each area on its own). A repeat request images a
Point only: Capella has no repeat tasking of areas. These are checked before anything is sent, with a
message naming the argument and the rule.

Example::

    from airflow_provider_capella._payloads.area import tasking_geometry

    tasking_geometry("geometry", {"type": "Point", "coordinates": [4.05, 51.95]})
"""

from __future__ import annotations

from typing import Any

from airflow_provider_capella._payloads import checks

MAX_POLYGON_VERTICES = 250
"""An area task's ring must have fewer distinct vertices than this (the closing position not counted)."""

Vertex = tuple[float, float]


def tasking_geometry(argument: str, value: Any) -> dict[str, Any]:
    """Return a tasking request's geometry: a Point, or a Polygon meeting the area rules.

    :param argument: the argument name for messages (``geometry``).
    :param value: a GeoJSON geometry dict or an object with ``__geo_interface__``.
    :return: the plain GeoJSON geometry.
    :raises CapellaValidationError: naming ``argument`` and the rule that is broken.
    """
    _refuse_multipolygon(argument, value)
    shape = checks.geometry(argument, value, allowed=("Point", "Polygon"))
    if shape["type"] == "Polygon":
        check_area(argument, shape["coordinates"])
    return shape


def repeat_geometry(argument: str, value: Any) -> dict[str, Any]:
    """Return a repeat request's geometry, which must be a Point.

    :param argument: the argument name for messages (``geometry``).
    :param value: a GeoJSON geometry dict or an object with ``__geo_interface__``.
    :return: the plain GeoJSON Point.
    :raises CapellaValidationError: for any other geometry type.
    """
    candidate = getattr(value, "__geo_interface__", value)
    kind = candidate.get("type") if isinstance(candidate, dict) else None
    if kind in ("Polygon", "MultiPolygon", "LineString", "MultiPoint", "MultiLineString"):
        checks.fail(
            argument,
            f"a repeat request takes a Point only, got a {kind}: Capella has no repeat tasking of "
            "areas (create a tasking request for an area instead)",
        )
    return checks.geometry(argument, value, allowed=("Point",))


def check_area(argument: str, rings: list[Any]) -> None:
    """Check the area rules of a Polygon's rings: one ring, under 250 vertices, not self-intersecting.

    :param argument: the argument name for messages.
    :param rings: the Polygon's coordinates (closed rings, already checked as positions).
    :raises CapellaValidationError: naming the rule that is broken.
    """
    if len(rings) != 1:
        checks.fail(
            argument,
            f"an area task takes a Polygon with one ring and no holes, got {len(rings)} rings "
            "(remove the interior rings)",
        )
    vertices = [(float(point[0]), float(point[1])) for point in rings[0][:-1]]
    if len(vertices) >= MAX_POLYGON_VERTICES:
        checks.fail(
            argument,
            f"an area task's polygon must have fewer than {MAX_POLYGON_VERTICES} vertices, got "
            f"{len(vertices)} (simplify it)",
        )
    crossing = first_self_intersection(vertices)
    if crossing is not None:
        first, second = crossing
        checks.fail(
            argument,
            f"the polygon must not intersect itself: edge {first} (from vertex {first}) crosses edge "
            f"{second} (from vertex {second})",
        )


def first_self_intersection(vertices: list[Vertex]) -> tuple[int, int] | None:
    """Return the first pair of non-adjacent edges of a closed ring that touch or cross, if any.

    :param vertices: the ring's distinct vertices, in order (the closing position left out).
    :return: the indexes of the two edges (edge ``i`` runs from vertex ``i`` to ``i + 1``), or ``None``.
    """
    count = len(vertices)
    edges = [(vertices[i], vertices[(i + 1) % count]) for i in range(count)]
    for i in range(count):
        for j in range(i + 2, count):
            if i == 0 and j == count - 1:
                continue  # the first and last edges share the closing vertex
            if _segments_touch(*edges[i], *edges[j]):
                return i, j
    return None


def _refuse_multipolygon(argument: str, value: Any) -> None:
    candidate = getattr(value, "__geo_interface__", value)
    if isinstance(candidate, dict) and candidate.get("type") == "MultiPolygon":
        checks.fail(
            argument,
            "a MultiPolygon is not accepted by Capella tasking: create one tasking request per Polygon",
        )


def _orientation(p: Vertex, q: Vertex, r: Vertex) -> float:
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])


def _on_segment(p: Vertex, q: Vertex, r: Vertex) -> bool:
    return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])


def _segments_touch(a: Vertex, b: Vertex, c: Vertex, d: Vertex) -> bool:
    o1, o2, o3, o4 = (
        _orientation(a, b, c),
        _orientation(a, b, d),
        _orientation(c, d, a),
        _orientation(c, d, b),
    )
    if ((o1 > 0 > o2) or (o1 < 0 < o2)) and ((o3 > 0 > o4) or (o3 < 0 < o4)):
        return True
    collinear = ((o1, a, b, c), (o2, a, b, d), (o3, c, d, a), (o4, c, d, b))
    return any(value == 0 and _on_segment(p, q, r) for value, p, q, r in collinear)
