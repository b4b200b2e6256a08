"""Every program, flag, DAG id, service and port the compose file and its README section name exists."""

from __future__ import annotations

import re

import pytest
from capella_emulator.cli import build_parser

from dev.cluster.settings import shared_settings
from tests.compose.compose_support import (
    REPO,
    Compose,
    argv,
    pyproject,
    readme_compose_section,
    readme_exec_commands,
)
from tests.compose.example_dags_support import environment_variables_read, example_dag_ids

AIRFLOW_IMAGE_PROGRAMS = {"airflow", "celery", "curl"}  # what the official Airflow image brings


def project_scripts() -> set[str]:
    """The commands the image's wheels install: the provider's and the emulator's."""
    return {
        name
        for path in ("pyproject.toml", "capella-emulator/pyproject.toml")
        for name in pyproject(path)["project"].get("scripts", {})
    }


def test_the_emulator_command_uses_only_flags_the_emulator_has(compose: Compose) -> None:
    service = compose.service("capella-emulator")
    assert argv(service["entrypoint"]) == ["capella-emulator"]
    options = {option for action in build_parser()._actions for option in action.option_strings}
    command = argv(service["command"])
    flags = [word for word in command if word.startswith("--")]
    assert set(flags) <= options, f"unknown (or abbreviated) flags: {set(flags) - options}"
    build_parser().parse_args(command)  # and their values are accepted


def test_programs_run_in_the_project_image_exist(compose: Compose) -> None:
    scripts = project_scripts()
    for name in compose.project_services():
        entrypoint = argv(compose.service(name).get("entrypoint"))
        if entrypoint:
            assert entrypoint[0] in scripts, f"{name} runs {entrypoint[0]!r}, not a [project.scripts] entry"
        for command in compose.healthcheck_commands(name):
            assert command[0] in AIRFLOW_IMAGE_PROGRAMS | scripts, f"{name}'s health check: {command[0]!r}"


def test_the_init_service_checks_the_provider_this_repository_builds(compose: Compose) -> None:
    distribution = pyproject()["project"]["name"]
    assert argv(compose.service("airflow-init")["command"]) == ["providers", "get", distribution]


def test_settings_given_to_the_example_dags_are_ones_they_read(compose: Compose) -> None:
    given = {key for key in compose.environment("airflow-worker") if key.startswith("CAPELLA_")}
    shared = set(shared_settings())  # the settings file shared with `make cluster`: test_shared_settings
    assert given - shared <= environment_variables_read()


def test_dag_ids_services_and_ports_named_in_the_readme_exist(compose: Compose) -> None:
    section = readme_compose_section()
    if section is None:
        pytest.skip("docs/docker-compose.md does not exist yet")
    check_readme_section(compose, section)


def check_readme_section(compose: Compose, section: str) -> None:
    """The DAG ids, services, profiles, ports and files a README section names exist."""
    named = set(re.findall(r"\bcapella_[a-z0-9_]+\b", section))
    dag_ids = {word for word in named if not word.endswith(("_default", "_conn_id"))}
    assert dag_ids, "the README's compose section names no example DAG"
    assert dag_ids <= example_dag_ids()
    for service in re.findall(r"--scale ([a-z0-9-]+)=", section):
        assert service in compose.services, service
    for profile in re.findall(r"--profile ([a-z0-9-]+)", section):
        assert any(profile in service.get("profiles", []) for service in compose.services.values()), profile
    published = {port.published for name in compose.services for port in compose.published_ports(name)}
    for port in re.findall(r"localhost:(\d+)", section):
        assert int(port) in published, f"nothing is published on localhost:{port}"
    for service, command in readme_exec_commands(section):
        assert service in set(compose.airflow_services()), f"docker compose exec {service}: no such service"
        assert command[0] == "airflow", command
    for file in re.findall(r"\b([\w.-]+\.env\.example)\b", section):
        assert (REPO / file).is_file(), file
