"""The geometry, timing and cancel rules Capella enforces on tasking requests (see docs/api-fidelity.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow_provider_capella._payloads import checks

MINIMUM_WINDOW = {"urgent": timedelta(days=1), "priority": timedelta(days=3), "standard": timedelta(days=7)}
CANCELLABLE = frozenset({"accepted", "active"})
DECLINABLE = frozenset({"review"})  # declined (rejected by the user) instead of canceled
CANCELLATION_REFUSED = "CANCELLATION_NOT_ALLOWED"  # our code for a refused cancel: Capella publishes none
NOT_CANCELLABLE_BEFORE_COLLECT = timedelta(hours=12)
FREE_CANCELLATION_BEFORE_COLLECT = timedelta(hours=72)


def check_window_for_tier(tier: str, opens: datetime, closes: datetime) -> None:
    """Refuse a window shorter than the tier's minimum, naming ``window_close`` and the rule."""
    minimum = MINIMUM_WINDOW.get(tier)
    if minimum is None or closes - opens >= minimum:
        return
    checks.fail(
        "window_close",
        f"a {tier} tasking request needs a window of at least {_duration(minimum)} "
        f"(window_close - window_open), got {_duration(closes - opens)}; Capella refuses shorter "
        f"windows (urgent >= 24 hours, priority >= 72 hours, standard >= 7 days). Move window_close "
        f"to {checks.iso_utc(opens + minimum)} or later, or choose another collection_tier",
    )


def cancellation_problem(label: str, request_id: str, status: str | None) -> str | None:
    """Say why a request in ``status`` cannot be canceled, or ``None`` when it can."""
    if status is None or status in CANCELLABLE:
        return None
    if status in DECLINABLE:
        method = "reject_tasking_request" if label.startswith("tasking") else "reject_repeat_request"
        return (
            f"{label} {request_id} is in review: a request in review cannot be canceled, it is rejected "
            f"instead (CapellaHook.{method}({request_id!r}) or the Capella console); nothing is charged"
        )
    hint = "; wait until it is accepted or active" if status in ("received", "submitted") else ""
    return f"{label} {request_id} is {status}: Capella cancels only accepted or active requests{hint}"


def late_cancellation_problem(request_id: str, first_collect: datetime | None, now: datetime) -> str | None:
    """Say why a request whose first collect is under 12 hours away cannot be canceled, else ``None``."""
    if first_collect is None or first_collect - now >= NOT_CANCELLABLE_BEFORE_COLLECT:
        return None
    hours = max(0.0, (first_collect - now).total_seconds() / 3600)
    return (
        f"tasking request {request_id} has its first collect in {hours:.1f} hours "
        f"({checks.iso_utc(first_collect)}): Capella does not cancel a request within 12 hours of its "
        "first collect (it is charged in full)"
    )


def cancellation_fee_notice(request_id: str, first_collect: datetime | None, now: datetime) -> str | None:
    """Say what canceling now costs when it is not free (12 to 72 hours before the first collect)."""
    if first_collect is None or first_collect - now > FREE_CANCELLATION_BEFORE_COLLECT:
        return None
    return (
        f"canceling tasking request {request_id} costs 25% of its order value: its first collect is "
        "12 to 72 hours away"
    )


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 168 and (hours / 24).is_integer() else f"{hours:.4g} hours"


MAX_POLYGON_VERTICES = 250  # an area task's ring has fewer distinct vertices (the closing one not counted)

Vertex = tuple[float, float]


def tasking_geometry(argument: str, value: Any) -> dict[str, Any]:
    """Return a tasking request's geometry: a Point, or a Polygon meeting the area rules."""
    if _type_of(value) == "MultiPolygon":
        checks.fail(
            argument,
            "a MultiPolygon is not accepted by Capella tasking: create one tasking request per Polygon",
        )
    shape = checks.geometry(argument, value, allowed=("Point", "Polygon"))
    if shape["type"] == "Polygon":
        check_area(argument, shape["coordinates"])
    return shape


def repeat_geometry(argument: str, value: Any) -> dict[str, Any]:
    """Return a repeat request's geometry, which must be a Point."""
    kind = _type_of(value)
    if kind in checks.GEOMETRY_TYPES and kind != "Point":
        checks.fail(
            argument,
            f"a repeat request takes a Point only, got a {kind}: Capella has no repeat tasking of "
            "areas (create a tasking request for an area instead)",
        )
    return checks.geometry(argument, value, allowed=("Point",))


def check_area(argument: str, rings: list[Any]) -> None:
    """Check the area rules of a Polygon's rings: one ring, under 250 vertices, not self-intersecting."""
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
    count = len(vertices)
    edges = [(vertices[i], vertices[(i + 1) % count]) for i in range(count)]
    for i in range(count):
        for j in range(i + 2, count - (i == 0)):  # non-adjacent: edge 0 and the last share a vertex
            if _segments_touch(*edges[i], *edges[j]):
                checks.fail(
                    argument,
                    f"the polygon must not intersect itself: edge {i} (from vertex {i}) crosses edge "
                    f"{j} (from vertex {j})",
                )


def _type_of(value: Any) -> Any:
    candidate = getattr(value, "__geo_interface__", value)
    return candidate.get("type") if isinstance(candidate, dict) else None


def _orientation(p: Vertex, q: Vertex, r: Vertex) -> float:
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])


def _on_segment(p: Vertex, q: Vertex, r: Vertex) -> bool:
    return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])


def _segments_touch(a: Vertex, b: Vertex, c: Vertex, d: Vertex) -> bool:
    triples = ((a, b, c), (a, b, d), (c, d, a), (c, d, b))
    o1, o2, o3, o4 = (_orientation(p, q, r) for p, q, r in triples)
    if ((o1 > 0 > o2) or (o1 < 0 < o2)) and ((o3 > 0 > o4) or (o3 < 0 < o4)):
        return True
    collinear = ((o1, a, b, c), (o2, a, b, d), (o3, c, d, a), (o4, c, d, b))
    return any(value == 0 and _on_segment(p, q, r) for value, p, q, r in collinear)
