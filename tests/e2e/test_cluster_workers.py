"""Work spreads over the cluster's Celery workers, and a worker lost right after a billable POST costs
nothing: Airflow retries the task on the other worker, which finds what the first try created.

A worker is "lost" the way a machine is: SIGKILL to the worker and every process under it, so nothing
reports back; the scheduler notices the missing heartbeats, fails the try and queues the retry.
"""

from __future__ import annotations

import hashlib
import uuid

import pytest
from capella_emulator.asset_content import asset_sha256

from tests.e2e.cluster_checks import (
    running_hostname,
    task_instances,
    task_tries,
    unordered_stac_ids,
    wait_for_request,
)
from tests.e2e.cluster_world import ClusterWorld
from tests.e2e.conftest import CLUSTER_ASSET_SIZE

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]

# Every API response body goes out at this many bytes/s while a test waits to kill a worker: the
# emulator has done what the POST asked (its status is logged) seconds before the client has the answer.
SLOW_ANSWER_BYTES_PER_SECOND = 200


def test_a_mapped_download_of_12_products_runs_on_both_workers(cluster: ClusterWorld) -> None:
    airflow = cluster.airflow
    airflow.wait_for_dags("cluster_mapped_download")
    airflow.set_paused("cluster_mapped_download", False)

    run_id = airflow.trigger("cluster_mapped_download", {"limit": 12, "prefix": "mapped"})
    state, seen = airflow.wait_for_run("cluster_mapped_download", run_id, timeout=900)

    assert state == "success", seen
    downloads = [
        ti for ti in task_instances(airflow, "cluster_mapped_download", run_id) if ti["task_id"] == "download"
    ]
    assert len(downloads) == 12
    assert {ti["state"] for ti in downloads} == {"success"}
    workers = {worker["hostname"] for worker in cluster.info["workers"]}
    hostnames = {ti["hostname"] for ti in downloads}
    assert hostnames <= workers and len(hostnames) >= 2, hostnames
    rasters = sorted(key for key in cluster.s3_objects("mapped/") if key.endswith(".tif"))
    assert len(rasters) == 12
    for key in rasters:
        stac_id = key.rsplit("/", 1)[1].removesuffix(".tif")
        landed = hashlib.sha256(cluster.s3_bytes(key)).hexdigest()
        assert landed == asset_sha256(stac_id, stac_id.split("_")[4], CLUSTER_ASSET_SIZE), key


def kill_the_worker_after_the_post(
    cluster: ClusterWorld, dag_id: str, task_id: str, path: str, conf: dict
) -> tuple[str, str]:
    """Trigger ``dag_id``; once its POST to ``path`` was answered by the emulator (and before the answer
    reached the task), SIGKILL the worker running it. Return the run id and the killed worker's name."""
    airflow = cluster.airflow
    airflow.wait_for_dags(dag_id)
    airflow.set_paused(dag_id, False)
    cluster.emulator_control("DELETE", "/requests")
    cluster.emulator_control("POST", "/faults", {"bandwidth": SLOW_ANSWER_BYTES_PER_SECOND, "scope": "api"})
    try:
        run_id = airflow.trigger(dag_id, conf)
        wait_for_request(cluster, "POST", path, answered=True)
        killed = running_hostname(airflow, dag_id, run_id, task_id)
        cluster.kill_worker(killed)
    finally:
        cluster.emulator_control("POST", "/faults", {"bandwidth": None, "scope": "all"})
    return run_id, killed


def assert_retried_on_the_other_worker(
    cluster: ClusterWorld, dag_id: str, run_id: str, task_id: str, killed: str
) -> None:
    state, seen = cluster.airflow.wait_for_run(dag_id, run_id, timeout=600)
    assert state == "success", seen
    tries = task_tries(cluster.airflow, dag_id, run_id, task_id)
    assert tries[0]["hostname"] == killed
    assert tries[0]["state"] == "failed"  # the scheduler gave up on the silent try
    assert tries[-1]["state"] == "success" and tries[-1]["hostname"] != killed


def test_a_worker_killed_after_the_tasking_post_leaves_exactly_one_tasking_request(
    cluster: ClusterWorld,
) -> None:
    name = f"cluster crash {uuid.uuid4().hex[:8]}"
    try:
        run_id, killed = kill_the_worker_after_the_post(
            cluster, "cluster_crash_tasking", "create_tasking_request", "/task", {"name": name}
        )
        assert_retried_on_the_other_worker(
            cluster, "cluster_crash_tasking", run_id, "create_tasking_request", killed
        )
    finally:
        cluster.restart_workers()

    created = [entry for entry in cluster.emulator_requests("/task", "POST") if entry["status"] == 201]
    assert len(created) == 1  # the retry found the request by its tag instead of POSTing again
    task = f"/dags/cluster_crash_tasking/dagRuns/{run_id}/taskInstances/create_tasking_request"
    xcom = f"{task}/xcomEntries/return_value"
    request_id = str(cluster.airflow.api("GET", xcom)["value"]).strip('"')
    held = cluster.emulator_api("GET", f"/task/{request_id}")
    assert held["properties"]["taskingrequestName"] == name


def test_a_worker_killed_after_the_order_post_leaves_exactly_one_order(cluster: ClusterWorld) -> None:
    stac_ids = unordered_stac_ids(cluster, 2)
    try:
        run_id, killed = kill_the_worker_after_the_post(
            cluster, "cluster_crash_order", "order", "/orders", {"stac_ids": stac_ids}
        )
        assert_retried_on_the_other_worker(cluster, "cluster_crash_order", run_id, "order", killed)
    finally:
        cluster.restart_workers()

    created = [
        entry for entry in cluster.emulator_requests("/orders", "POST") if entry["status"] in (200, 201)
    ]
    assert len(created) == 1  # the retry reused the active order holding these products
    xcom = f"/dags/cluster_crash_order/dagRuns/{run_id}/taskInstances/order/xcomEntries/return_value"
    order_id = str(cluster.airflow.api("GET", xcom)["value"]).strip('"')
    order = cluster.emulator_api("GET", f"/orders/{order_id}")
    assert sorted(item["granuleId"] for item in order["items"]) == sorted(stac_ids)
