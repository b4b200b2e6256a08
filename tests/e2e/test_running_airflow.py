"""A real running Airflow (api-server, scheduler, dag-processor, triggerer; SQLite, LocalExecutor),
started by the test and stopped afterwards: a run triggered through the REST API defers its sensor to
the triggerer and succeeds, the new imagery it lands triggers ``capella_new_imagery`` through asset
events, and ``airflow backfill create`` runs the archive backfill, twice without duplicating anything."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella.testing.stack import ProcessStack, StackError, free_port
from tests.e2e.local_world import LocalWorld
from tests.e2e.running_airflow import RunningAirflow, server_settings, start_airflow

pytestmark = pytest.mark.e2e

TASKING_DAG = "capella_tasking_to_s3"
NEW_IMAGERY_DAG = "capella_new_imagery"
BACKFILL_DAG = "capella_archive_backfill"
BACKFILL_DAYS = ("2024-04-01", "2024-04-02", "2024-04-03")  # 04-01 has no imagery over Rotterdam


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, template_db: Path
) -> Iterator[tuple[LocalWorld, RunningAirflow]]:
    """Emulator, S3 server and the four Airflow components; afterwards, no process of theirs is left."""
    root = tmp_path_factory.mktemp("running-airflow")
    port = free_port()
    stack = ProcessStack(log_dir=root / "logs")
    with stack:
        world = LocalWorld.start(stack, root / "airflow-home", template_db, **server_settings(port))
        airflow = start_airflow(world, port)
        groups = [child.pid for child in stack.children]
        yield world, airflow
    assert wait_until_gone(groups) == [], "process groups still alive after the stop"


def wait_until_gone(groups: list[int], timeout: float = 20) -> list[int]:
    """The process groups still alive after ``timeout`` (a busy machine reaps SIGKILLed ones late)."""
    deadline = time.monotonic() + timeout
    while (alive := [pgid for pgid in groups if process_group_alive(pgid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def catalog_ids(world: LocalWorld, key: str) -> list[str]:
    return sorted(feature["id"] for feature in json.loads(world.s3_bytes(key))["features"])


def test_rest_triggered_run_defers_to_the_triggerer_then_succeeds(
    deployment: tuple[LocalWorld, RunningAirflow],
) -> None:
    world, airflow = deployment
    airflow.wait_for_dags(TASKING_DAG, NEW_IMAGERY_DAG)
    airflow.set_paused(TASKING_DAG, False)
    airflow.set_paused(NEW_IMAGERY_DAG, False)
    # the emulator holds this request in review until approved: the sensor must defer meanwhile
    conf = {"name": "e2e emulator:manual-approval", "prefix": "rest"}

    run_id = airflow.trigger(TASKING_DAG, conf)
    request_id = wait_for_deferred_sensor(airflow, run_id)
    world.emulator_api("PATCH", f"/task/{request_id}/status", {"status": "approved"})
    state, seen = airflow.wait_for_run(TASKING_DAG, run_id)

    assert state == "success", seen
    assert "deferred" in seen["wait_for_collection"]
    landed = {key.split("/")[2] for key in world.s3_objects(f"rest/{request_id}/") if key.endswith(".tif")}
    assert len(landed) == 2  # the GEO and SLC products of the collect
    new_imagery = wait_for_asset_triggered_run(airflow)
    assert new_imagery["state"] == "success"
    catalogs = [key for key in world.s3_objects("catalog/") if key.endswith(".geojson")]
    assert [catalog_ids(world, key) for key in catalogs] == [sorted(landed)]
    airflow.set_paused(NEW_IMAGERY_DAG, True)


def wait_for_deferred_sensor(airflow: RunningAirflow, run_id: str, timeout: float = 120) -> str:
    """Until ``wait_for_collection`` is deferred; return the tasking request id the run created."""
    deadline = time.monotonic() + timeout
    while airflow.task_states(TASKING_DAG, run_id).get("wait_for_collection") != "deferred":
        assert time.monotonic() < deadline, airflow.task_states(TASKING_DAG, run_id)
        time.sleep(0.5)
    task = f"/dags/{TASKING_DAG}/dagRuns/{run_id}/taskInstances/create_tasking_request"
    return str(airflow.api("GET", f"{task}/xcomEntries/return_value")["value"]).strip('"')


def wait_for_asset_triggered_run(airflow: RunningAirflow, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        runs = airflow.dag_runs(NEW_IMAGERY_DAG)
        finished = [run for run in runs if run["state"] in ("success", "failed")]
        if finished:
            assert [run["run_type"] for run in runs] == ["asset_triggered"], runs
            return finished[0]
        assert time.monotonic() < deadline, runs
        time.sleep(1)


def test_backfill_create_partitions_by_day_and_a_reprocess_changes_nothing(
    deployment: tuple[LocalWorld, RunningAirflow],
) -> None:
    world, airflow = deployment
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
    assert len(world.asset_downloads()) == len(first)

    world.clear_emulator_requests()
    backfill(world, airflow, "--reprocess-behavior", "completed")

    assert world.emulator_requests("/orders", "POST") == []
    assert world.asset_downloads() == []
    assert world.s3_objects("archive/rotterdam/") == first  # same keys, ETags and LastModified


def backfill(world: LocalWorld, airflow: RunningAirflow, *options: str, timeout: float = 240) -> None:
    """``airflow backfill create`` over the three days; wait until it completed, every run successful."""
    started = datetime.now(timezone.utc)
    # paused while the backfill is created, so the scheduler writes nothing of this DAG meanwhile: SQLite
    # refuses a second writer outright when both upgrade read locks (seen on a reprocess that clears runs)
    airflow.set_paused(BACKFILL_DAG, True)
    create_backfill(world, airflow, *options)
    # backfill runs start once the DAG is unpaused; its catchup window is these same three days, so
    # the scheduler adds no runs of its own
    airflow.set_paused(BACKFILL_DAG, False)
    deadline = time.monotonic() + timeout
    while not backfill_completed(airflow, started):
        assert time.monotonic() < deadline, airflow.dag_runs(BACKFILL_DAG)
        time.sleep(1)
    runs = {run["logical_date"][:10]: run for run in airflow.dag_runs(BACKFILL_DAG)}
    assert sorted(runs) == list(BACKFILL_DAYS)
    assert {(run["run_type"], run["state"]) for run in runs.values()} == {("backfill", "success")}, runs
    assert all(parse(run["end_date"]) > started for run in runs.values())


def create_backfill(world: LocalWorld, airflow: RunningAirflow, *options: str, attempts: int = 3) -> None:
    """``airflow backfill create`` over the three days; on SQLite's "database is locked", clean up and retry.

    With a scheduler writing at the same time, SQLite can refuse a writer outright (two connections
    upgrading read locks). Airflow then leaves the backfill it had already committed (it cleans up only
    after Postgres/MySQL lock errors), so that orphan is cancelled (its queued runs fail) and the create
    runs again, reprocessing those failed runs.
    """
    reprocess: tuple[str, ...] = ()
    for attempt in range(1, attempts + 1):
        since = datetime.now(timezone.utc)
        try:
            world.airflow(
                "backfill", "create", "--dag-id", BACKFILL_DAG,
                "--from-date", BACKFILL_DAYS[0], "--to-date", BACKFILL_DAYS[-1], *(options or reprocess),
            )  # fmt: skip
            return
        except StackError as error:
            if "database is locked" not in str(error) or attempt == attempts:
                raise
        for orphan in airflow.api("GET", "/backfills", dag_id=BACKFILL_DAG)["backfills"]:
            if parse(orphan["created_at"]) > since and not orphan["completed_at"]:
                airflow.api("PUT", f"/backfills/{orphan['id']}/cancel")
        reprocess = ("--reprocess-behavior", "failed")
        time.sleep(2)


def backfill_completed(airflow: RunningAirflow, since: datetime) -> bool:
    """Whether the backfill created after ``since`` has finished all its runs."""
    backfills = airflow.api("GET", "/backfills", dag_id=BACKFILL_DAG)["backfills"]
    created = [entry for entry in backfills if parse(entry["created_at"]) > since]
    return bool(created) and all(entry["completed_at"] for entry in created)


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))
