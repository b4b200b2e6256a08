"""The flagship example under the emulator's strict modes, run by ``airflow dags test`` against the
emulator and a moto S3 server: orders that take their time before their download URLs exist, and 429s
answered to a share of the API requests for the whole run."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.e2e.local_world import LocalWorld
from tests.e2e.test_dags_test import raster_sha256_matches

pytestmark = pytest.mark.e2e
FLAGSHIP = "capella_tasking_to_s3"


def landed_rasters(world: LocalWorld, prefix: str) -> list[str]:
    objects = world.s3_objects(f"{prefix}/")
    assert len(objects) == 6, sorted(objects)  # raster, metadata and thumbnail of GEO and SLC
    rasters = sorted(key for key in objects if key.endswith(".tif"))
    assert all(raster_sha256_matches(world, key) for key in rasters)
    return rasters


@pytest.fixture
def patient_connection(local_world: LocalWorld) -> Iterator[None]:
    """``capella_default`` with ten retries: how a team configures it for an API that rate-limits."""
    before = local_world.env["AIRFLOW_CONN_CAPELLA_DEFAULT"]
    connection = {**local_world.services.capella_connection(), "extra": {"max_retries": 10}}
    local_world.env["AIRFLOW_CONN_CAPELLA_DEFAULT"] = json.dumps(connection)
    try:
        yield
    finally:
        local_world.env["AIRFLOW_CONN_CAPELLA_DEFAULT"] = before


def test_the_flagship_waits_for_a_slow_order_then_lands_the_products(local_world: LocalWorld) -> None:
    local_world.clear_emulator_requests()
    local_world.emulator_settings(order_processing_seconds=20)
    try:
        local_world.dags_test(FLAGSHIP, conf={"prefix": "slow-order"})
    finally:
        local_world.emulator_settings(order_processing_seconds=0)

    [placed] = local_world.emulator_requests("/orders", "POST")
    assert placed["status"] == 200
    downloads = [
        e for e in local_world.emulator_requests("/orders/", "GET") if e["path"].endswith("/download")
    ]
    statuses = [entry["status"] for entry in downloads]
    assert statuses[0] == 503 and statuses[-1] == 200, statuses  # waited while the order was processing
    assert landed_rasters(local_world, "slow-order")


def test_the_flagship_rides_out_sustained_429s(local_world: LocalWorld, patient_connection: None) -> None:
    local_world.clear_emulator_requests()
    local_world.emulator_faults(fault_429_rate=0.2, retry_after=1, scope="api")
    try:
        local_world.dags_test(FLAGSHIP, conf={"prefix": "rate-limited"})
    finally:
        local_world.emulator_faults(fault_429_rate=0.0, scope="all")

    api = [entry for entry in local_world.emulator_requests() if not entry["path"].startswith("/assets/")]
    limited = [index for index, entry in enumerate(api) if entry["status"] == 429]
    assert len(limited) >= 3, f"{len(limited)} of {len(api)} API requests answered 429"
    assert limited[0] < len(api) / 2 < limited[-1], "429s came throughout the run, not in one burst"
    # a 429 never reached the API: exactly one tasking request and one order, each created once
    assert [e["status"] for e in local_world.emulator_requests("/task", "POST")].count(201) == 1
    assert [e["status"] for e in local_world.emulator_requests("/orders", "POST")].count(200) == 1
    assert landed_rasters(local_world, "rate-limited")
