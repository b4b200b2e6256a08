"""``CapellaHook``'s repeat request methods (attached to the class in :mod:`.capella`).

Repeat requests share their implementation with tasking requests (:mod:`._requests`); only the
arguments that describe the repetition differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import (
    CollectConstraints,
    Repetition,
    RequestBasics,
    repeat_request_body,
    repeat_request_search,
)
from airflow_provider_capella.hooks import _requests

if TYPE_CHECKING:
    from datetime import datetime

    from airflow_provider_capella.hooks.capella import CapellaHook


# Intended mirror: the SDK's repeat methods take the tasking methods' arguments, so these signatures
# and docstrings repeat _tasking_methods'; the implementation behind both is one (_requests).
def create_repeat_request(
    self: CapellaHook,
    *,
    geometry: dict[str, Any],
    name: str = "",
    description: str | None = "",
    collection_type: str = "spotlight",
    collection_tier: str = "routine",
    repeat_start: datetime | str | None = None,
    repeat_end: datetime | str | None = None,
    repetition_interval: int | None = 7,
    repetition_count: int | None = None,
    maintain_scene_framing: bool | None = None,
    look_angle_tolerance: float | None = None,
    azimuth_angle_tolerance: float | None = None,
    window_duration: float | None = None,
    insar_orbit: str | None = None,
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
    azimuth_angle_min: float | None = None,
    azimuth_angle_max: float | None = None,
    squint: str | None = None,
    max_squint_angle: float | None = None,
    contract_id: str | None = None,
) -> dict[str, Any]:
    """Create a repeat request (a series of collections: billable); return the created Feature.

    Sent once: after an ambiguous failure it is not re-sent. The constraint arguments mean what they
    mean for :meth:`create_tasking_request`.

    :param geometry: the point of interest, a GeoJSON Point (Capella has no repeat tasking of areas).
    :param name: a name for the request.
    :param description: free text describing the request.
    :param collection_type: the collect mode, e.g. ``spotlight`` (default).
    :param collection_tier: ``routine`` (default), ``flexible``, or an InSAR tier.
    :param repeat_start: when collecting starts (default: now).
    :param repeat_end: when collecting stops; give this or ``repetition_count``, not both.
    :param repetition_interval: days between the starts of the derived requests (default 7).
    :param repetition_count: how many acquisitions in all.
    :param maintain_scene_framing: keep look direction, pass direction and orbital plane constant.
    :param look_angle_tolerance: allowed look-angle deviation across acquisitions (degrees).
    :param azimuth_angle_tolerance: allowed azimuth-angle deviation across acquisitions (degrees).
    :param window_duration: the duration of each derived request (seconds).
    :param insar_orbit: the InSAR orbit, required for the InSAR tiers.
    :param local_time: ``day``, ``night``, ``anytime`` or ``[[start, end], ...]`` seconds of the day.
    :param product_types: analytics to add to the order along with the imagery.
    :param off_nadir_min: the smallest off-nadir angle allowed (degrees).
    :param off_nadir_max: the largest off-nadir angle allowed (degrees).
    :param image_width: the image width (metres).
    :param orbital_planes: orbital planes allowed (45, 53, 97).
    :param asc_dsc: ``ascending``, ``descending`` or ``either`` (default).
    :param look_direction: ``right``, ``left`` or ``either`` (default).
    :param polarization: ``HH`` or ``VV``.
    :param archive_holdback: ``none`` (default), ``thirty_day``, ``one_year`` or ``permanent``.
    :param custom_attribute_1: your own tracking value, echoed by the API.
    :param custom_attribute_2: a second tracking value.
    :param azimuth_angle_min: the smallest azimuth angle allowed (degrees clockwise from North).
    :param azimuth_angle_max: the largest azimuth angle allowed.
    :param squint: ``enabled``, ``forward`` or ``backward`` (default: enabled for points).
    :param max_squint_angle: the largest absolute squint angle allowed (degrees).
    :param contract_id: the contract to charge (default: the organization's).
    :return: the created repeat request Feature (``properties.repeatrequestId``).

    Example::

        repeat = hook.create_repeat_request(
            geometry={"type": "Point", "coordinates": [-105.2, 40.0]}, name="weekly",
            repetition_interval=7, repetition_count=4)
    """
    basics = RequestBasics(
        geometry, name, description, collection_type, product_types, archive_holdback,
        custom_attribute_1, custom_attribute_2, contract_id,
    )  # fmt: skip
    constraints = CollectConstraints(
        off_nadir_min, off_nadir_max, image_width, orbital_planes, asc_dsc, look_direction,
        local_time, polarization, azimuth_angle_min, azimuth_angle_max, squint, max_squint_angle,
    )  # fmt: skip
    repetition = Repetition(
        repeat_start, repeat_end, repetition_interval, repetition_count, maintain_scene_framing,
        look_angle_tolerance, azimuth_angle_tolerance,
    )  # fmt: skip
    body = repeat_request_body(
        basics,
        constraints,
        repetition,
        collection_tier=collection_tier,
        window_duration=window_duration,
        insar_orbit=insar_orbit,
    )
    return _requests.create(self.api, _requests.REPEAT, body)


def get_repeat_request(self: CapellaHook, repeat_request_id: str) -> dict[str, Any]:
    """Fetch one repeat request (``GET /repeat-requests/{id}``).

    :param repeat_request_id: the repeat request.
    :return: the repeat request Feature, its ``statusHistory`` newest first.

    Example::

        repeat = hook.get_repeat_request(repeat_id)
    """
    return _requests.get(self.api, _requests.REPEAT, repeat_request_id)


def search_repeat_requests(
    self: CapellaHook,
    *,
    for_org: bool = False,
    page_size: int = 250,
    threaded: bool = True,
    show_progress: bool = False,
    sort: str | None = None,
    order: str | None = None,
    **filters: Any,
) -> list[dict[str, Any]]:
    """Search repeat requests (the caller's own by default); return the matching Features.

    Filters: ``collection_type``, ``collection_tier``, ``instrument_mode``, ``status``,
    ``last_status_message``, ``repeat_request_id``, ``user_id``, ``org_id``, ``reseller_id``,
    ``collect_mode`` and the datetimes ``last_status_time``, ``submission_time``, ``repeat_start``,
    ``repeat_end``, and ``repetition_interval`` (a number). Suffix an operator: ``__neq``, ``__in``,
    ``__gt __gte __lt __lte`` (datetimes and numbers), ``__startsWith __endsWith __contains`` (text
    and enum fields); a list value matches any of its values; a datetime also takes an interval
    ``"2024-01-01T00:00:00Z/2024-12-31T23:59:59Z"`` (``..`` for an open end). Nested wire fields under
    ``collectConstraints``, ``processingConfig``, ``repetitionProperties`` or ``insar`` are passed as
    given: ``**{"collectConstraints.offNadirMax__lte": 30}``.

    :param for_org: search the whole organization's requests (elevated permissions).
    :param page_size: results per page, 1 to 500 (default 250).
    :param threaded: fetch pages 2..N concurrently (at most 8 at once).
    :param show_progress: accepted for compatibility with the SDK; the log shows progress.
    :param sort: the field to sort by, a filter name (``submission_time``) or a wire name (default:
        the API's, ``submissionTime``).
    :param order: ``asc`` or ``desc`` (default: the API's, newest first).
    :param filters: the filters above, by name.
    :return: the matching repeat request Features.

    Example::

        active = hook.search_repeat_requests(status="active")
    """
    options = {
        "for_org": for_org,
        "page_size": page_size,
        "threaded": threaded,
        "show_progress": show_progress,
        "sort": sort,
        "order": order,
    }
    return _requests.search(self.api, _requests.REPEAT, repeat_request_search({**filters, **options}))


def update_repeat_requests(
    self: CapellaHook,
    *repeat_request_ids: str,
    name: str | None = None,
    description: str | None = None,
    custom_attribute_1: str | None = None,
    custom_attribute_2: str | None = None,
    product_types: list[str] | None = None,
) -> dict[str, Any]:
    """Set the same fields on several repeat requests, at most 8 at once; unset fields are kept.

    :param repeat_request_ids: the requests to update (one list argument is unpacked).
    :param name: the new name.
    :param description: the new description.
    :param custom_attribute_1: the new first tracking value.
    :param custom_attribute_2: the new second tracking value.
    :param product_types: the new analytics product types.
    :return: per id the updated Feature, or ``{"success": False, "error": {...}}``.

    Example::

        hook.update_repeat_requests(repeat_id, description="monthly monitoring")
    """
    fields = {"name": name, "description": description, "product_types": product_types}
    fields.update(custom_attribute_1=custom_attribute_1, custom_attribute_2=custom_attribute_2)
    return _requests.update_each(self.api, _requests.REPEAT, repeat_request_ids, fields)


def cancel_repeat_requests(self: CapellaHook, *repeat_request_ids: str) -> dict[str, Any]:
    """Cancel repeat requests and their unfinished collections, at most 8 at once.

    Sends ``{"code": "canceled"}`` (the documented form). Only an ``accepted`` or ``active`` repeat
    request can be canceled: each is read first, and any other is refused without sending anything
    (code ``CANCELLATION_NOT_ALLOWED``; one in ``review`` is rejected with ``reject_repeat_request``).

    :param repeat_request_ids: the requests to cancel (one list argument is unpacked).
    :return: per id ``{"success": True}`` or ``{"success": False, "error": {...}}``.

    Example::

        hook.cancel_repeat_requests(repeat_id)
    """
    return _requests.cancel_each(self.api, _requests.REPEAT, repeat_request_ids)
