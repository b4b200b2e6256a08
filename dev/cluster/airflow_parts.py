"""The Airflow side of a local cluster: its environment, the one-time set-up, and its components.

Every component is ``python -m airflow <command>`` of this interpreter's environment, in its own process
group, with the same environment: ``airflow.env`` (shared with docker-compose.yaml), then where this
cluster's PostgreSQL, Redis, emulator and S3 server listen, then the user's ``AIRFLOW__*`` overrides.
Celery workers differ only in their names (``--celery-hostname`` and the task-instance hostname).

Example::

    env = airflow_env(config, shared, endpoints)
    initialise(stack, env, shared)
    start_components(stack, env, api_port)
    workers = [start_worker(stack, env, name) for name in config.worker_names()]
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from dev.cluster.settings import (
    HOSTNAME_CALLABLE,
    HOSTNAME_VARIABLE,
    ClusterConfig,
)
from dev.stack import (
    ManagedProcess,
    ProcessStack,
    StackError,
    airflow_command,
    listens_on,
    wait_for_http,
)

CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"
COMPONENTS = ("scheduler", "dag-processor", "triggerer")
LOCAL_SETTINGS = Path(__file__).with_name("airflow_local_settings.py")
POOL_DESCRIPTION = "Capella API calls across all workers"


@dataclass(frozen=True)
class Endpoints:
    """Where the cluster's services listen, and the connection variables that point Airflow at them.

    Example::

        Endpoints(database_url, broker_url, result_backend, api_port, scheduler_health_port, connections)
    """

    database_url: str
    broker_url: str
    result_backend: str
    api_port: int
    scheduler_health_port: int
    connections: dict[str, str]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"


def airflow_env(
    config: ClusterConfig,
    shared: dict[str, str],
    endpoints: Endpoints,
    secrets: dict[str, str],
    base: dict[str, str],
) -> dict[str, str]:
    """Build the environment of every Airflow process of the cluster.

    ``base`` is this process's environment; its ``AIRFLOW*`` variables are left out.
    """
    config.airflow_home.mkdir(parents=True, exist_ok=True)
    (config.airflow_home / "config").mkdir(exist_ok=True)
    shutil.copyfile(LOCAL_SETTINGS, config.airflow_home / "config" / "airflow_local_settings.py")
    env = {key: value for key, value in base.items() if not key.startswith("AIRFLOW")}
    env.update(shared)
    env.update(
        AIRFLOW_HOME=str(config.airflow_home),
        AIRFLOW__CORE__DAGS_FOLDER=str(config.dags_folder.resolve()),
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(config.task_logs),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=endpoints.database_url,
        AIRFLOW__CELERY__BROKER_URL=endpoints.broker_url,
        AIRFLOW__CELERY__RESULT_BACKEND=endpoints.result_backend,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{endpoints.api_url}/execution/",
        AIRFLOW__CORE__FERNET_KEY=secrets["fernet_key"],
        AIRFLOW__API__SECRET_KEY=secrets["api_secret_key"],
        AIRFLOW__API_AUTH__JWT_SECRET=secrets["jwt_secret"],
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(endpoints.api_port),
        AIRFLOW__API__BASE_URL=endpoints.api_url,
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST="127.0.0.1",
        AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT=str(endpoints.scheduler_health_port),
        CAPELLA_EXAMPLE_POLL_SECONDS=base.get("CAPELLA_EXAMPLE_POLL_SECONDS", "10"),
        **endpoints.connections,
    )
    env.update(config.airflow_overrides)
    return env


def initialise(stack: ProcessStack, env: dict[str, str], shared: dict[str, str]) -> list[ManagedProcess]:
    """Migrate the metadata database; start creating the admin user and the ``capella_api`` pool.

    The two creations run while the components start; :func:`finish_initialising` waits for them.
    """
    stack.run("airflow-db-migrate", airflow_command("db", "migrate"), env=env, timeout=900)
    user = airflow_command(
        "users", "create", "--role", "Admin", "--username", shared["AIRFLOW_ADMIN_USERNAME"],
        "--password", shared["AIRFLOW_ADMIN_PASSWORD"], "--email", "admin@example.com",
        "--firstname", "Capella", "--lastname", "Admin",
    )  # fmt: skip
    pool = airflow_command(
        "pools", "set", shared["CAPELLA_API_POOL"], shared["CAPELLA_API_POOL_SLOTS"], POOL_DESCRIPTION
    )
    return [
        stack.start("airflow-users-create", user, env=env),
        stack.start("airflow-pools-set", pool, env=env),
    ]


def finish_initialising(stack: ProcessStack, pending: list[ManagedProcess], timeout: float = 600) -> None:
    """Wait for the user and pool creations; an existing user is fine (a restarted cluster)."""
    for child in pending:
        returncode = child.process.wait(timeout=timeout)
        stack.children.remove(child)
        if returncode != 0 and not (
            child.name == "airflow-users-create" and "already exist" in child.log_tail()
        ):
            raise StackError(f"{child.name} exited with code {returncode}\n{child.log_tail()}")


def start_components(stack: ProcessStack, env: dict[str, str], api_port: int) -> dict[str, ManagedProcess]:
    """Start the api-server, scheduler, dag-processor and triggerer (no log servers: one machine)."""
    started = {
        "api-server": stack.start(
            "api-server",
            airflow_command("api-server", "--host", "127.0.0.1", "--port", str(api_port)),
            env=env,
        )
    }
    for name in COMPONENTS:
        extra = ["--skip-serve-logs"] if name == "triggerer" else []
        started[name] = stack.start(name, airflow_command(name, *extra), env=env)
    return started


def start_worker(stack: ProcessStack, env: dict[str, str], name: str) -> ManagedProcess:
    """Start a Celery worker: ``celery@name`` to Celery, ``name`` as its task-instance hostname."""
    worker_env = {**env, HOSTNAME_VARIABLE: name, "AIRFLOW__CORE__HOSTNAME_CALLABLE": HOSTNAME_CALLABLE}
    command = airflow_command("celery", "worker", "--celery-hostname", name, "--skip-serve-logs")
    return stack.start(name, command, env=worker_env)


def wait_until_healthy(
    endpoints: Endpoints, components: dict[str, ManagedProcess], timeout: float = 300
) -> dict[str, Any]:
    """Until the API reports the metadatabase, scheduler, dag-processor and triggerer healthy."""
    deadline = time.monotonic() + timeout
    wait_for_http(f"{endpoints.api_url}/api/v2/version", components["api-server"], timeout=timeout)
    for name, port in (("api-server", endpoints.api_port), ("scheduler", endpoints.scheduler_health_port)):
        if not listens_on(components[name], port):  # its port was taken by another process first
            raise StackError(f"port {port} is not served by the cluster's {name}: start the cluster again")
    while True:
        for child in components.values():
            if not child.running():
                raise StackError(
                    f"{child.name} exited with code {child.process.returncode}\n{child.log_tail()}"
                )
        health = requests.get(f"{endpoints.api_url}/api/v2/monitor/health", timeout=30).json()
        states = {part: (health.get(part) or {}).get("status") for part in _HEALTH_PARTS}
        if set(states.values()) == {"healthy"} and _scheduler_health(endpoints):
            return dict(health)
        if time.monotonic() > deadline:
            raise StackError(f"the cluster was not healthy within {timeout:.0f} s: {states}")
        time.sleep(1)


_HEALTH_PARTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")


def _scheduler_health(endpoints: Endpoints) -> bool:
    try:
        url = f"http://127.0.0.1:{endpoints.scheduler_health_port}/health"
        return requests.get(url, timeout=5).ok
    except requests.RequestException:
        return False


def wait_for_workers(
    env: dict[str, str], names: list[str], stack: ProcessStack, timeout: float = 300
) -> None:
    """Until every worker answers Celery's ``inspect ping`` (one ping process per try)."""
    deadline = time.monotonic() + timeout
    missing = set(names)
    attempt = 0
    while missing:
        attempt += 1
        command = ["celery", "--app", CELERY_APP, "inspect", "ping", "--timeout", "5"]
        ping = stack.start(f"celery-ping-{attempt}", [*_python_module("celery"), *command[1:]], env=env)
        ping.process.wait(timeout=120)
        stack.children.remove(ping)
        answered = ping.log_path.read_text(errors="replace") if ping.log_path else ""
        missing = {name for name in missing if f"celery@{name}" not in answered}
        if missing and time.monotonic() > deadline:
            raise StackError(
                f"workers {sorted(missing)} did not answer within {timeout:.0f} s\n{answered[-3000:]}"
            )
        if missing:
            time.sleep(2)


def _python_module(module: str) -> list[str]:
    return [airflow_command()[0], "-m", module]
