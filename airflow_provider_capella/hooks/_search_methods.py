"""``CapellaHook.search`` (attached to the class in :mod:`.capella`): the catalog, page by page.

With ``split_by_time=True`` the search goes through :mod:`._split_search`, which gets every match past
the API's 10,000-item cap; otherwise :mod:`._catalog` follows the pages and warns when the cap cut them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from airflow_provider_capella._payloads import checks
from airflow_provider_capella.hooks import _catalog, _split_search

if TYPE_CHECKING:
    from airflow_provider_capella.hooks.capella import CapellaHook


@overload
def search(
    self: CapellaHook, *, ids_only: Literal[True], limit: int | None = ..., **filters: Any
) -> list[str]: ...  # pragma: no cover


@overload
def search(
    self: CapellaHook, *, ids_only: Literal[False] = ..., limit: int | None = ..., **filters: Any
) -> list[dict[str, Any]]: ...  # pragma: no cover


def search(
    self: CapellaHook,
    *,
    ids_only: bool = False,
    threaded: bool = False,
    limit: int | None = None,
    split_by_time: bool = False,
    **filters: Any,
) -> list[dict[str, Any]] | list[str]:
    """Search Capella's STAC catalog; return the matching STAC items (dicts), at most ``limit``.

    Filters (the SDK's grammar): ``bbox``, ``intersects``, ``collections``, ``ids``, ``datetime``
    (value, ``"start/end"`` interval, or with operators), ``sortby`` (``"+datetime"``, ``"-id"`` or
    a list), ``ownership``, and the property filters ``azimuth_angle billable_area
    center_frequency collect_id collection_type constellation epsg frequency_band
    image_formation_algorithm incidence_angle instruments instrument_mode layover_angle
    local_datetime local_time local_timezone look_angle looks_azimuth looks_equivalent_number
    looks_range observation_direction orbit_state orbital_plane pixel_spacing_azimuth
    pixel_spacing_range platform polarizations product_type resolution_azimuth
    resolution_ground_range resolution_range squint_angle hash rgt_id relative_orbit absolute_orbit
    created updated archive_holdback use_case``, each optionally suffixed ``__eq __in __gt __gte
    __lt __lte`` (a list value means ``in``). An unknown filter or operator raises
    ``CapellaValidationError`` before any request.

    :param ids_only: return the STAC ids instead of the items.
    :param threaded: accepted for compatibility with the SDK; pages are followed in order.
    :param limit: the most items wanted (default 500, at most 10,000; with ``split_by_time``, any
        number, and ``None`` means every match). A search cut by the 10,000 cap logs a warning.
    :param split_by_time: get every match past the cap: the ``datetime`` range (required, closed)
        is halved until each sub-query is under the cap; items are de-duplicated.
    :param filters: the filters above, by name (the only open-ended keyword arguments of the hook).
    :return: the matching STAC items, or their ids with ``ids_only=True``.

    Example::

        items = hook.search(product_type__in=["GEO", "GEC"], look_angle__lte=30,
                            bbox=[12.35, 41.78, 12.61, 42.0], sortby="-datetime", limit=100)
    """
    checks.boolean("ids_only", ids_only)
    checks.boolean("threaded", threaded)
    checks.boolean("split_by_time", split_by_time)
    search = _split_search.search if split_by_time else _catalog.search
    items = search(self.api, {**filters, "limit": limit})
    return [str(item["id"]) for item in items] if ids_only else items
