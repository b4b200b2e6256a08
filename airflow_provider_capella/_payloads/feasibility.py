"""Access requests (feasibility): the ``POST /ma/accessrequests`` body, every argument checked first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads.tasking import checked_constraints, window

ACCESS_CONSTRAINTS = (  # the constraint keyword arguments of CapellaHook.create_access_request
    "off_nadir_min", "off_nadir_max", "image_length", "image_width", "asc_dsc", "look_direction",
    "orbital_planes", "local_time",
)  # fmt: skip
MAX_WINDOW = timedelta(days=366)  # the longest access window the API plans passes for


def access_request_body(
    *,
    geometry: Any,
    window_open: Any,
    window_close: Any,
    name: Any,
    description: Any,
    constraints: Mapping[str, Any],
) -> dict[str, Any]:
    """Build the access request Feature; raise ``CapellaValidationError`` naming the first bad argument."""
    shape = checks.geometry("geometry", geometry, allowed=("Point", "Polygon"))
    for argument, value in (("window_open", window_open), ("window_close", window_close)):
        if value is None:
            checks.fail(argument, "is required (a datetime or an ISO 8601 string)")
    opens, closes = window(window_open, window_close)
    if closes <= datetime.now(timezone.utc):
        checks.fail("window_close", f"is already past ({checks.iso_utc(closes)}); no pass can be planned")
    if closes - opens > MAX_WINDOW:
        checks.fail("window_close", f"must be at most 366 days after window_open, got {closes - opens}")
    checks.reject_unknown(constraints, ACCESS_CONSTRAINTS, "create_access_request")
    properties = {
        "accessrequestName": checks.text("name", name),
        "accessrequestDescription": checks.text("description", description),
        "windowOpen": checks.iso_utc(opens),
        "windowClose": checks.iso_utc(closes),
        "accessConstraints": checked_constraints(constraints) or None,
    }
    return {"type": "Feature", "geometry": shape, "properties": checks.without_none(properties)}
