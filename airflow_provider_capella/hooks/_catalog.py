"""Catalog search: validated filters → every page of ``POST /catalog/search``, de-duplicated by id."""

from __future__ import annotations

from typing import Any, Literal, overload
from urllib.parse import urlsplit

from airflow_provider_capella._payloads import catalog_search_body, checks
from airflow_provider_capella._payloads import vocabulary as vocab
from airflow_provider_capella.hooks._core import HookCore


class CatalogMixin(HookCore):
    """``search``: the SDK's filters, operators and sorting, every page followed."""

    @overload
    def search(self, *, ids_only: Literal[True], **kwargs: Any) -> list[str]: ...

    @overload
    def search(self, *, ids_only: Literal[False] = ..., **kwargs: Any) -> list[dict[str, Any]]: ...

    def search(self, **kwargs: Any) -> list[dict[str, Any]] | list[str]:
        """Search Capella's STAC catalog; return the matching STAC items (dicts), at most ``limit``.

        Filters (the SDK's list): ``bbox``, ``intersects``, ``collections``, ``ids``, ``limit`` (default
        500, at most 10,000), ``datetime`` (value, ``"start/end"`` interval, or with operators),
        ``sortby`` (``"+datetime"``, ``"-id"`` or a list), ``ownership``, and the property filters
        ``azimuth_angle billable_area center_frequency collect_id collection_type constellation
        epsg frequency_band image_formation_algorithm incidence_angle instruments instrument_mode
        layover_angle local_datetime local_time local_timezone look_angle looks_azimuth
        looks_equivalent_number looks_range observation_direction orbit_state orbital_plane
        pixel_spacing_azimuth pixel_spacing_range platform polarizations product_type
        resolution_azimuth resolution_ground_range resolution_range squint_angle hash rgt_id
        relative_orbit absolute_orbit created updated archive_holdback use_case``, each optionally
        suffixed ``__eq __in __gt __gte __lt __lte`` (a list value means ``in``).

        Unknown filters or operators raise ``CapellaValidationError`` before any request.
        ``ids_only=True`` returns the STAC ids instead of the items. ``threaded`` is accepted for
        compatibility with the SDK; pages are followed in order.

        Example::

            items = hook.search(product_type__in=["GEO", "GEC"], look_angle__lte=30,
                                bbox=[12.35, 41.78, 12.61, 42.0], sortby="-datetime", limit=100)
        """
        ids_only = checks.boolean("ids_only", kwargs.pop("ids_only", False))
        checks.boolean("threaded", kwargs.pop("threaded", False))
        body = catalog_search_body(kwargs)
        items = self._all_search_pages(body)
        self.log.info("Catalog search matched %d STAC item(s)", len(items))
        if ids_only:
            return [str(item["id"]) for item in items]
        return items

    def _all_search_pages(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        limit = int(body["limit"])
        page_size = limit if limit <= vocab.CATALOG_MAX_PAGE_SIZE else vocab.CATALOG_LARGE_PAGE_SIZE
        payload: dict[str, Any] = {**body, "limit": page_size}
        method, url = "POST", self.search_url
        found: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            data = self._api(
                method, url, json=payload if method == "POST" else None, authorized_hosts=(self.search_url,)
            )
            features = (data or {}).get("features") or []
            added = _add_new(found, features)
            matched = (data or {}).get("numberMatched")
            done = len(found) >= limit or added == 0 or (isinstance(matched, int) and len(found) >= matched)
            link = _next_link(data or {})
            if done or link is None:
                break
            page += 1
            method, url, payload = self._next_request(link, payload, page)
        return list(found.values())[:limit]

    def _next_request(
        self, link: dict[str, Any], payload: dict[str, Any], page: int
    ) -> tuple[str, str, dict[str, Any]]:
        """Where and what the next page is: the link's body/merge if given, else ``page: n``.

        A ``next`` href naming another host (e.g. an internal gateway) is sent to the configured
        search URL instead, keeping its query string.
        """
        href = str(link.get("href") or self.search_url)
        target, configured = urlsplit(href), urlsplit(self.search_url)
        if (target.scheme, target.netloc) != (configured.scheme, configured.netloc):
            href = self.search_url + (f"?{target.query}" if target.query else "")
        method = str(link.get("method") or "POST").upper()
        link_body = link.get("body")
        if isinstance(link_body, dict):
            next_payload = {**payload, **link_body} if link.get("merge") else dict(link_body)
        else:
            next_payload = {**payload, "page": page}
        return ("GET" if method == "GET" else "POST"), href, next_payload


def _add_new(found: dict[str, dict[str, Any]], features: list[dict[str, Any]]) -> int:
    added = 0
    for feature in features:
        key = str(feature.get("id"))
        if key not in found:
            found[key] = feature
            added += 1
    return added


def _next_link(page: dict[str, Any]) -> dict[str, Any] | None:
    for link in page.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return link
    return None
