"""What the cluster tests look at: task instances and their tries, the emulator's log, overlapping runs.

Example::

    entry = wait_for_request(cluster, "POST", "/task", answered=True)
    max_overlap(task_instances(airflow, "capella_archive_backfill", run_id))
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from tests.e2e.cluster_world import ClusterWorld
from tests.e2e.running_airflow import RunningAirflow


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def task_instances(airflow: RunningAirflow, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """Every task instance of the run, mapped ones included."""
    path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
    return list(airflow.api("GET", path, limit=1000)["task_instances"])


def task_tries(airflow: RunningAirflow, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
    """Every try of a task instance (hostname, state, try_number), oldest first."""
    path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries"
    tries = airflow.api("GET", path)["task_instances"]
    return sorted(tries, key=lambda entry: entry["try_number"])


def max_overlap(instances: list[dict[str, Any]]) -> int:
    """The most task instances that were running at one moment (from their start and end dates)."""
    edges = [(parse(ti["start_date"]), 1) for ti in instances]
    edges += [(parse(ti["end_date"]), -1) for ti in instances]
    running = highest = 0
    for _, change in sorted(edges, key=lambda edge: (edge[0], edge[1])):  # ends before starts at a tie
        running += change
        highest = max(highest, running)
    return highest


def wait_for_request(
    cluster: ClusterWorld, method: str, path: str, answered: bool = True, timeout: float = 300
) -> dict[str, Any]:
    """The first request to reach the emulator with ``method`` and ``path`` (and, with ``answered``,
    whose response status went out: the emulator has done what it asked)."""
    deadline = time.monotonic() + timeout
    while True:
        for entry in cluster.emulator_requests(path, method):
            if entry["status"] is not None or not answered:
                return entry
        assert time.monotonic() < deadline, f"no {method} {path} reached the emulator in {timeout:.0f} s"
        time.sleep(0.1)


def running_hostname(airflow: RunningAirflow, dag_id: str, run_id: str, task_id: str) -> str:
    """The hostname of the worker running the task instance now."""
    deadline = time.monotonic() + 120
    while True:
        ti = airflow.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")
        if ti["state"] == "running" and ti["hostname"]:
            return str(ti["hostname"])
        assert time.monotonic() < deadline, ti
        time.sleep(0.2)


def unordered_stac_ids(cluster: ClusterWorld, count: int) -> list[str]:
    """``count`` GEO products no order of the emulator's user holds yet (so ordering them POSTs).

    Tests that order take these, so no two tests share an active order by chance.
    """
    user_id = cluster.emulator_api("GET", "/user")["id"]
    orders = cluster.emulator_api("GET", f"/orders?customerId={user_id}")
    ordered = {item["granuleId"] for order in orders for item in order["items"]}
    body = {
        "limit": 100,
        "query": {"sar:product_type": {"in": ["GEO"]}},
        "sortby": [{"field": "id", "direction": "desc"}],
    }
    found = [feature["id"] for feature in cluster.emulator_api("POST", "/catalog/search", body)["features"]]
    # never the April 2024 archive the backfill tests order over Rotterdam
    fresh = [stac_id for stac_id in found if stac_id not in ordered and "_202404" not in stac_id][:count]
    assert len(fresh) == count, "the catalog ran out of products never ordered"
    return fresh
