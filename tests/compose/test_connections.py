"""The connections the compose file gives Airflow reach the services it starts, or the real API when asked."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from capella_emulator.cli import build_parser, config_from_args
from capella_emulator.server import RunningEmulator, start_in_thread

from airflow_provider_capella.hooks.capella import CapellaHook
from tests.compose.compose_support import (
    COMPOSE_FILE,
    REAL_API_ENV_EXAMPLE,
    Compose,
    argv,
    load_compose,
    read_env_file,
)
from tests.compose.example_dags_support import connection_ids_named, s3_buckets_named

TASK_RUNNERS = ("airflow-worker", "airflow-triggerer")  # where tasks and deferred triggers use connections


def emulator_args(compose: Compose) -> argparse.Namespace:
    return build_parser().parse_args(argv(compose.service("capella-emulator")["command"]))


def minio_api_port(compose: Compose) -> int:
    command = argv(compose.service("minio")["command"])
    return int(command[command.index("--address") + 1].rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def compose_emulator(compose: Compose) -> Iterator[RunningEmulator]:
    """The emulator configured exactly by the compose file's flags, on a free local port."""
    running = start_in_thread(config_from_args(emulator_args(compose)))
    yield running
    running.stop()


def test_capella_default_points_at_the_emulator_service(compose: Compose) -> None:
    args = emulator_args(compose)
    health_ports = {urlsplit(url).port for url in compose.healthcheck_urls("capella-emulator")}
    for name in TASK_RUNNERS:
        connection = compose.connection(name, "capella_default")
        url = urlsplit(connection["host"])
        assert connection["conn_type"] == "capella"
        assert (url.scheme, url.hostname) == ("http", "capella-emulator")
        assert url.port == args.port
        assert connection["password"] == args.api_key
    assert health_ports == {args.port}
    assert args.port in {port.target for port in compose.published_ports("capella-emulator")}
    assert args.host == "0.0.0.0"  # reachable from the other containers


def test_the_emulator_compose_starts_accepts_the_connection_airflow_gets(
    compose: Compose, compose_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = compose.connection("airflow-worker", "capella_default")
    local = {**connection, "host": compose_emulator.url}  # same key, this test's port
    monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_DEFAULT", json.dumps(local))
    ok, message = CapellaHook().test_connection()
    assert ok, message
    for url in compose.healthcheck_urls("capella-emulator"):
        assert requests.get(compose_emulator.url + urlsplit(url).path, timeout=10).status_code == 200


def test_the_real_api_env_file_points_capella_default_at_the_real_api_with_the_users_key() -> None:
    variables = read_env_file(REAL_API_ENV_EXAMPLE)
    assert variables["CAPELLA_API_URL"] == "https://api.capellaspace.com"
    compose = load_compose({**variables, "CAPELLA_API_KEY": "the-users-key"})
    for name in TASK_RUNNERS:
        connection = compose.connection(name, "capella_default")
        assert connection["host"] == "https://api.capellaspace.com"
        assert connection["password"] == "the-users-key"


def test_every_setting_of_the_real_api_env_file_is_one_the_compose_file_reads() -> None:
    raw = COMPOSE_FILE.read_text()
    for variable in read_env_file(REAL_API_ENV_EXAMPLE):
        assert re.search(r"\$\{" + variable + r"[:?+}-]", raw), f"docker-compose.yaml never reads {variable}"
    compose = load_compose(read_env_file(REAL_API_ENV_EXAMPLE))
    assert compose.environment("airflow-worker")["CAPELLA_EXAMPLE_POLL_SECONDS"] == "300"


def test_the_env_file_without_a_key_fails_with_a_clear_message_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    as_shipped = load_compose(read_env_file(REAL_API_ENV_EXAMPLE))  # CAPELLA_API_KEY= left empty
    connection = as_shipped.connection("airflow-worker", "capella_default")
    monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_DEFAULT", json.dumps(connection))
    ok, message = CapellaHook().test_connection()
    assert not ok
    assert "no API key" in message


def test_aws_default_points_at_minio_with_its_credentials(compose: Compose) -> None:
    from airflow.models.connection import Connection

    minio = compose.environment("minio")
    api_port = minio_api_port(compose)
    for name in TASK_RUNNERS:
        connection = Connection.from_json(json.dumps(compose.connection(name, "aws_default")), "aws_default")
        endpoint = urlsplit(connection.extra_dejson["endpoint_url"])
        assert connection.conn_type == "aws"
        assert (endpoint.hostname, endpoint.port) == ("minio", api_port)
        assert connection.login == minio["MINIO_ROOT_USER"]
        assert connection.password == minio["MINIO_ROOT_PASSWORD"]
    assert api_port in {port.target for port in compose.published_ports("minio")}


def test_the_bucket_the_example_dags_write_to_is_created_in_minio(compose: Compose) -> None:
    minio = compose.environment("minio")
    command = argv(compose.service("minio-init")["command"])
    assert command[0] == "mb"
    aliases = {
        key.removeprefix("MC_HOST_"): urlsplit(value)
        for key, value in compose.environment("minio-init").items()
        if key.startswith("MC_HOST_")
    }
    created = set()
    for target in command[1:]:
        if target.startswith("--"):
            continue
        alias, bucket = target.split("/", 1)
        host = aliases[alias]
        assert (host.hostname, host.port) == ("minio", minio_api_port(compose))
        assert (host.username, host.password) == (minio["MINIO_ROOT_USER"], minio["MINIO_ROOT_PASSWORD"])
        created.add(bucket)
    assert created
    assert s3_buckets_named() <= created


def test_every_connection_the_example_dags_use_is_defined(compose: Compose) -> None:
    needed = connection_ids_named() | {CapellaHook.default_conn_name}
    for name in TASK_RUNNERS:
        assert needed <= compose.connection_ids(name), f"{name} lacks {needed - compose.connection_ids(name)}"
