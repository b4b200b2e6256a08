"""Catalog search: validated filters → every page of ``POST /catalog/search``, de-duplicated by id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_capella._payloads import catalog_search_body
from airflow_provider_capella._payloads import vocabulary as vocab

if TYPE_CHECKING:
    from airflow_provider_capella.hooks._api import CapellaApi


def search(api: CapellaApi, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the STAC items matching ``filters`` (the SDK's grammar), every page followed, at most ``limit``.

    :param api: the client.
    :param filters: root fields, options and property filters (``look_angle__lte``, ...); ``None`` skipped.
    :return: the matching STAC items.
    """
    body = catalog_search_body(filters)
    items, matched = pages_and_count(api, body)
    api.log.info("Catalog search matched %d STAC item(s)", len(items))
    if was_cut(len(items), matched, int(body["limit"])):
        api.log.warning(
            "Catalog search results were cut: %d item(s) matched but %d were returned (the API returns at "
            "most %d items per query); narrow the query or pass split_by_time=True with a datetime range "
            "to get every match",
            matched,
            len(items),
            vocab.CATALOG_MAX_LIMIT,
        )
    return items


def was_cut(returned: int, matched: int | None, limit: int) -> bool:
    """Tell whether a search returned fewer items than it matched for a reason other than ``limit``.

    :param returned: the items returned.
    :param matched: the server's ``numberMatched`` (``None``: unknown).
    :param limit: the most items the caller asked for.
    :return: ``True`` when the server's per-query cap cut the results.
    """
    if matched is None or matched <= returned:
        return False
    return returned < limit or limit >= vocab.CATALOG_MAX_LIMIT


def all_pages(api: CapellaApi, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Follow the ``next`` links of a search until ``limit`` items, the last page, or nothing new."""
    return pages_and_count(api, body)[0]


def pages_and_count(api: CapellaApi, body: dict[str, Any]) -> tuple[list[dict[str, Any]], int | None]:
    """Return every page's items (as :func:`all_pages`) and the server's ``numberMatched`` (if given)."""
    limit = int(body["limit"])
    page_size = limit if limit <= vocab.CATALOG_MAX_PAGE_SIZE else vocab.CATALOG_LARGE_PAGE_SIZE
    payload: dict[str, Any] = {**body, "limit": page_size}
    method, url = "POST", api.search_url
    found: dict[str, dict[str, Any]] = {}
    page = 1
    number_matched: int | None = None
    while True:
        data = api.call(
            method, url, json=payload if method == "POST" else None, authorized_hosts=(api.search_url,)
        )
        features = (data or {}).get("features") or []
        added = _add_new(found, features)
        matched = (data or {}).get("numberMatched")
        if isinstance(matched, int) and not isinstance(matched, bool):
            number_matched = matched if number_matched is None else max(number_matched, matched)
        done = len(found) >= limit or added == 0 or (isinstance(matched, int) and len(found) >= matched)
        link = _next_link(data or {})
        if done or link is None:
            break
        page += 1
        method, url, payload = next_request(api.search_url, link, payload, page)
    return list(found.values())[:limit], number_matched


def next_request(
    search_url: str, link: dict[str, Any], payload: dict[str, Any], page: int
) -> tuple[str, str, dict[str, Any]]:
    """Work out where and what the next page is: the link's body/merge if given, else ``page: n``.

    A ``next`` href naming another host (e.g. an internal gateway) is sent to the configured search
    URL instead, keeping its query string.
    """
    href = str(link.get("href") or search_url)
    target, configured = urlsplit(href), urlsplit(search_url)
    if (target.scheme, target.netloc) != (configured.scheme, configured.netloc):
        href = search_url + (f"?{target.query}" if target.query else "")
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
