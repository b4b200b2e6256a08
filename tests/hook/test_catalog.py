"""Catalog search against the emulator: filters, operators, sorting, paging, de-duplication, zero matches."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_capella.hooks.capella import CapellaHook, add_new


def test_property_filters_and_operators(hook: CapellaHook) -> None:
    items = hook.search(
        product_type__in=["GEO", "GEC"], look_angle__lte=35, orbit_state="ascending", limit=50
    )
    assert items
    for item in items:
        properties = item["properties"]
        assert properties["sar:product_type"] in ("GEO", "GEC")
        assert properties["view:look_angle"] <= 35
        assert properties["sat:orbit_state"] == "ascending"
    assert json.loads(json.dumps(items)) == items  # plain JSON, ready for XCom


def test_a_list_value_means_in(hook: CapellaHook) -> None:
    items = hook.search(product_type=["SLC", "SICD"], limit=30)
    assert {item["properties"]["sar:product_type"] for item in items} <= {"SLC", "SICD"}


def test_bbox_collections_and_ids_only(hook: CapellaHook) -> None:
    ids = hook.search(collections=["capella-geo"], bbox=[-180, -90, 180, 90], ids_only=True, limit=7)
    assert len(ids) == 7 and all(isinstance(stac_id, str) and "_GEO_" in stac_id for stac_id in ids)
    again = hook.search(ids=ids)
    assert sorted(item["id"] for item in again) == sorted(ids)


def test_intersects_a_point(hook: CapellaHook) -> None:
    item = hook.search(limit=1)[0]
    west, south, east, north = item["bbox"]
    point = {"type": "Point", "coordinates": [(west + east) / 2, (south + north) / 2]}
    assert item["id"] in hook.search(intersects=point, ids_only=True, limit=10_000)


def test_zero_matches_is_an_empty_list(hook: CapellaHook) -> None:
    assert hook.search(ids=["CAPELLA_C99_SP_GEO_HH_20000101000000_20000101000010"]) == []
    assert hook.search(look_angle__gt=89.9) == []


@pytest.mark.parametrize(
    ("sortby", "reverse"), [("-datetime", True), ("+datetime", False), (["datetime"], False)]
)
def test_sortby_datetime(hook: CapellaHook, sortby: Any, reverse: bool) -> None:
    stamps = [item["properties"]["datetime"] for item in hook.search(sortby=sortby, limit=40)]
    assert stamps == sorted(stamps, reverse=reverse)


def test_sortby_id_descending(hook: CapellaHook) -> None:
    ids = hook.search(sortby="-id", ids_only=True, limit=40)
    assert ids == sorted(ids, reverse=True)


def test_datetime_window_with_aware_datetimes(hook: CapellaHook) -> None:
    newest = hook.search(sortby="-datetime", limit=1)[0]["properties"]["datetime"]
    end = datetime.fromisoformat(newest.replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=-7)))
    start = end - timedelta(days=120)
    items = hook.search(datetime__gte=start, datetime__lte=end, limit=10_000)
    assert items
    for item in items:
        moment = datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))
        assert start <= moment <= end
    interval = hook.search(datetime=f"{start.isoformat()}/{end.isoformat()}", ids_only=True, limit=10_000)
    assert sorted(interval) == sorted(item["id"] for item in items)


def test_ownership(hook: CapellaHook) -> None:
    items = hook.search(ownership="publiclyAvailable", limit=20)
    assert items and all(item["properties"]["capella:ownership"] == "publiclyAvailable" for item in items)


def test_pages_are_followed_up_to_the_limit(hook: CapellaHook, capella_emulator: Any) -> None:
    items = hook.search(limit=2000)
    assert len(items) == 2000
    assert len({item["id"] for item in items}) == 2000
    assert len(capella_emulator.requests(path="/catalog/search")) == 4  # pages of 625


def test_everything_when_fewer_match_than_the_limit(hook: CapellaHook, capella_emulator: Any) -> None:
    total = len(hook.search(limit=10_000))
    assert 0 < total < 10_000
    assert total == len(capella_emulator.state.catalog.items)


def test_next_link_on_another_host_goes_to_the_search_url(hook: CapellaHook, capella_emulator: Any) -> None:
    capella_emulator.settings(next_link_host="gateway.internal.invalid")
    items = hook.search(product_type="GEO", limit=1000)
    assert len(items) == min(1000, len(hook.search(product_type="GEO", ids_only=True, limit=10_000)))
    pages = capella_emulator.requests(path="/catalog/search")
    assert len(pages) >= 2
    assert all(entry["headers"]["authorization"] == "ApiKey ***" for entry in pages)


def test_duplicate_items_across_pages_are_kept_once() -> None:
    found: dict[str, dict[str, Any]] = {}
    assert add_new(found, [{"id": "a"}, {"id": "b"}]) == 2
    assert add_new(found, [{"id": "b"}, {"id": "c"}, {"id": "c"}]) == 1
    assert list(found) == ["a", "b", "c"]


def test_collect_id_filter(hook: CapellaHook) -> None:
    item = hook.search(limit=1)[0]
    collect_id = item["properties"]["capella:collect_id"]
    items = hook.search(collect_id=collect_id)
    assert item["id"] in {found["id"] for found in items}
    assert all(found["properties"]["capella:collect_id"] == collect_id for found in items)
