"""docker-compose.yaml and ``make cluster`` run Airflow from one settings file and cannot drift apart.

``dev/cluster/airflow.env`` is the ``env_file`` of the compose file's
postgres and Airflow services and what the cluster launcher reads; where the compose file must still
spell a value out (a command line, a connection URL), it must be the file's value.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from airflow_provider_capella.pools import CAPELLA_API_POOL
from dev.cluster.airflow_parts import Endpoints, airflow_env
from dev.cluster.settings import ENV_FILE, ClusterConfig, shared_settings
from tests.compose.compose_support import REPO, Compose, argv

SHARED = shared_settings()
AIRFLOW_SETTINGS = {key: value for key, value in SHARED.items() if key.startswith("AIRFLOW__")}
LOCAL_SETTINGS_MOUNT = (
    "./dev/cluster/airflow_local_settings.py:/opt/airflow/config/airflow_local_settings.py:ro"
)


def test_every_airflow_service_and_postgres_read_the_shared_file(compose: Compose) -> None:
    for name in [*compose.airflow_services(), "postgres"]:
        assert compose.env_files(name) == [ENV_FILE], name


def test_the_shared_airflow_settings_reach_every_airflow_service_unchanged(compose: Compose) -> None:
    assert AIRFLOW_SETTINGS["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert AIRFLOW_SETTINGS["AIRFLOW__CORE__TEST_CONNECTION"] == "Enabled"
    for name in compose.airflow_services():
        env = compose.environment(name)
        assert {key: env[key] for key in AIRFLOW_SETTINGS} == AIRFLOW_SETTINGS, name


def test_the_cluster_runs_airflow_with_the_same_settings(tmp_path: Path) -> None:
    config = ClusterConfig(tmp_path, REPO / "example_dags", workers=2)
    endpoints = Endpoints(
        "postgresql+psycopg2://u:p@127.0.0.1:1/db", "redis://127.0.0.1:2/0", "db+x", 3, 4, {}
    )
    secrets = {"fernet_key": "f", "api_secret_key": "a", "jwt_secret": "j"}
    env = airflow_env(config, SHARED, endpoints, secrets, base={"AIRFLOW__CORE__EXECUTOR": "LocalExecutor"})
    assert {
        key: env[key] for key in AIRFLOW_SETTINGS
    } == AIRFLOW_SETTINGS  # the caller's AIRFLOW* is not inherited
    assert (config.airflow_home / "config" / "airflow_local_settings.py").is_file()


def test_the_database_login_in_the_connection_urls_is_the_shared_one(compose: Compose) -> None:
    env = compose.environment("airflow-scheduler")
    for variable in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):
        url = urlsplit(env[variable])
        assert (url.username, url.password) == (SHARED["POSTGRES_USER"], SHARED["POSTGRES_PASSWORD"])
        assert url.path == f"/{SHARED['POSTGRES_DB']}"


def test_the_pool_service_creates_the_shared_pool_that_the_task_policy_names(compose: Compose) -> None:
    command = argv(compose.service("airflow-pools")["command"])
    assert command[:4] == ["pools", "set", SHARED["CAPELLA_API_POOL"], SHARED["CAPELLA_API_POOL_SLOTS"]]
    assert SHARED["CAPELLA_API_POOL"] == CAPELLA_API_POOL
    assert compose.depends_on("airflow-scheduler")["airflow-pools"] == "service_completed_successfully"
    for name in compose.airflow_services():
        assert LOCAL_SETTINGS_MOUNT in compose.service(name)["volumes"], name


def test_the_emulator_bucket_and_admin_login_are_the_shared_ones(compose: Compose) -> None:
    command = argv(compose.service("capella-emulator")["command"])
    flags = dict(zip(command[::2], command[1::2], strict=False))
    assert flags["--api-key"] == SHARED["CAPELLA_EMULATOR_API_KEY"]
    assert flags["--tasking-step-seconds"] == SHARED["CAPELLA_EMULATOR_TASKING_STEP_SECONDS"]
    assert flags["--asset-size"] == SHARED["CAPELLA_EMULATOR_ASSET_SIZE"]
    assert (
        compose.connection("airflow-worker", "capella_default")["password"]
        == SHARED["CAPELLA_EMULATOR_API_KEY"]
    )
    assert argv(compose.service("minio-init")["command"])[-1].endswith(f"/{SHARED['CAPELLA_S3_BUCKET']}")
    init = compose.environment("airflow-init")
    assert init["_AIRFLOW_WWW_USER_USERNAME"] == SHARED["AIRFLOW_ADMIN_USERNAME"]
    assert init["_AIRFLOW_WWW_USER_PASSWORD"] == SHARED["AIRFLOW_ADMIN_PASSWORD"]


@pytest.mark.parametrize("key", sorted(SHARED))
def test_every_shared_setting_is_used(key: str) -> None:
    """No stale line: each key is an Airflow setting, or one the compose file or the launcher reads."""
    if key.startswith(("AIRFLOW__", "POSTGRES_")):
        return
    launcher = "".join(path.read_text() for path in (REPO / "dev/cluster").glob("*.py"))
    assert f'"{key}"' in launcher or f"'{key}'" in launcher, f"{key} is read by nothing"
