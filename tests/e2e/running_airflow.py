"""A real, running Airflow 3 started by a test: api-server, scheduler, dag-processor and triggerer, each
its own process group, on SQLite with the LocalExecutor (the executor Airflow 3 runs on SQLite), and a
REST (v2) client authenticated by the simple auth manager in all-admins mode (``GET /auth/token``).

Example::

    settings = server_settings(port)
    world = LocalWorld.start(stack, home, template_db, **settings)
    airflow = start_airflow(world, port)
    run_id = airflow.trigger("capella_tasking_to_s3")
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import requests

from airflow_provider_capella.testing.stack import StackError, airflow_command, wait_for_http
from tests.e2e.local_world import LocalWorld

AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
COMPONENTS = ("scheduler", "dag-processor", "triggerer")
FINISHED = {"success", "failed"}


def server_settings(port: int) -> dict[str, str]:
    """``AIRFLOW__*`` settings of a local deployment whose api-server listens on ``port``."""
    base_url = f"http://127.0.0.1:{port}"
    return {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CORE__AUTH_MANAGER": AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
    }


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
        # generous: on SQLite the api-server waits for the scheduler's write locks on a busy machine
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

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.api("GET", f"/dags/{dag_id}/dagRuns", limit=100)["dag_runs"])

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        instances = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
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


def start_airflow(world: LocalWorld, port: int, timeout: float = 180) -> RunningAirflow:
    """Start the four components in ``world``'s stack; return a REST client once the API answers."""
    api_server = world.stack.start(
        "api-server", airflow_command("api-server", "--host", "127.0.0.1", "--port", str(port)), env=world.env
    )
    components = [world.stack.start(name, airflow_command(name), env=world.env) for name in COMPONENTS]
    base_url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base_url}/api/v2/monitor/health", api_server, timeout=timeout)
    for child in components:
        if not child.running():
            raise StackError(f"{child.name} exited with code {child.process.returncode}\n{child.log_tail()}")
    token = requests.get(f"{base_url}/auth/token", timeout=30)
    assert token.status_code in (200, 201), token.text
    airflow = RunningAirflow(base_url)
    airflow.session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return airflow
