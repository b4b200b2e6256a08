"""``CapellaHook``'s feasibility methods (attached to the class in :mod:`.capella`).

An access request asks "which satellite passes can image this target in this window?" before
anything billable is created (``POST /ma/accessrequests``); Capella plans the passes in the
background (``processingStatus`` queued → processing → completed) and lists them at
``GET /ma/accesses/{id}``. None of this is billable.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads.feasibility import access_request_body
from airflow_provider_capella.exceptions import CapellaAccessRequestPendingError, CapellaError

if TYPE_CHECKING:
    from datetime import datetime

    from airflow_provider_capella.hooks.capella import CapellaHook

COMPLETED = "completed"
FAILED = frozenset({"failed", "error", "rejected", "canceled", "cancelled"})
NOT_COMPLETED_CODE = "ACCESS_REQUEST_NOT_COMPLETED"


def create_access_request(
    self: CapellaHook,
    *,
    geometry: dict[str, Any],
    window_open: datetime | str,
    window_close: datetime | str,
    name: str = "",
    description: str = "",
    off_nadir_min: float | None = None,
    off_nadir_max: float | None = None,
    image_length: float | None = None,
    image_width: float | None = None,
    asc_dsc: str | None = None,
    look_direction: str | None = None,
    orbital_planes: list[int] | None = None,
    local_time: str | list[Any] | None = None,
) -> dict[str, Any]:
    """Ask which passes can image a target in a window (not billable); return the access request.

    The constraints are optional; the API's defaults apply to those left out.

    :param geometry: the target, a GeoJSON Point or Polygon.
    :param window_open: when the window opens (datetime or ISO 8601; naive means UTC).
    :param window_close: when it closes: after ``window_open``, in the future, within 366 days.
    :param name: a name for the access request.
    :param description: free text.
    :param off_nadir_min: the smallest off-nadir angle allowed (degrees, 0-90).
    :param off_nadir_max: the largest off-nadir angle allowed (degrees, above ``off_nadir_min``).
    :param image_length: the image length (metres).
    :param image_width: the image width (metres).
    :param asc_dsc: ``ascending``, ``descending`` or ``either``.
    :param look_direction: ``left``, ``right`` or ``either``.
    :param orbital_planes: the orbital planes allowed (45, 53, 97).
    :param local_time: ``day``, ``night``, ``anytime`` or ``[[start, end], ...]`` seconds of the day.
    :return: the access request Feature (``properties.accessrequestId``, ``processingStatus``).

    Example::

        access = hook.create_access_request(
            geometry={"type": "Point", "coordinates": [4.05, 51.95]},
            window_open="2030-03-01T00:00:00Z", window_close="2030-03-08T00:00:00Z",
            name="rotterdam", off_nadir_max=40, orbital_planes=[53, 97])
        access_request_id = access["properties"]["accessrequestId"]
    """
    constraints = {
        "off_nadir_min": off_nadir_min,
        "off_nadir_max": off_nadir_max,
        "image_length": image_length,
        "image_width": image_width,
        "asc_dsc": asc_dsc,
        "look_direction": look_direction,
        "orbital_planes": orbital_planes,
        "local_time": local_time,
    }
    body = access_request_body(
        geometry=geometry,
        window_open=window_open,
        window_close=window_close,
        name=name,
        description=description,
        constraints=constraints,
    )
    created = self.api.call("POST", "/ma/accessrequests", json=body)
    self.log.info("Created access request %s", access_request_id_of(created))
    return created


def get_access_request(self: CapellaHook, access_request_id: str) -> dict[str, Any]:
    """Fetch one access request (``GET /ma/accessrequests/{id}``).

    :param access_request_id: the access request.
    :return: the access request Feature (``processingStatus``, ``accessibilityStatus``, ...).

    Example::

        status = hook.get_access_request(access_request_id)["properties"]["processingStatus"]
    """
    checked = checks.uuid_text("access_request_id", access_request_id)
    return self.api.call("GET", f"/ma/accessrequests/{checked}")


def get_accesses(
    self: CapellaHook,
    access_request_id: str,
    *,
    wait: bool = False,
    timeout: float = 600.0,
    poll_interval: float = 10.0,
) -> list[dict[str, Any]]:
    """Return the passes that can image the access request's target (``GET /ma/accesses/{id}``).

    An empty list means the target cannot be imaged in the window under the constraints.

    :param access_request_id: the access request.
    :param wait: first wait until the access request has been processed (``processingStatus``
        ``completed``); without it, a request still processing raises.
    :param timeout: the most seconds to wait with ``wait=True``.
    :param poll_interval: seconds between status checks with ``wait=True``.
    :return: the passes in time order (``windowOpen``, ``windowClose``, ``spacecraftId``,
        ``accessProperties.offNadirMin`` ...).
    :raises CapellaAccessRequestPendingError: when the request is not processed (in time).

    Example::

        passes = hook.get_accesses(access_request_id, wait=True, timeout=300)
        feasible = bool(passes)
    """
    checked = checks.uuid_text("access_request_id", access_request_id)
    checks.boolean("wait", wait)
    checks.number("timeout", timeout, minimum=0)
    checks.number("poll_interval", poll_interval, positive=True)
    if wait:
        wait_until_processed(self, checked, timeout=timeout, poll_interval=poll_interval)
    try:
        accesses = self.api.call("GET", f"/ma/accesses/{checked}")
    except CapellaError as error:
        if error.code == NOT_COMPLETED_CODE:
            raise CapellaAccessRequestPendingError(
                f"access request {checked} is still being processed; call get_accesses(..., wait=True)",
                status=error.status,
                code=error.code,
            ) from None
        raise
    return list(accesses or [])


def wait_until_processed(
    hook: CapellaHook, access_request_id: str, *, timeout: float, poll_interval: float
) -> dict[str, Any]:
    """Poll the access request until it is processed; return it. Raise when it fails or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        access = get_access_request(hook, access_request_id)
        status = processing_status(access)
        if status == COMPLETED:
            return access
        if status in FAILED:
            raise CapellaError(
                f"access request {access_request_id} ended {status}", code="ACCESS_REQUEST_FAILED"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CapellaAccessRequestPendingError(
                f"access request {access_request_id} was still {status or 'unprocessed'} after {timeout:g} s",
                code="ACCESS_REQUEST_TIMEOUT",
            )
        time.sleep(min(poll_interval, remaining))


def processing_status(access: Any) -> str | None:
    """Return an access request's ``processingStatus`` (lower case), or ``None`` when absent."""
    properties = access.get("properties") if isinstance(access, dict) else None
    status = (properties or {}).get("processingStatus")
    return str(status).lower() if status is not None else None


def access_request_id_of(access: Any) -> str | None:
    """Return ``properties.accessrequestId`` of an access request Feature, if present."""
    properties = access.get("properties") if isinstance(access, dict) else None
    value = (properties or {}).get("accessrequestId")
    return None if value is None else str(value)
