"""``CapellaHook``'s tasking request methods (attached to the class in :mod:`.capella`).

Each one checks its arguments through :mod:`airflow_provider_capella._payloads` and delegates to
:mod:`._requests`, which talks to the API through the hook's one HTTP client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_capella import tasking_status
from airflow_provider_capella._payloads import (
    CollectConstraints,
    RequestBasics,
    tasking_request_body,
    tasking_request_search,
)
from airflow_provider_capella.hooks import _requests

if TYPE_CHECKING:
    from datetime import datetime

    from airflow_provider_capella.hooks.capella import CapellaHook


def create_tasking_request(
    self: CapellaHook,
    *,
    geometry: dict[str, Any],
    name: str = "",
    description: str | None = "",
    collection_type: str = "spotlight",
    collection_tier: str = "standard",
    window_open: datetime | str | None = None,
    window_close: datetime | str | None = None,
    local_time: str | list[Any] | None = None,
    product_types: list[str] | None = None,
    off_nadir_min: float | None = None,
    off_nadir_max: float | None = None,
    image_width: float | None = None,
    orbital_planes: list[int] | None = None,
    asc_dsc: str | None = "either",
    look_direction: str | None = "either",
    polarization: str | None = None,
    archive_holdback: str | None = "none",
    custom_attribute_1: str | None = None,
    custom_attribute_2: str | None = None,
    pre_approval: bool = False,
    azimuth_angle_min: float | None = None,
    azimuth_angle_max: float | None = None,
    squint: str | None = None,
    max_squint_angle: float | None = None,
    contract_id: str | None = None,
) -> dict[str, Any]:
    """Create a tasking request (a new collection: billable); return the created request Feature.

    Sent once: after an ambiguous failure it is not re-sent (``CapellaAmbiguousCreateError`` says to
    look for it first).

    :param geometry: the point or area of interest: a GeoJSON Point, or a Polygon with one ring (no
        holes), fewer than 250 vertices and no self-intersection (no MultiPolygon: one request per area).
    :param name: a name for the request.
    :param description: free text describing the request.
    :param collection_type: the collect mode, e.g. ``spotlight`` (default), ``stripmap``.
    :param collection_tier: ``urgent``, ``priority``, ``standard`` (default) or ``flexible``. Each tier
        needs a minimum window: urgent 24 hours, priority 72 hours, standard 7 days (flexible: none).
    :param window_open: earliest collection time (default: now; aware datetimes converted to UTC).
    :param window_close: latest collection time (default: seven days after ``window_open``); a
        window shorter than the tier's minimum is refused before anything is sent.
    :param local_time: ``day``, ``night``, ``anytime`` or ``[[start, end], ...]`` seconds of the day.
    :param product_types: analytics to add to the order along with the imagery.
    :param off_nadir_min: the smallest off-nadir angle allowed (degrees).
    :param off_nadir_max: the largest off-nadir angle allowed (degrees).
    :param image_width: the image width (metres).
    :param orbital_planes: orbital planes allowed to serve the request (45, 53, 97).
    :param asc_dsc: ``ascending``, ``descending`` or ``either`` (default).
    :param look_direction: ``right``, ``left`` or ``either`` (default).
    :param polarization: ``HH`` or ``VV``.
    :param archive_holdback: ``none`` (default), ``thirty_day``, ``one_year`` or ``permanent``.
    :param custom_attribute_1: your own tracking value, echoed by the API.
    :param custom_attribute_2: a second tracking value.
    :param pre_approval: skip the cost review step.
    :param azimuth_angle_min: the smallest azimuth angle allowed (degrees clockwise from North).
    :param azimuth_angle_max: the largest azimuth angle allowed.
    :param squint: ``enabled``, ``forward`` or ``backward`` (default: enabled for points).
    :param max_squint_angle: the largest absolute squint angle allowed (degrees).
    :param contract_id: the contract to charge (default: the organization's).
    :return: the created tasking request Feature (``properties.taskingrequestId``).

    Example::

        task = hook.create_tasking_request(
            geometry={"type": "Point", "coordinates": [-105.2, 40.0]}, name="boulder",
            window_open="2025-01-01T00:00:00Z", window_close="2025-01-08T00:00:00Z")
        task_id = task["properties"]["taskingrequestId"]
    """
    basics = RequestBasics(
        geometry, name, description, collection_type, product_types, archive_holdback,
        custom_attribute_1, custom_attribute_2, contract_id,
    )  # fmt: skip
    constraints = CollectConstraints(
        off_nadir_min, off_nadir_max, image_width, orbital_planes, asc_dsc, look_direction,
        local_time, polarization, azimuth_angle_min, azimuth_angle_max, squint, max_squint_angle,
    )  # fmt: skip
    body = tasking_request_body(
        basics,
        constraints,
        collection_tier=collection_tier,
        window_open=window_open,
        window_close=window_close,
        pre_approval=pre_approval,
    )
    return _requests.create(self.api, _requests.TASKING, body)


def search_tasking_requests(
    self: CapellaHook,
    *,
    for_org: bool = False,
    page_size: int = 250,
    threaded: bool = True,
    show_progress: bool = False,
    sort: str | None = None,
    order: str | None = None,
    include_repeating_tasks: bool = False,
    **filters: Any,
) -> list[dict[str, Any]]:
    """Search tasking requests (the caller's own by default); return the matching Features.

    Filters: ``collection_type``, ``collection_tier``, ``instrument_mode``, ``status``,
    ``last_status_message``, ``tasking_request_id``, ``user_id``, ``org_id``, ``reseller_id``,
    ``collect_mode`` and the datetimes ``last_status_time``, ``submission_time``, ``window_open``,
    ``window_close``. Suffix an operator: ``__neq``, ``__in``, ``__gt __gte __lt __lte`` (datetimes),
    ``__startsWith __endsWith __contains`` (text and enum fields); a list value matches any of its
    values; a datetime also takes an interval ``"2024-01-01T00:00:00Z/2024-12-31T23:59:59Z"`` (``..``
    for an open end). Nested wire fields under ``collectConstraints``, ``processingConfig`` or
    ``insar`` are passed as given: ``**{"collectConstraints.offNadirMax__lte": 30}``.

    :param for_org: search the whole organization's requests (elevated permissions).
    :param page_size: results per page, 1 to 500 (default 250).
    :param threaded: fetch pages 2..N concurrently (at most 8 at once).
    :param show_progress: accepted for compatibility with the SDK; the log shows progress.
    :param sort: the field to sort by, a filter name (``submission_time``) or a wire name (default:
        the API's, ``submissionTime``).
    :param order: ``asc`` or ``desc`` (default: the API's, newest first).
    :param include_repeating_tasks: also match the requests repeat requests derived (they carry
        ``repeatrequestId``).
    :param filters: the filters above, by name.
    :return: the matching tasking request Features.

    Example::

        completed = hook.search_tasking_requests(status="completed", submission_time__gte="2024-01-01")
    """
    options = {
        "for_org": for_org,
        "page_size": page_size,
        "threaded": threaded,
        "show_progress": show_progress,
        "sort": sort,
        "order": order,
    }
    search = tasking_request_search(
        {**filters, **options, "include_repeating_tasks": include_repeating_tasks}
    )
    return _requests.search(self.api, _requests.TASKING, search)


def get_task(self: CapellaHook, tasking_request_id: str) -> dict[str, Any]:
    """Fetch one tasking request (``GET /task/{id}``).

    :param tasking_request_id: the tasking request.
    :return: the tasking request Feature, its ``statusHistory`` newest first.

    Example::

        task = hook.get_task("6a8e5c2f-2a0e-4d3b-9d5f-0f1e2d3c4b5a")
    """
    return _requests.get(self.api, _requests.TASKING, tasking_request_id)


def is_task_completed(self: CapellaHook, task: dict[str, Any]) -> bool:
    """Tell whether a tasking request has completed (``completed`` anywhere in its status history).

    A reprocessed request goes completed → accepted → completed and counts as completed throughout.

    :param task: a tasking request Feature, from :meth:`get_task`.
    :return: ``True`` when it has completed.

    Example::

        hook.is_task_completed(hook.get_task(task_id))
    """
    return tasking_status.is_completed(task)


def get_collects_for_task(self: CapellaHook, tasking_request_id: str) -> list[dict[str, Any]]:
    """Return the collects of a completed tasking request (``GET /collects/list/{id}``).

    :param tasking_request_id: the tasking request.
    :return: the collect records (``collectId``, ...).
    :raises CapellaTaskNotCompleteError: when the request has not completed yet.

    Example::

        collect_ids = [c["collectId"] for c in hook.get_collects_for_task(task_id)]
    """
    return _requests.collects_for_task(self.api, tasking_request_id)


def update_tasking_requests(
    self: CapellaHook,
    *tasking_request_ids: str,
    name: str | None = None,
    description: str | None = None,
    custom_attribute_1: str | None = None,
    custom_attribute_2: str | None = None,
    product_types: list[str] | None = None,
) -> dict[str, Any]:
    """Set the same fields on several tasking requests, at most 8 at once; unset fields are kept.

    :param tasking_request_ids: the requests to update (one list argument is unpacked).
    :param name: the new name.
    :param description: the new description.
    :param custom_attribute_1: the new first tracking value.
    :param custom_attribute_2: the new second tracking value.
    :param product_types: the new analytics product types.
    :return: per id the updated Feature, or ``{"success": False, "error": {...}}``.

    Example::

        hook.update_tasking_requests(task_id, name="renamed")
    """
    fields = {"name": name, "description": description, "product_types": product_types}
    fields.update(custom_attribute_1=custom_attribute_1, custom_attribute_2=custom_attribute_2)
    return _requests.update_each(self.api, _requests.TASKING, tasking_request_ids, fields)


def cancel_tasking_requests(self: CapellaHook, *tasking_request_ids: str) -> dict[str, Any]:
    """Cancel tasking requests, at most 8 at once (cancellation fees may apply).

    Capella cancels only ``accepted`` or ``active`` requests, and not within 12 hours of the first
    collect (12 to 72 hours before it, canceling costs 25 % of the order value: a warning is logged).
    Each request is read first; one that cannot be canceled is refused without sending anything, its
    error saying why (code ``CANCELLATION_NOT_ALLOWED``; a request in ``review`` is rejected with
    ``reject_tasking_request`` instead, and a finalized one answers
    ``UNABLE_TO_UPDATE_FINALIZED_TRANSACTION``).

    :param tasking_request_ids: the requests to cancel (one list argument is unpacked).
    :return: per id ``{"success": True}`` or ``{"success": False, "error": {...}}``.

    Example::

        results = hook.cancel_tasking_requests(task_id_1, task_id_2)
    """
    return _requests.cancel_each(self.api, _requests.TASKING, tasking_request_ids)
