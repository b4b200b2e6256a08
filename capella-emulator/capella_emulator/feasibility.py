"""Access requests (feasibility): "can this target be imaged in this window, and when?".

``POST /ma/accessrequests`` stores a request and answers its Feature with ``processingStatus``
``queued``; on the emulator's clock it is ``processing`` one tasking step later and ``completed`` two
steps after creation (``tasking_step_seconds``, captured at creation). Only then does
``accessibilityStatus`` turn from ``unknown`` into ``accessible`` (at least one pass) or ``inaccessible``,
and ``GET /ma/accesses/{id}`` answer the passes; before, it is a 400 ``ACCESS_REQUEST_NOT_COMPLETED``.

The passes come from :mod:`.feasibility_orbits` (the spacecraft launched by ``windowOpen``, in their
orbital planes) and are then filtered by the request's ``orbitalPlanes``, ``ascDsc``, ``lookDirection``
and ``localTime``. The same inputs always give the same passes.

Example::

    record = state.access_requests.create(body)
    record.feature(state.now())["properties"]["processingStatus"]  # "queued"
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from capella_emulator.errors import ApiError, not_found, validation_error
from capella_emulator.feasibility_orbits import Pass, ecef_m, find_passes
from capella_emulator.feasibility_validation import (
    AccessRequestInput,
    parse_access_request,
    target_of,
)
from capella_emulator.stac_items import PLATFORM_PLANES, active_platforms
from capella_emulator.tasking_time import iso

if TYPE_CHECKING:
    from capella_emulator.state import EmulatorState

NAMESPACE = uuid.UUID("5f0e3c1a-9b7d-4c2e-8a61-2d4f6b8c0e13")


@dataclass
class AccessRequestRecord:
    """One access request, its timing and its (already computed) passes.

    Example::

        record = book.get(access_request_id)
        record.status(now), record.accesses()
    """

    access_request_id: str
    request: AccessRequestInput
    created: float
    step: float
    user_id: str
    org_id: str
    passes: list[Pass] = field(default_factory=list)

    def status(self, now: float) -> str:
        """``queued``, ``processing`` or ``completed`` at ``now``."""
        if now >= self.created + 2 * self.step:
            return "completed"
        return "processing" if now >= self.created + self.step else "queued"

    def feature(self, now: float) -> dict[str, Any]:
        """Render the access request as ``POST /ma/accessrequests`` and ``GET .../{id}`` answer it."""
        status = self.status(now)
        accessibility = "unknown"
        if status == "completed":
            accessibility = "accessible" if self.passes else "inaccessible"
        request = self.request
        properties = {
            "accessrequestId": self.access_request_id,
            "accessrequestName": request.name,
            "accessrequestDescription": request.description,
            "userId": self.user_id,
            "orgId": self.org_id,
            "submissionTime": iso(self.created),
            "windowOpen": iso(request.window_open),
            "windowClose": iso(request.window_close),
            "windowDuration": round(request.window_close - request.window_open, 3),
            "accessConstraints": request.constraints,
            "processingStatus": status,
            "accessibilityStatus": accessibility,
        }
        return {"type": "Feature", "geometry": request.geometry, "properties": properties}

    def accesses(self) -> list[dict[str, Any]]:
        """Render the passes as ``GET /ma/accesses/{id}`` lists them (keys in the API's order)."""
        lat, lon = target_of(self.request.geometry)
        tile_id = str(uuid.uuid5(NAMESPACE, f"tile/{self.access_request_id}"))
        return [self._access(access, lat, lon, tile_id) for access in self.passes]

    def _access(self, access: Pass, lat: float, lon: float, tile_id: str) -> dict[str, Any]:
        key = f"{self.access_request_id}/{access.spacecraft_id}/{round(access.closest, 3)}"
        return {
            "center": [round(lon, 6), round(lat, 6), 0.0],
            "centerEcef": ecef_m(lat, lon),
            "spacecraftId": access.spacecraft_id,
            "accessId": str(uuid.uuid5(NAMESPACE, key)),
            "accessrequestId": self.access_request_id,
            "tileId": tile_id,
            "windowOpen": iso(access.window_open),
            "windowClose": iso(access.window_close),
            "windowOpenLocal": _local_clock(access.window_open, lon),
            "windowCloseLocal": _local_clock(access.window_close, lon),
            "orbitalPlane": access.orbital_plane,
            "accessProperties": {
                "ascdsc": "ascending" if access.ascending else "descending",
                "lookDirection": "left" if access.left else "right",
                "localTime": access.local_time,
                "azimuthOpen": access.azimuth_open,
                "azimuthClose": access.azimuth_close,
                "elevationMin": access.elevation_min,
                "elevationMax": access.elevation_max,
                "offNadirMin": access.off_nadir_min,
                "offNadirMax": access.off_nadir_max,
            },
        }


class AccessRequestBook:
    """Every access request of one emulator.

    Example::

        book = AccessRequestBook(state)
        record = book.create({"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.05, 51.95]},
                              "properties": {"windowOpen": "2026-12-01T00:00:00Z",
                                             "windowClose": "2026-12-02T00:00:00Z"}})
        book.accesses(record.access_request_id)  # a 400 until the request is completed
    """

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.requests: dict[str, AccessRequestRecord] = {}

    def create(self, body: Any) -> AccessRequestRecord:
        """Validate, plan and store an access request in one go (see :meth:`create_async`)."""
        now = self.state.now()
        request = parse_access_request(body, now)
        return self._store(request, now, plan_passes(request, seed=self.state.config.seed, not_before=now))

    async def create_async(self, body: Any) -> AccessRequestRecord:
        """Like :meth:`create`, planning the passes in a worker thread.

        A window of months takes the orbit model seconds; the event loop keeps serving other requests
        meanwhile. The state is only touched once the passes are known.
        """
        now = self.state.now()
        request = parse_access_request(body, now)
        passes = await asyncio.to_thread(plan_passes, request, self.state.config.seed, now)
        return self._store(request, now, passes)

    def _store(self, request: AccessRequestInput, now: float, passes: list[Pass]) -> AccessRequestRecord:
        config = self.state.config
        record = AccessRequestRecord(
            access_request_id=str(uuid.uuid4()),
            request=request,
            created=now,
            step=float(config.tasking_step_seconds),
            user_id=config.user_id,
            org_id=config.organization_id,
            passes=passes,
        )
        self.requests[record.access_request_id] = record
        return record

    def get(self, access_request_id: str) -> AccessRequestRecord:
        try:
            key = str(uuid.UUID(access_request_id))
        except ValueError:
            raise validation_error("accessrequestId must be a UUID", "accessrequestId") from None
        record = self.requests.get(key)
        if record is None:
            raise not_found("access request", access_request_id)
        return record

    def accesses(self, access_request_id: str) -> list[dict[str, Any]]:
        record = self.get(access_request_id)
        status = record.status(self.state.now())
        if status != "completed":
            raise ApiError(
                400,
                "ACCESS_REQUEST_NOT_COMPLETED",
                f"access request {access_request_id} is {status}; its accesses are listed once it is "
                "completed",
            )
        return record.accesses()


def plan_passes(request: AccessRequestInput, seed: int, not_before: float = 0.0) -> list[Pass]:
    """Compute the passes over the request's target that meet all of its constraints.

    A pass that would open before ``not_before`` (the request's creation) is in the past: it is left out.
    """
    constraints = request.constraints
    lat, lon = target_of(request.geometry)
    launched = active_platforms(datetime.fromtimestamp(request.window_open, tz=timezone.utc))
    planes = set(constraints["orbitalPlanes"])
    spacecraft = [
        (number, PLATFORM_PLANES[(number - 1) % len(PLATFORM_PLANES)])
        for number in launched
        if PLATFORM_PLANES[(number - 1) % len(PLATFORM_PLANES)] in planes
    ]
    passes = find_passes(
        lat=lat,
        lon=lon,
        window_open=request.window_open,
        window_close=request.window_close,
        spacecraft=spacecraft,
        seed=seed,
        off_nadir=(float(constraints["offNadirMin"]), float(constraints["offNadirMax"])),
    )
    return [access for access in passes if access.window_open >= not_before and _meets(access, constraints)]


def _meets(access: Pass, constraints: dict[str, Any]) -> bool:
    direction = "ascending" if access.ascending else "descending"
    look = "left" if access.left else "right"
    if constraints["ascDsc"] not in ("either", direction):
        return False
    if constraints["lookDirection"] not in ("either", look):
        return False
    return any(start <= access.local_time < end for start, end in constraints["localTime"])


def _local_clock(moment: float, lon: float) -> str:
    """Local mean solar time at ``lon`` as an ISO date-time without a zone."""
    local = datetime.fromtimestamp(moment, tz=timezone.utc) + timedelta(hours=lon / 15.0)
    return local.replace(tzinfo=None).isoformat(timespec="milliseconds")
