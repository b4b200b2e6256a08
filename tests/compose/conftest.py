"""Fixtures for the docker-compose.yaml / Dockerfile checks (static: no Docker engine is needed)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compose.compose_support import Compose, load_compose, readme_compose_section, readme_exec_commands
from tests.compose.image_support import ImageEnv, build_image_env, probe_image


@pytest.fixture(scope="session")
def compose() -> Compose:
    """The compose file as ``docker compose up`` resolves it with no variables set (the emulator stack)."""
    return load_compose()


@pytest.fixture(scope="session")
def image_env(tmp_path_factory: pytest.TempPathFactory) -> ImageEnv:
    """This provider built and installed beside Airflow by the Dockerfile's RUN lines (see image_support)."""
    return build_image_env(tmp_path_factory.mktemp("image"))


@pytest.fixture(scope="session")
def image_report(
    image_env: ImageEnv, compose: Compose, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """What the image environment, run with the compose file's Airflow settings, says about every Airflow
    command and Celery app the compose file (and the README's compose section) names, the provider's
    registration, and the health ports."""
    readme = [
        command[1:]
        for _, command in readme_exec_commands(readme_compose_section())
        if command[0] == "airflow"
    ]
    commands = compose.airflow_commands() + readme
    request = {"airflow_commands": commands, "celery_apps": sorted(compose.celery_apps())}
    return probe_image(image_env, compose, tmp_path_factory.mktemp("airflow-home"), request)
