"""docker-compose.yaml is a valid Compose file whose stack comes up in order and scales out."""

from __future__ import annotations

import subprocess
import sys
from graphlib import TopologicalSorter
from pathlib import Path
from urllib.parse import urlsplit

from tests.compose.compose_support import COMPOSE_FILE, Compose
from tests.compose.example_dags_support import example_dag_files

STACK = {
    "postgres",
    "redis",
    "minio",
    "minio-init",
    "capella-emulator",
    "airflow-init",
    "airflow-pools",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}
ONE_SHOT = {"airflow-init", "airflow-pools", "minio-init"}
DAGS_MOUNT = "./example_dags:/opt/airflow/dags:ro"


def test_the_file_validates_against_the_compose_specification() -> None:
    check_jsonschema = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(check_jsonschema), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_stack_runs_airflow_3_on_celery_with_the_emulator_and_minio(compose: Compose) -> None:
    assert set(compose.services) >= STACK
    env = compose.environment("airflow-scheduler")
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert urlsplit(env["AIRFLOW__CELERY__BROKER_URL"]).hostname == "redis"
    postgres = compose.environment("postgres")
    for variable in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):
        url = urlsplit(env[variable])
        assert (url.hostname, url.port or 5432) == ("postgres", 5432), variable
        assert (url.username, url.password) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"])
        assert url.path == f"/{postgres['POSTGRES_DB']}"
    execution_api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert execution_api.hostname == "airflow-apiserver"
    assert execution_api.port in {port.target for port in compose.published_ports("airflow-apiserver")}


def test_up_starts_each_service_after_what_it_needs(compose: Compose) -> None:
    graph = {name: set(compose.depends_on(name)) for name in compose.services}
    tuple(TopologicalSorter(graph).static_order())  # raises CycleError on a dependency cycle
    for name in compose.services:
        for dependency, condition in compose.depends_on(name).items():
            assert dependency in compose.services, f"{name} depends on unknown {dependency}"
            if condition == "service_healthy":
                assert compose.service(dependency).get("healthcheck"), f"{dependency} has no health check"
            if condition == "service_completed_successfully":
                assert dependency in ONE_SHOT, f"{name} waits for {dependency} to exit, but it never does"
    assert compose.depends_on("airflow-init") == {"postgres": "service_healthy", "redis": "service_healthy"}
    assert compose.depends_on("minio-init") == {"minio": "service_healthy"}
    for name in set(compose.airflow_services()) - {"airflow-init"}:
        assert compose.depends_on(name)["airflow-init"] == "service_completed_successfully", name
    worker = compose.depends_on("airflow-worker")
    assert worker["airflow-apiserver"] == "service_healthy"  # tasks talk to the execution API
    assert worker["capella-emulator"] == "service_healthy"
    assert worker["minio-init"] == "service_completed_successfully"  # the bucket exists before a task runs
    assert compose.depends_on("airflow-triggerer")["capella-emulator"] == "service_healthy"


def test_every_long_running_service_has_a_health_check_and_restarts(compose: Compose) -> None:
    for name in set(compose.services) - ONE_SHOT:
        assert compose.healthcheck_commands(name), f"{name} has no health check"
        assert compose.service(name).get("restart") == "always", name
    for name in ONE_SHOT:
        assert compose.service(name).get("restart", "no") == "no", name


def test_workers_scale_out_with_the_scale_flag(compose: Compose) -> None:
    worker = compose.service("airflow-worker")
    assert "container_name" not in worker  # a fixed name would allow only one
    assert not worker.get("ports")  # so would a published port
    assert compose.builds_project_image("airflow-worker")


def test_airflow_services_share_one_configuration_and_the_example_dags(compose: Compose) -> None:
    common = compose.environment("airflow-scheduler")
    airflow_services = set(compose.airflow_services())
    assert airflow_services >= {name for name in STACK if name.startswith("airflow-")}
    for name in airflow_services:
        env = compose.environment(name)
        assert {key: env.get(key) for key in common} == common, f"{name} runs with other Airflow settings"
        assert DAGS_MOUNT in compose.service(name)["volumes"], name
        assert "AIRFLOW__CORE__DAGS_FOLDER" not in env  # the image's default, /opt/airflow/dags
    assert example_dag_files(), "example_dags/ holds no DAG file to mount"


def test_the_emulator_runs_from_the_image_airflow_runs_from(compose: Compose) -> None:
    assert compose.builds_project_image("capella-emulator")
    images = {compose.service(name)["image"] for name in compose.project_services()}
    assert len(images) == 1  # one build, one tag: `docker compose build` builds it once
