"""A production-like running Airflow (``make cluster``: CeleryExecutor on PostgreSQL and Redis, two
workers, api-server, scheduler, dag-processor, triggerer), shared by the session's cluster tests: a run
triggered through the REST API defers its sensor to the triggerer and succeeds, the new imagery it lands
triggers ``capella_new_imagery`` through asset events, a backfill created through the REST API runs the
archive backfill, twice without duplicating anything, and a 30-day backfill with the API answering 429
to one call in ten succeeds while the ``capella_api`` pool bounds the Capella tasks running at once."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.e2e.cluster_checks import max_overlap, parse, task_instances
from tests.e2e.cluster_world import ClusterWorld
from tests.e2e.running_airflow import RunningAirflow

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]

TASKING_DAG = "capella_tasking_to_s3"
NEW_IMAGERY_DAG = "capella_new_imagery"
BACKFILL_DAG = "capella_archive_backfill"
BACKFILL_DAYS = ("2024-04-01", "2024-04-02", "2024-04-03")  # 04-01 has no imagery over Rotterdam
MONTH = ("2024-05-01", "2024-05-30")  # 30 daily runs
POOL_SLOTS_DURING_MONTH = 3  # fewer than the workers' 4 task slots, so the pool is what bounds them


def catalog_ids(world: ClusterWorld, key: str) -> list[str]:
    return sorted(feature["id"] for feature in json.loads(world.s3_bytes(key))["features"])


def test_rest_triggered_run_defers_to_the_triggerer_then_succeeds(
    cluster: ClusterWorld,
) -> None:
    world, airflow = cluster, cluster.airflow
    airflow.wait_for_dags(TASKING_DAG, NEW_IMAGERY_DAG)
    airflow.set_paused(TASKING_DAG, False)
    airflow.set_paused(NEW_IMAGERY_DAG, False)
    # the request waits in review until the task approves its quote (within the DAG's max_cost); the
    # collection then takes seconds more: the sensor must defer meanwhile
    conf = {"name": "e2e rest run", "prefix": "rest"}
    world.emulator_settings(tasking_step_seconds=2.0)
    try:
        since = datetime.now(timezone.utc)
        run_id = airflow.trigger(TASKING_DAG, conf)
        request_id = wait_for_deferred_sensor(airflow, run_id)
        state, seen = airflow.wait_for_run(TASKING_DAG, run_id)
    finally:
        world.emulator_settings(tasking_step_seconds=0.5)

    assert state == "success", seen
    approvals = world.emulator_requests(f"/task/{request_id}/status", "PATCH")
    assert [e["status"] for e in approvals] == [200], "approved once, by the task, within max_cost"
    assert "deferred" in seen["wait_for_collection"]
    landed = {key.split("/")[2] for key in world.s3_objects(f"rest/{request_id}/") if key.endswith(".tif")}
    assert len(landed) == 2  # the GEO and SLC products of the collect
    new_imagery = wait_for_asset_triggered_run(airflow, since)
    assert new_imagery["state"] == "success"
    catalogs = [key for key in world.s3_objects("catalog/") if key.endswith(".geojson")]
    # the catalog run lists what landed (and, on a cluster that ran the DAG before, earlier imagery too)
    assert any(landed <= set(catalog_ids(world, key)) for key in catalogs), catalogs
    airflow.set_paused(NEW_IMAGERY_DAG, True)


def wait_for_deferred_sensor(airflow: RunningAirflow, run_id: str, timeout: float = 120) -> str:
    """Until ``wait_for_collection`` is deferred; return the tasking request id the run created."""
    deadline = time.monotonic() + timeout
    while airflow.task_states(TASKING_DAG, run_id).get("wait_for_collection") != "deferred":
        assert time.monotonic() < deadline, airflow.task_states(TASKING_DAG, run_id)
        time.sleep(0.5)
    task = f"/dags/{TASKING_DAG}/dagRuns/{run_id}/taskInstances/create_tasking_request"
    return str(airflow.api("GET", f"{task}/xcomEntries/return_value")["value"]).strip('"')


def wait_for_asset_triggered_run(
    airflow: RunningAirflow, since: datetime, timeout: float = 120
) -> dict[str, Any]:
    """The first finished run of the new-imagery DAG queued after ``since`` (all asset-triggered)."""
    deadline = time.monotonic() + timeout
    while True:
        runs = [run for run in airflow.dag_runs(NEW_IMAGERY_DAG) if parse(run["queued_at"]) > since]
        finished = [run for run in runs if run["state"] in ("success", "failed")]
        if finished:
            assert [run["run_type"] for run in runs] == ["asset_triggered"], runs
            return finished[0]
        assert time.monotonic() < deadline, runs
        time.sleep(1)


def test_backfill_create_partitions_by_day_and_a_reprocess_changes_nothing(
    cluster: ClusterWorld,
) -> None:
    world, airflow = cluster, cluster.airflow
    airflow.wait_for_dags(BACKFILL_DAG)
    world.clear_emulator_requests()

    backfill(world, airflow)

    first = world.s3_objects("archive/rotterdam/")
    partitions = {key.split("/")[2] for key in first}
    assert partitions == {"2024-04-02", "2024-04-03"}  # 2024-04-01: nothing to order, nothing landed
    for day in partitions:
        landed = sorted({key.split("/")[3] for key in first if key.split("/")[2] == day})
        assert landed == world.archive_ids(day)
    assert len(world.emulator_requests("/orders", "POST")) == 2
    fetched = [entry for entry in world.asset_downloads() if not entry["path"].endswith("_checksums.json")]
    assert len(fetched) == len(first)  # besides each product's checksums document, read in memory

    world.clear_emulator_requests()
    backfill(world, airflow, reprocess="completed")

    assert world.emulator_requests("/orders", "POST") == []
    assert world.asset_downloads() == []
    assert world.s3_objects("archive/rotterdam/") == first  # same keys, ETags and LastModified


def backfill(
    world: ClusterWorld, airflow: RunningAirflow, reprocess: str = "none", timeout: float = 300
) -> None:
    """A backfill over the three days, created through the REST API; wait until every run succeeded."""
    started = datetime.now(timezone.utc)
    body = {
        "dag_id": BACKFILL_DAG,
        "from_date": f"{BACKFILL_DAYS[0]}T00:00:00Z",
        "to_date": f"{BACKFILL_DAYS[-1]}T00:00:00Z",
        "reprocess_behavior": reprocess,
    }
    created = create_backfill(airflow, body)
    wait_for_backfill(airflow, created["id"], timeout)
    runs = {run["logical_date"][:10]: run for run in airflow.dag_runs(BACKFILL_DAG)}
    runs = {day: run for day, run in runs.items() if day in BACKFILL_DAYS}
    assert sorted(runs) == list(BACKFILL_DAYS)
    assert {(run["run_type"], run["state"]) for run in runs.values()} == {("backfill", "success")}, runs
    assert all(parse(run["end_date"]) > started for run in runs.values())


def create_backfill(airflow: RunningAirflow, body: dict[str, Any]) -> dict[str, Any]:
    """Create the backfill while the DAG is paused, then unpause it (backfill runs start only then).

    Paused, the scheduler adds no catchup run of its own for those days while the backfill creates
    its runs (both would insert the same logical date).
    """
    airflow.set_paused(BACKFILL_DAG, True)
    created = dict(airflow.api("POST", "/backfills", body))
    airflow.set_paused(BACKFILL_DAG, False)
    return created


def wait_for_backfill(airflow: RunningAirflow, backfill_id: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not airflow.api("GET", f"/backfills/{backfill_id}")["completed_at"]:
        assert time.monotonic() < deadline, airflow.dag_runs(BACKFILL_DAG)
        time.sleep(2)


def test_a_30_day_backfill_succeeds_through_429s_within_the_capella_api_pool(cluster: ClusterWorld) -> None:
    airflow = cluster.airflow
    airflow.wait_for_dags(BACKFILL_DAG)
    pool = cluster.info["pool"]
    set_pool_slots(airflow, pool["name"], POOL_SLOTS_DURING_MONTH)
    cluster.emulator_control("DELETE", "/requests")
    cluster.emulator_control("POST", "/faults", {"fault_429_rate": 0.1, "retry_after": 1, "scope": "api"})
    try:
        body = {
            "dag_id": BACKFILL_DAG,
            "from_date": f"{MONTH[0]}T00:00:00Z",
            "to_date": f"{MONTH[1]}T00:00:00Z",
            "max_active_runs": 10,
            "dag_run_conf": {"prefix": "archive-month/rotterdam"},
        }
        created = create_backfill(airflow, body)
        wait_for_backfill(airflow, created["id"], timeout=1200)
    finally:
        cluster.emulator_control("POST", "/faults", {"fault_429_rate": 0.0})
        set_pool_slots(airflow, pool["name"], pool["slots"])

    runs = [run for run in airflow.dag_runs(BACKFILL_DAG, limit=200) if run["logical_date"][:7] == "2024-05"]
    assert len(runs) == 30
    assert {(run["run_type"], run["state"]) for run in runs} == {("backfill", "success")}
    throttled = [entry for entry in cluster.emulator_requests() if entry["status"] == 429]
    assert throttled, "the emulator answered no 429: the faults were not in force"
    instances = [ti for run in runs for ti in task_instances(airflow, BACKFILL_DAG, run["dag_run_id"])]
    capella = [ti for ti in instances if ti["start_date"] and ti["end_date"]]
    assert {ti["pool"] for ti in capella} == {pool["name"]}
    assert 1 < max_overlap(capella) <= POOL_SLOTS_DURING_MONTH


def set_pool_slots(airflow: RunningAirflow, name: str, slots: int) -> None:
    body = {"pool": name, "slots": slots, "include_deferred": False}
    assert airflow.api("PATCH", f"/pools/{name}", body, update_mask="slots")["slots"] == slots
