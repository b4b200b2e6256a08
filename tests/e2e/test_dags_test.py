"""Every example DAG, run end to end by ``airflow dags test`` (the CLI, in a child process) against the
emulator and a moto S3 server, with the connections given as ``AIRFLOW_CONN_*`` variables."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from capella_emulator.asset_content import asset_sha256

from tests.e2e.local_world import ASSET_SIZE, TASKING_STEP_SECONDS, LocalWorld

pytestmark = pytest.mark.e2e


def raster_sha256_matches(world: LocalWorld, key: str) -> bool:
    """A landed raster holds exactly the emulator's bytes for that product."""
    stac_id = key.rsplit("/", 1)[1].removesuffix(".tif")
    polarization = stac_id.split("_")[4]
    landed = hashlib.sha256(world.s3_bytes(key)).hexdigest()
    return landed == asset_sha256(stac_id, polarization, ASSET_SIZE)


@pytest.mark.flagship
def test_tasking_to_s3_tasks_waits_deferred_orders_and_lands_the_products(local_world: LocalWorld) -> None:
    local_world.clear_emulator_requests()
    # the collection completes 10 s after the request: the sensor, however slowly it starts, finds it
    # pending and defers, as it would for a real satellite
    local_world.emulator_settings(tasking_step_seconds=2.0)
    try:
        log = local_world.dags_test("capella_tasking_to_s3")
    finally:
        local_world.emulator_settings(tasking_step_seconds=TASKING_STEP_SECONDS)

    assert "new_state=deferred" in log, "the sensor did not defer"
    assert len(local_world.emulator_requests("/task", "POST")) == 1
    assert len(local_world.emulator_requests("/orders", "POST")) == 1
    objects = local_world.s3_objects("tasking/")
    rasters = sorted(key for key in objects if key.endswith(".tif"))
    assert [key.split("/")[-1].split("_")[3] for key in rasters] == ["GEO", "SLC"]
    assert len(objects) == 6, sorted(objects)  # raster, metadata and thumbnail of each
    assert all(raster_sha256_matches(local_world, key) for key in rasters)
    assert "Emitted asset events through the alias 'capella-imagery'" in log


def test_archive_backfill_lands_the_day_of_its_data_interval(local_world: LocalWorld) -> None:
    expected = local_world.archive_ids("2024-04-02")
    assert expected
    local_world.clear_emulator_requests()

    # `airflow dags test <date>` of a @daily DAG runs the data interval that ends at <date>
    local_world.dags_test("capella_archive_backfill", "2024-04-03")

    landed = local_world.s3_objects("archive/rotterdam/")
    assert {key.split("/")[2] for key in landed} == {"2024-04-02"}
    assert sorted({key.split("/")[3] for key in landed}) == expected
    assert len(landed) == 2 * len(expected)  # raster and metadata
    assert all(raster_sha256_matches(local_world, key) for key in landed if key.endswith(".tif"))
    assert len(local_world.emulator_requests("/orders", "POST")) == 1


def test_repeat_monitoring_creates_watches_updates_and_cancels(local_world: LocalWorld) -> None:
    local_world.clear_emulator_requests()

    # a series long enough to still be running when the cancel task comes, however slow task start-up is
    conf = {"repetition_interval": 1, "repetition_count": 100}
    local_world.dags_test("capella_repeat_monitoring", conf=conf)

    assert len(local_world.emulator_requests("/repeat-requests", "POST")) == 1
    repeats = local_world.emulator_api("POST", "/repeat-requests/search", {"query": {}})["results"]
    assert len(repeats) == 1
    properties = repeats[0]["properties"]
    assert properties["statusHistory"][0]["code"] == "canceled"
    watched = int(properties["customAttribute1"].rsplit(" ", 1)[1])
    assert watched >= 2
    assert len(derived_requests(local_world, properties["repeatrequestId"])) >= watched


def derived_requests(world: LocalWorld, repeat_id: str) -> list[dict[str, Any]]:
    results = world.emulator_api("POST", "/tasks/search?limit=500", {"query": {}})["results"]
    return [request for request in results if request["properties"].get("repeatrequestId") == repeat_id]


def test_new_imagery_catalogs_the_given_products_in_s3(local_world: LocalWorld) -> None:
    stac_ids = local_world.archive_ids("2024-07-07")
    assert stac_ids

    local_world.dags_test("capella_new_imagery", conf={"stac_ids": stac_ids})

    catalogs = [key for key in local_world.s3_objects("catalog/") if key.endswith(".geojson")]
    assert len(catalogs) == 1
    collection = json.loads(local_world.s3_bytes(catalogs[0]))
    assert collection["type"] == "FeatureCollection"
    assert sorted(feature["id"] for feature in collection["features"]) == stac_ids


def test_feasibility_to_tasking_checks_approves_within_the_limit_and_lands_the_products(
    local_world: LocalWorld,
) -> None:
    local_world.clear_emulator_requests()
    # the emulator holds the request in review, as the real API does without pre-approval
    conf = {"name": "Rotterdam feasibility", "max_cost": 3000, "max_order_cost": 500}

    log = local_world.dags_test("capella_feasibility_to_tasking", conf=conf)

    assert len(local_world.emulator_requests("/ma/accessrequests", "POST")) == 1
    assert len(local_world.emulator_requests("/task", "POST")) == 1
    results = local_world.emulator_api("POST", "/tasks/search?limit=500", {"query": {}})["results"]
    task = next(r["properties"] for r in results if r["properties"]["taskingrequestName"] == conf["name"])
    codes = [entry["code"] for entry in task["statusHistory"]]
    assert codes[0] == "completed" and "review" in codes, codes
    approvals = [e for e in local_world.emulator_requests(method="PATCH") if e["path"].endswith("/status")]
    assert len(approvals) == 1, "approved exactly once, by the task, at the $3,000.00 quote"
    assert "within the limit" in log
    rasters = sorted(key for key in local_world.s3_objects("feasibility/") if key.endswith(".tif"))
    assert len(rasters) == 1 and "_GEO_" in rasters[0]
    assert all(raster_sha256_matches(local_world, key) for key in rasters)
