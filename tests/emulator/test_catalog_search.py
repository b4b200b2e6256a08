"""``POST /catalog/search`` over real HTTP: filters, operators, geometry, time, order, limits and errors."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from capella_emulator.catalog import SITES

from tests.emulator.catalog_search_helpers import fetch_all, ids, props, search, search_ok
from tests.emulator.tasking_helpers import zod

ALL = {"limit": 10_000}


def everything(emulator: Any, body: dict[str, Any]) -> list[dict[str, Any]]:
    features, _ = fetch_all(emulator.url, emulator.auth_headers, {"limit": 900, **body})
    return features


def archive_where(emulator: Any, keep: Any) -> set[str]:
    return {item["id"] for item in emulator.state.catalog.items if keep(item["properties"])}


def site(name: str) -> Any:
    return next(s for s in SITES if s.name == name)


@pytest.mark.parametrize(
    ("op", "value", "keep"),
    [
        ("eq", 45, lambda v: v == 45),
        ("in", [45, 97], lambda v: v in (45, 97)),
        ("gt", 53, lambda v: v > 53),
        ("gte", 53, lambda v: v >= 53),
        ("lt", 53, lambda v: v < 53),
        ("lte", 53, lambda v: v <= 53),
    ],
)
def test_each_operator_filters_a_numeric_property(capella_emulator, op, value, keep):
    body = {"query": {"capella:orbital_plane": {op: value}}}
    found = everything(capella_emulator, body)
    expected = archive_where(capella_emulator, lambda p: keep(p["capella:orbital_plane"]))
    assert expected and {f["id"] for f in found} == expected


@pytest.mark.parametrize(
    ("op", "value", "keep"),
    [
        ("gt", 40.5, lambda v: v > 40.5),
        ("gte", 40.5, lambda v: v >= 40.5),
        ("lt", 25, lambda v: v < 25),
        ("lte", 25, lambda v: v <= 25),
    ],
)
def test_range_operators_on_float_angles(capella_emulator, op, value, keep):
    found = everything(capella_emulator, {"query": {"view:incidence_angle": {op: value}}})
    expected = archive_where(capella_emulator, lambda p: keep(p["view:incidence_angle"]))
    assert expected and {f["id"] for f in found} == expected


def test_string_properties_match_with_eq_and_in(capella_emulator):
    geo = search_ok(capella_emulator, {"query": {"sar:product_type": {"eq": "GEO"}}, **ALL})
    complex_ = everything(capella_emulator, {"query": {"sar:product_type": {"in": ["SLC", "SICD"]}}})

    assert set(props(geo, "sar:product_type")) == {"GEO"}
    assert {f["properties"]["sar:product_type"] for f in complex_} == {"SLC", "SICD"}
    assert len(complex_) == len(
        archive_where(capella_emulator, lambda p: p["sar:product_type"] in ("SLC", "SICD"))
    )


def test_several_operators_and_properties_all_apply(capella_emulator):
    body = {
        "query": {
            "view:look_angle": {"gte": 30, "lt": 35},
            "sar:instrument_mode": {"eq": "spotlight"},
            "sat:orbit_state": {"eq": "descending"},
        }
    }
    found = everything(capella_emulator, body)
    expected = archive_where(
        capella_emulator,
        lambda p: (
            30 <= p["view:look_angle"] < 35
            and p["sar:instrument_mode"] == "spotlight"
            and p["sat:orbit_state"] == "descending"
        ),
    )
    assert expected and {f["id"] for f in found} == expected


def test_list_valued_properties_match_when_they_contain_the_value(capella_emulator):
    vv = everything(capella_emulator, {"query": {"sar:polarizations": {"eq": "VV"}}})
    vv_in = everything(capella_emulator, {"query": {"sar:polarizations": {"in": ["VV"]}}})
    radar_3 = everything(capella_emulator, {"query": {"instruments": {"eq": "capella-radar-3"}}})

    assert vv and all(f["properties"]["sar:polarizations"] == ["VV"] for f in vv)
    assert {f["id"] for f in vv} == {f["id"] for f in vv_in}
    assert len(vv) == len(archive_where(capella_emulator, lambda p: "VV" in p["sar:polarizations"]))
    assert radar_3 and {f["properties"]["platform"] for f in radar_3} == {"capella-3"}


def test_unknown_properties_and_values_match_nothing(capella_emulator):
    for query in (
        {"capella:no_such_property": {"eq": 1}},
        {"sar:product_type": {"eq": "NOPE"}},
        {"view:incidence_angle": {"gt": "a string"}},
    ):
        page = search_ok(capella_emulator, {"query": query})
        assert page["features"] == [] and page["numberMatched"] == 0 and page["links"] == []


def test_bbox_finds_the_items_around_a_site(capella_emulator):
    rotterdam = site("Port of Rotterdam")
    bbox = [rotterdam.lon - 0.01, rotterdam.lat - 0.01, rotterdam.lon + 0.01, rotterdam.lat + 0.01]
    found = everything(capella_emulator, {"bbox": bbox})

    assert found
    for feature in found:
        west, south, east, north = feature["bbox"]
        assert west <= bbox[2] and east >= bbox[0] and south <= bbox[3] and north >= bbox[1]
        assert feature["properties"]["locale:timezone"] == "Europe/Amsterdam"


def test_a_bbox_across_the_antimeridian_reaches_both_sides(capella_emulator):
    across = {f["id"] for f in everything(capella_emulator, {"bbox": [170.0, -40.0, -170.0, -30.0]})}
    east_side = {f["id"] for f in everything(capella_emulator, {"bbox": [170.0, -40.0, 180.0, -30.0]})}
    assert across and across == east_side


def test_intersects_accepts_points_polygons_and_multipolygons(capella_emulator):
    haneda, singapore, cape_town = site("Tokyo Haneda"), site("Port of Singapore"), site("Port of Cape Town")

    def square(s: Any, half: float = 0.02) -> list[list[list[float]]]:
        x, y = s.lon, s.lat
        return [
            [
                [x - half, y - half],
                [x + half, y - half],
                [x + half, y + half],
                [x - half, y + half],
                [x - half, y - half],
            ]
        ]

    point = everything(
        capella_emulator, {"intersects": {"type": "Point", "coordinates": [haneda.lon, haneda.lat]}}
    )
    polygon = everything(
        capella_emulator, {"intersects": {"type": "Polygon", "coordinates": square(singapore)}}
    )
    multi = everything(
        capella_emulator,
        {"intersects": {"type": "MultiPolygon", "coordinates": [square(singapore), square(cape_town)]}},
    )

    assert point and {f["properties"]["locale:timezone"] for f in point} == {"Asia/Tokyo"}
    assert polygon and {f["properties"]["locale:timezone"] for f in polygon} == {"Asia/Singapore"}
    assert {f["properties"]["locale:timezone"] for f in multi} == {"Asia/Singapore", "Africa/Johannesburg"}


def test_datetime_in_query_and_as_a_top_level_interval_agree(capella_emulator):
    in_query = everything(
        capella_emulator,
        {"query": {"datetime": {"gte": "2024-01-01T00:00:00Z", "lte": "2024-12-31T23:59:59.999999Z"}}},
    )
    interval = everything(capella_emulator, {"datetime": "2024-01-01T00:00:00Z/2024-12-31T23:59:59.999999Z"})

    assert in_query and {f["properties"]["datetime"][:4] for f in in_query} == {"2024"}
    assert {f["id"] for f in in_query} == {f["id"] for f in interval}
    assert len(in_query) == len(archive_where(capella_emulator, lambda p: p["datetime"].startswith("2024")))


def test_open_ended_intervals_and_offsets(capella_emulator):
    up_to_2019 = everything(capella_emulator, {"datetime": "../2019-12-31T23:59:59.999999Z"})
    from_2026 = everything(capella_emulator, {"datetime": "2026-01-01T00:00:00Z/.."})
    from_2026_in_tokyo = everything(capella_emulator, {"datetime": "2026-01-01T09:00:00+09:00/"})

    assert up_to_2019 and {f["properties"]["datetime"][:4] for f in up_to_2019} == {"2019"}
    assert from_2026 and {f["properties"]["datetime"][:4] for f in from_2026} == {"2026"}
    assert {f["id"] for f in from_2026_in_tokyo} == {f["id"] for f in from_2026}


def test_a_single_instant_finds_the_products_acquired_then(capella_emulator):
    item = capella_emulator.state.catalog.items[100]
    found = everything(capella_emulator, {"datetime": item["properties"]["datetime"]})
    collect = item["properties"]["capella:collect_id"]
    assert item["id"] in {f["id"] for f in found}
    assert {f["properties"]["capella:collect_id"] for f in found} == {collect}


def test_datetime_comparisons_on_other_time_properties(capella_emulator):
    found = everything(capella_emulator, {"query": {"created": {"lt": "2020-01-01T00:00:00Z"}}})
    assert found and all(f["properties"]["created"] < "2020-01-01" for f in found)


def test_ids_and_collections_restrict_the_result(capella_emulator):
    wanted = [item["id"] for item in capella_emulator.state.catalog.items[:5]]
    by_ids = search_ok(capella_emulator, {"ids": wanted})
    gec = everything(capella_emulator, {"collections": ["capella-gec"]})
    both = search_ok(capella_emulator, {"ids": wanted, "collections": ["capella-gec"]})

    assert sorted(ids(by_ids)) == sorted(wanted)
    assert gec and {f["collection"] for f in gec} == {"capella-gec"}
    assert {f["properties"]["sar:product_type"] for f in gec} == {"GEC"}
    assert all(f["collection"] == "capella-gec" and f["id"] in wanted for f in both["features"])
    assert search_ok(capella_emulator, {"collections": ["no-such-collection"]})["numberMatched"] == 0
    assert search_ok(capella_emulator, {"ids": [], "collections": []})["numberMatched"] == 2400


def test_ownership_filters_on_the_items_ownership(capella_emulator):
    for ownership in (
        "ownedByOrganization",
        "sharedWithOrganization",
        "availableForPurchase",
        "publiclyAvailable",
    ):
        found = everything(capella_emulator, {"ownership": ownership})
        assert found and {f["properties"]["capella:ownership"] for f in found} == {ownership}


def test_default_order_is_newest_first(capella_emulator):
    datetimes = props(search_ok(capella_emulator, {"limit": 900}), "datetime")
    assert datetimes == sorted(datetimes, reverse=True)


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sortby_orders_by_datetime_a_property_or_the_id(capella_emulator, direction):
    reverse = direction == "desc"
    by_time = search_ok(
        capella_emulator, {"limit": 500, "sortby": [{"field": "properties.datetime", "direction": direction}]}
    )
    by_angle = search_ok(
        capella_emulator,
        {"limit": 500, "sortby": [{"field": "properties.view:incidence_angle", "direction": direction}]},
    )
    by_id = search_ok(capella_emulator, {"limit": 500, "sortby": [{"field": "id", "direction": direction}]})

    assert props(by_time, "datetime") == sorted(props(by_time, "datetime"), reverse=reverse)
    assert props(by_angle, "view:incidence_angle") == sorted(
        props(by_angle, "view:incidence_angle"), reverse=reverse
    )
    assert ids(by_id) == sorted(ids(by_id), reverse=reverse)
    everything_ids = sorted(item["id"] for item in capella_emulator.state.catalog.items)
    assert ids(by_id) == (everything_ids[::-1] if reverse else everything_ids)[:500]


def test_sortby_with_two_keys_breaks_ties_with_the_second(capella_emulator):
    body = {
        "sortby": [
            {"field": "properties.sar:product_type", "direction": "asc"},
            {"field": "properties.datetime", "direction": "desc"},
        ],
        "limit": 900,
    }
    features = search_ok(capella_emulator, body)["features"]
    product_types = [f["properties"]["sar:product_type"] for f in features]
    assert product_types == sorted(product_types) and len(set(product_types)) > 1
    for product_type in set(product_types):
        datetimes = [
            f["properties"]["datetime"]
            for f in features
            if f["properties"]["sar:product_type"] == product_type
        ]
        assert datetimes == sorted(datetimes, reverse=True)


def test_limit_sets_the_page_size_up_to_900(capella_emulator):
    small = search_ok(capella_emulator, {"limit": 7})
    default = search_ok(capella_emulator, {})
    large = search_ok(capella_emulator, {"limit": 5000})

    assert small["numberReturned"] == len(small["features"]) == 7 and small["numberMatched"] == 2400
    assert small["context"] == {"matched": 2400, "returned": 7, "limit": 7, "page": 1}
    assert len(default["features"]) == 10  # the server's default page (STAC's), not the SDK's 500
    assert len(large["features"]) == 900 and large["context"]["limit"] == 900


def test_zero_matches_is_an_empty_feature_collection(capella_emulator):
    page = search_ok(capella_emulator, {"bbox": [-30.0, -60.0, -29.0, -59.0]})
    assert page == {
        "type": "FeatureCollection",
        "features": [],
        "numberMatched": 0,
        "numberReturned": 0,
        "context": {"matched": 0, "returned": 0, "limit": 10, "page": 1},
        "links": [],
    }


def test_features_are_stac_items_with_absolute_asset_hrefs(capella_emulator):
    feature = search_ok(capella_emulator, {"limit": 1, "query": {"sar:product_type": {"eq": "GEO"}}})[
        "features"
    ][0]

    assert {
        "type",
        "stac_version",
        "id",
        "collection",
        "bbox",
        "geometry",
        "properties",
        "assets",
        "links",
    } <= set(feature)
    pol = feature["properties"]["sar:polarizations"][0]
    assert feature["assets"][pol]["href"] == (
        f"{capella_emulator.url}/assets/capella-geo/{feature['id']}/{feature['id']}.tif"
    )
    assert feature["assets"]["metadata"]["href"].endswith(f"/{feature['id']}_extended.json")
    assert feature["assets"]["license"]["href"] == "https://www.capellaspace.com/legal/data-license"
    stored = capella_emulator.state.catalog.get(feature["id"])
    assert stored["assets"][pol]["href"].startswith("/assets/")


def test_an_empty_body_is_an_unfiltered_search(capella_emulator):
    response = requests.post(
        f"{capella_emulator.url}/catalog/search", data=b"", headers=capella_emulator.auth_headers, timeout=30
    )
    assert response.status_code == 200 and response.json()["numberMatched"] == 2400


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"bbox": [1, 2, 3]}, "bbox"),
        ({"bbox": [1, 2, 3, "4"]}, "bbox"),
        ({"bbox": "1,2,3,4"}, "bbox"),
        ({"bbox": [10, 50, 11, 49]}, "bbox"),
        ({"bbox": [-200, 0, 10, 10]}, "bbox"),
        ({"bbox": [0, -95, 10, 10]}, "bbox"),
        ({"bbox": [0, 0, 1, 1], "intersects": {"type": "Point", "coordinates": [0, 0]}}, "bbox"),
        ({"intersects": {"type": "Circle", "coordinates": [0, 0]}}, "intersects.type"),
        ({"intersects": {"type": "Point", "coordinates": [0]}}, "intersects.coordinates"),
        ({"intersects": {"type": "Point", "coordinates": [500, 0]}}, "intersects.coordinates"),
        (
            {"intersects": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}},
            "intersects.coordinates",
        ),
        ({"intersects": {"type": "Polygon", "coordinates": [0, 0]}}, "intersects.coordinates"),
        ({"intersects": "POINT(0 0)"}, "intersects"),
        ({"limit": 0}, "limit"),
        ({"limit": -5}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"limit": 2.5}, "limit"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"page": 1.5}, "page"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"datetime": "2023-13-45T00:00:00Z"}, "datetime"),
        ({"datetime": "../.."}, "datetime"),
        ({"datetime": "2024-01-01T00:00:00Z/2023-01-01T00:00:00Z"}, "datetime"),
        ({"datetime": "2023-01-01T00:00:00Z/2023-02-01T00:00:00Z/2023-03-01T00:00:00Z"}, "datetime"),
        ({"datetime": 20230101}, "datetime"),
        ({"query": {"datetime": {"gte": "not a date"}}}, "query.datetime.gte"),
        ({"query": {"sar:product_type": {"like": "GE%"}}}, "query.sar:product_type.like"),
        ({"query": {"sar:product_type": {"in": "GEO"}}}, "query.sar:product_type.in"),
        ({"query": {"sar:product_type": "GEO"}}, "query.sar:product_type"),
        ({"query": {"view:look_angle": {"gt": None}}}, "query.view:look_angle.gt"),
        ({"query": ["sar:product_type"]}, "query"),
        ({"sortby": 7}, "sortby"),
        ({"sortby": [{"direction": "asc"}]}, "sortby[0]"),
        ({"sortby": [{"field": "properties.datetime", "direction": "up"}]}, "sortby[0].direction"),
        ({"collections": [1, 2]}, "collections"),
        ({"ids": {"id": "x"}}, "ids"),
        ({"ownership": "mine"}, "ownership"),
        ([1, 2, 3], "body"),
    ],
)
def test_malformed_searches_get_a_400_naming_the_field(capella_emulator, body, path):
    response = search(capella_emulator.url, capella_emulator.auth_headers, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["message"]
    assert [problem["path"] for problem in error["detail"]] == [zod(path)]


def test_a_body_that_is_not_json_gets_a_400(capella_emulator):
    response = requests.post(
        f"{capella_emulator.url}/catalog/search",
        data=b"{not json",
        headers={**capella_emulator.auth_headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_search_needs_the_api_key(capella_emulator):
    without = requests.post(f"{capella_emulator.url}/catalog/search", json={}, timeout=30)
    wrong = search(capella_emulator.url, {"Authorization": "ApiKey wrong"}, {})
    bearer = search(
        capella_emulator.url, {"Authorization": f"Bearer {capella_emulator.api_key}"}, {"limit": 1}
    )

    assert without.status_code == 401 and without.json() == {"message": "Unauthorized"}
    assert wrong.status_code == 401
    assert bearer.status_code == 200


def test_collections_are_listed(capella_emulator):
    response = requests.get(
        f"{capella_emulator.url}/catalog/collections", headers=capella_emulator.auth_headers
    )
    names = {collection["id"] for collection in response.json()["collections"]}
    assert names == {
        "capella-geo",
        "capella-gec",
        "capella-slc",
        "capella-sicd",
        "capella-archive",
        "capella-open-data",
    }
    missing = requests.get(
        f"{capella_emulator.url}/catalog/collections/nope", headers=capella_emulator.auth_headers
    )
    assert missing.status_code == 404
