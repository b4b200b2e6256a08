"""The synthetic archive as a client sees it through search: deterministic, broad, and realistic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from typing import Any

import pytest
from capella_emulator import EmulatorConfig, start_in_thread
from capella_emulator.catalog import SITES
from capella_emulator.stac_items import build_collect_items

from tests.emulator.catalog_search_helpers import ID_PATTERN, fetch_all, search_ok

ALL_PRODUCT_TYPES = {"SLC", "GEO", "GEC", "SICD", "SIDD", "CPHD", "CSI", "CSIDD", "VC", "VS", "ACD"}
SEARCHABLE_PROPERTIES = [
    "constellation",
    "platform",
    "instruments",
    "datetime",
    "start_datetime",
    "end_datetime",
    "created",
    "updated",
    "sar:product_type",
    "sar:instrument_mode",
    "sar:polarizations",
    "sar:frequency_band",
    "sar:center_frequency",
    "sar:looks_azimuth",
    "sar:looks_range",
    "sar:looks_equivalent_number",
    "sar:observation_direction",
    "sar:pixel_spacing_azimuth",
    "sar:pixel_spacing_range",
    "sar:resolution_azimuth",
    "sar:resolution_range",
    "sat:orbit_state",
    "sat:relative_orbit",
    "sat:absolute_orbit",
    "view:incidence_angle",
    "view:look_angle",
    "view:azimuth",
    "capella:collect_id",
    "capella:resolution_ground_range",
    "capella:squint_angle",
    "capella:layover_angle",
    "capella:orbital_plane",
    "capella:billable_area",
    "capella:hash",
    "capella:image_formation_algorithm",
    "capella:collection_type",
    "capella:rgt_id",
    "capella:archive_holdback_date",
    "capella:use_case",
    "capella:ownership",
    "locale:timezone",
    "locale:datetime",
    "locale:time",
    "proj:epsg",
]


@pytest.fixture(scope="module")
def archive(capella_emulator_server: Any) -> list[dict[str, Any]]:
    """Every item of the session emulator's pristine archive, fetched by paging like a client."""
    capella_emulator_server.reset()
    features, _ = fetch_all(
        capella_emulator_server.url, capella_emulator_server.auth_headers, {"limit": 10_000}
    )
    return features


def test_the_archive_has_at_least_two_thousand_unique_well_formed_items(archive):
    ids = [item["id"] for item in archive]
    assert len(ids) >= 2000
    assert len(set(ids)) == len(ids)
    assert all(ID_PATTERN.match(item_id) for item_id in ids), [i for i in ids if not ID_PATTERN.match(i)][:3]


def test_ids_name_the_platform_mode_product_and_polarization_of_the_item(archive):
    modes = {"spotlight": "SP", "stripmap": "SM", "sliding_spotlight": "SS"}
    for item in archive:
        properties = item["properties"]
        _, platform, mode, product, pol, start, end = item["id"].split("_")
        assert properties["platform"] == f"capella-{int(platform[1:])}"
        assert mode == modes[properties["sar:instrument_mode"]]
        assert product == properties["sar:product_type"]
        assert properties["sar:polarizations"] == [pol]
        assert start == properties["start_datetime"][:19].replace("-", "").replace(":", "").replace("T", "")
        assert end == properties["end_datetime"][:19].replace("-", "").replace(":", "").replace("T", "")


def test_the_archive_spans_2019_to_2026_every_product_both_pols_all_modes_and_platforms(archive):
    properties = [item["properties"] for item in archive]
    assert {p["datetime"][:4] for p in properties} == {str(year) for year in range(2019, 2027)}
    assert {p["sar:product_type"] for p in properties} == ALL_PRODUCT_TYPES
    assert {pol for p in properties for pol in p["sar:polarizations"]} == {"HH", "VV"}
    assert {p["sar:instrument_mode"] for p in properties} == {"spotlight", "stripmap", "sliding_spotlight"}
    assert {p["platform"] for p in properties} == {f"capella-{n}" for n in range(1, 17)}
    assert {p["capella:orbital_plane"] for p in properties} == {45, 53, 97}
    assert {p["capella:image_formation_algorithm"] for p in properties} == {"pfa", "backprojection"}
    assert {p["capella:ownership"] for p in properties} == {
        "ownedByOrganization",
        "sharedWithOrganization",
        "availableForPurchase",
        "publiclyAvailable",
    }
    assert {"spotlight", "spotlight_ultra", "spotlight_wide", "stripmap_20"} <= {
        p["capella:collection_type"] for p in properties
    }


def test_items_lie_on_every_inhabited_continent(archive):
    continents = set()
    for item in archive:
        west, south, east, north = item["bbox"]
        for site in SITES:
            if west - 0.5 <= site.lon <= east + 0.5 and south - 0.5 <= site.lat <= north + 0.5:
                continents.add(site.continent)
    assert continents == {"North America", "South America", "Europe", "Africa", "Asia", "Oceania"}


def test_every_searchable_property_has_a_realistic_value_on_every_item(archive):
    for item in archive:
        properties = item["properties"]
        missing = [name for name in SEARCHABLE_PROPERTIES if properties.get(name) is None]
        assert not missing, (item["id"], missing)
        assert properties["constellation"] == "capella"
        assert properties["sar:frequency_band"] == "X"
        assert 9.3 < properties["sar:center_frequency"] < 9.9
        assert 15 < properties["view:look_angle"] < properties["view:incidence_angle"] < 60
        assert 0 <= properties["view:azimuth"] < 360
        assert properties["sat:orbit_state"] in ("ascending", "descending")
        assert properties["sar:observation_direction"] in ("left", "right")
        assert 32601 <= properties["proj:epsg"] <= 32760
        assert len(properties["capella:hash"]) == 64


def test_each_collect_has_several_products_sharing_its_datetime_and_footprint(archive):
    by_collect: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in archive:
        by_collect[item["properties"]["capella:collect_id"]].append(item)
    sizes = Counter(len(products) for products in by_collect.values())
    assert sum(count for size, count in sizes.items() if size >= 4) > 0.9 * len(by_collect)
    for products in by_collect.values():
        assert len({item["properties"]["datetime"] for item in products}) == 1
        assert len({json.dumps(item["geometry"]) for item in products}) == 1
        assert len({item["properties"]["sar:product_type"] for item in products}) == len(products)


def test_items_are_small_polygons_with_a_matching_bbox(archive):
    for item in archive:
        ring = item["geometry"]["coordinates"][0]
        assert item["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 5
        west, south, east, north = item["bbox"]
        assert west == min(p[0] for p in ring) and north == max(p[1] for p in ring)
        assert north - south < 1.5 and east - west < 2.0


def test_same_seed_gives_the_same_archive_in_another_process(capella_emulator, archive):
    script = (
        "import json; from capella_emulator.catalog import generate_archive; "
        "print(json.dumps(sorted(item['id'] for item in generate_archive(42, 2400))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert capella_emulator.state.config.seed == 42 and len(archive) == 2400
    assert json.loads(result.stdout) == sorted(item["id"] for item in archive)


def test_another_seed_gives_another_archive(archive):
    running = start_in_thread(EmulatorConfig(api_key="other", seed=7, catalog_size=2400))
    try:
        other, _ = fetch_all(running.url, {"Authorization": "ApiKey other"}, {"limit": 10_000})
    finally:
        running.stop()
    assert len(other) == 2400
    overlap = {item["id"] for item in other} & {item["id"] for item in archive}
    assert len(overlap) < 10


def test_items_added_by_a_completed_collect_are_searchable_until_reset(capella_emulator):
    collect_id = "0b7c6f5e-0b8c-4a43-9d2c-3f1f4b2a9e11"
    added = build_collect_items(
        collect_id=collect_id,
        geometry={"type": "Point", "coordinates": [-122.42, 37.77]},
        acquired_at=datetime(2026, 11, 1, 18, 30, tzinfo=timezone.utc),
        product_types=["GEO", "SICD", "CPHD"],
        collection_type="spotlight",
        seed=42,
    )
    capella_emulator.state.catalog.add(added)

    page = search_ok(capella_emulator, {"query": {"capella:collect_id": {"eq": collect_id}}})

    assert sorted(f["properties"]["sar:product_type"] for f in page["features"]) == ["CPHD", "GEO", "SICD"]
    assert {f["collection"] for f in page["features"]} == {"capella-geo", "capella-sicd", "capella-archive"}
    assert all(f["properties"]["capella:ownership"] == "ownedByOrganization" for f in page["features"])
    assert search_ok(capella_emulator, {"bbox": [-122.5, 37.7, -122.3, 37.8]})["numberMatched"] == 3
    capella_emulator.reset()
    assert (
        search_ok(capella_emulator, {"query": {"capella:collect_id": {"eq": collect_id}}})["numberMatched"]
        == 0
    )


def test_build_collect_items_defaults_to_the_four_standard_products_over_a_polygon():
    polygon = {
        "type": "Polygon",
        "coordinates": [[[10.0, 50.0], [10.2, 50.0], [10.2, 50.1], [10.0, 50.1], [10.0, 50.0]]],
    }
    items = build_collect_items(
        collect_id="c1",
        geometry=polygon,
        acquired_at=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc),
        product_types=None,
        collection_type="stripmap_20",
        seed=1,
    )
    assert [item["properties"]["sar:product_type"] for item in items] == ["SLC", "GEO", "GEC", "SICD"]
    assert all("_SM_" in item["id"] and ID_PATTERN.match(item["id"]) for item in items)
    west, south, east, north = items[0]["bbox"]
    assert west <= 10.0 and east >= 10.2 and south <= 50.0 and north >= 50.1
    assert items == build_collect_items(
        collect_id="c1",
        geometry=polygon,
        acquired_at=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc),
        product_types=None,
        collection_type="stripmap_20",
        seed=1,
    )
