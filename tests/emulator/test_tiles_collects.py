"""Collects by id, their status, and the tiles of a tasking request, over real HTTP."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.emulator.around_tasking_helpers import FAST_STEP, ROTTERDAM, Client, error_of

WIDE = {
    "type": "Polygon",
    "coordinates": [[[4.0, 51.9], [4.2, 51.9], [4.2, 52.1], [4.0, 52.1], [4.0, 51.9]]],
}
TRIANGLE = {
    "type": "Polygon",
    "coordinates": [[[4.0, 51.9], [4.4, 51.9], [4.0, 52.3], [4.0, 51.9]]],
}


@pytest.fixture
def api(capella_emulator: Any) -> Client:
    capella_emulator.settings(tasking_step_seconds=FAST_STEP)
    return Client(capella_emulator)


def completed_task(api: Client, geometry: dict[str, Any] | None = None, **properties: Any) -> str:
    task_id = api.create_task(geometry, preApproval=True, **properties)["properties"]["taskingrequestId"]
    api.wait_task(task_id, "completed")
    return task_id


def inside(point: list[float], tile: dict[str, Any]) -> bool:
    ring = tile["geometry"]["coordinates"][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return min(lons) <= point[0] <= max(lons) and min(lats) <= point[1] <= max(lats)


def test_a_collect_by_id_carries_the_listing_and_the_full_record(api: Client) -> None:
    task_id = completed_task(api, collectConstraints={"imageWidth": 6000, "imageLength": 7000})
    [listed] = api.get(f"/collects/list/{task_id}").json()

    response = api.get(f"/collects/{listed['collectId']}")

    assert response.status_code == 200, response.text
    collect = response.json()
    for key, value in listed.items():  # the listing's fields, nested ones extended but never changed
        if isinstance(value, dict):
            assert {name: collect[key][name] for name in value} == value
        else:
            assert collect[key] == value
    x, y, z = collect["centerEcef"]
    assert 6_350_000 < math.sqrt(x * x + y * y + z * z) < 6_380_000
    assert z > 0 and x > 0  # northern hemisphere, near Greenwich
    access = collect["accessProperties"]
    assert 0 < access["elevationMin"] <= access["elevationMax"] < 90
    assert 0 <= access["azimuthClose"] < 360 and access["azimuthClose"] != access["azimuthOpen"]
    props = collect["collectProperties"]
    assert (props["imageWidth"], props["imageLength"]) == (6000, 7000)
    assert props["grr"] > props["azr"] > 0  # ground range is coarser than slant range
    assert -25 < props["nesz"] < -10 and -10 <= props["meanSquint"] <= 10


def test_the_status_of_a_collect_follows_its_lifecycle(api: Client) -> None:
    task_id = completed_task(api)
    [listed] = api.get(f"/collects/list/{task_id}").json()

    status = api.get(f"/collects/status/{listed['collectId']}").json()

    assert status["collectId"] == listed["collectId"] and status["taskingrequestId"] == task_id
    assert status["collectStatus"] == "delivered"
    assert status["collectStatusHistory"] == listed["collectStatusHistory"]
    assert [entry["code"] for entry in status["collectStatusHistory"]][-1] == "predicted"


def test_unknown_and_malformed_collect_ids(api: Client) -> None:
    unknown = api.get("/collects/0b9f7c1e-6f0e-4a8e-9d8e-1f2a3b4c5d6e")
    malformed = api.get("/collects/status/nope")

    assert unknown.status_code == 404 and error_of(unknown)["code"] == "NOT_FOUND"
    assert malformed.status_code == 400 and error_of(malformed)["code"] == "VALIDATION_ERROR"


def test_a_request_has_no_tiles_until_it_is_accepted(api: Client) -> None:
    task_id = api.create_task(taskingrequestName="held in review")["properties"]["taskingrequestId"]
    api.wait_task(task_id, "review")

    assert api.get(f"/tiles/list/{task_id}").json() == []


def test_a_point_request_has_one_scene_sized_tile_around_the_point(api: Client) -> None:
    task_id = completed_task(api)
    [collect] = api.get(f"/collects/list/{task_id}").json()

    tiles = api.get(f"/tiles/list/{task_id}").json()

    [tile] = tiles
    assert tile["type"] == "Feature" and tile["geometry"]["type"] == "Polygon"
    assert inside(ROTTERDAM["coordinates"], tile)
    props = tile["properties"]
    assert props["taskingrequestId"] == task_id and props["tileGroupId"] == collect["tileGroupId"]
    assert (props["imageWidth"], props["imageLength"]) == (5000, 5000)  # one spotlight scene
    ring = tile["geometry"]["coordinates"][0]
    height_km = (max(p[1] for p in ring) - min(p[1] for p in ring)) * 111.32
    assert height_km == pytest.approx(5.0, rel=0.01)


def test_an_area_request_is_covered_by_a_grid_of_tiles(api: Client) -> None:
    scene = {"imageWidth": 5000, "imageLength": 20000}
    task_id = completed_task(api, WIDE, collectionType="stripmap_20", collectConstraints=scene)

    tiles = api.get(f"/tiles/list/{task_id}").json()

    assert len(tiles) == 6  # 13.7 km x 22.3 km under 5 x 20 km scenes: 3 columns, 2 rows
    assert all(
        (t["properties"]["imageWidth"], t["properties"]["imageLength"]) == (5000, 20000) for t in tiles
    )
    assert len({tile["properties"]["tileId"] for tile in tiles}) == len(tiles)
    ring = WIDE["coordinates"][0]
    samples = [[4.0 + 0.2 * i / 10, 51.9 + 0.2 * j / 10] for i in range(11) for j in range(11)]
    assert all(any(inside(point, tile) for tile in tiles) for point in samples + ring)
    assert {tile["properties"]["collectionType"] for tile in tiles} == {"stripmap_20"}


def test_grid_cells_that_miss_the_polygon_are_left_out(api: Client) -> None:
    task_id = completed_task(api, TRIANGLE)

    tiles = api.get(f"/tiles/list/{task_id}").json()

    columns = math.ceil(0.4 * 111.32 * math.cos(math.radians(52.1)) / 5)
    rows = math.ceil(0.4 * 111.32 / 5)
    assert rows * columns * 0.5 < len(tiles) < rows * columns
    assert not any(inside([4.38, 52.28], tile) for tile in tiles)  # the empty corner of the bounding box


def test_tiles_of_an_unknown_request(api: Client) -> None:
    response = api.get("/tiles/list/0b9f7c1e-6f0e-4a8e-9d8e-1f2a3b4c5d6e")
    assert response.status_code == 404
