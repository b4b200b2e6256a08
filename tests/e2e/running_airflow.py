"""A REST (v2) client of a running Airflow 3, and the waits the e2e tests need on it.

Example::

    airflow = RunningAirflow("http://127.0.0.1:8080")  # then set its session's Authorization header
    run_id = airflow.trigger("capella_tasking_to_s3")
    state, seen = airflow.wait_for_run("capella_tasking_to_s3", run_id)
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import requests

FINISHED = {"success", "failed"}


@dataclass
class RunningAirflow:
    """The REST API (v2) of the running deployment.

    Example::

        airflow.set_paused("capella_tasking_to_s3", False)
        state, seen = airflow.wait_for_run("capella_tasking_to_s3", run_id)
    """

    base_url: str
    session: requests.Session = field(default_factory=requests.Session)

    def api(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        url = f"{self.base_url}/api/v2{path}"
        response = self.session.request(method, url, json=body, params=params, timeout=120)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def wait_for_dags(self, *dag_ids: str, timeout: float = 120) -> None:
        """Until the dag-processor has parsed every one of ``dag_ids``."""
        deadline = time.monotonic() + timeout
        missing = set(dag_ids)
        while missing:
            known = {dag["dag_id"] for dag in self.api("GET", "/dags", limit=100)["dags"]}
            missing -= known
            if missing and time.monotonic() > deadline:
                errors = self.import_errors()
                raise AssertionError(f"DAGs never parsed: {sorted(missing)}; import errors: {errors}")
            time.sleep(1)

    def import_errors(self) -> list[dict[str, Any]]:
        return list(self.api("GET", "/importErrors")["import_errors"])

    def set_paused(self, dag_id: str, paused: bool) -> None:
        assert self.api("PATCH", f"/dags/{dag_id}", {"is_paused": paused})["is_paused"] is paused

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        return str(run["dag_run_id"])

    def dag_runs(self, dag_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return list(self.api("GET", f"/dags/{dag_id}/dagRuns", limit=limit)["dag_runs"])

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        instances = self.api("GET", path, limit=100)["task_instances"]
        return {_label(instance): instance["state"] for instance in instances}

    def wait_for_run(
        self, dag_id: str, run_id: str, timeout: float = 180
    ) -> tuple[str, dict[str, set[str | None]]]:
        """Poll until the run finishes; return its state and every state each task was seen in."""
        seen: dict[str, set[str | None]] = defaultdict(set)
        deadline = time.monotonic() + timeout
        while True:
            for task, state in self.task_states(dag_id, run_id).items():
                seen[task].add(state)
            state = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in FINISHED:
                return state, dict(seen)
            if time.monotonic() > deadline:
                raise AssertionError(f"{dag_id} {run_id} still {state} after {timeout:.0f} s: {dict(seen)}")
            time.sleep(0.5)


def _label(instance: dict[str, Any]) -> str:
    index = instance.get("map_index", -1)
    return instance["task_id"] if index is None or index < 0 else f"{instance['task_id']}[{index}]"
