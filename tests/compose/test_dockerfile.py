"""The Dockerfile builds this provider's wheel and installs it beside Airflow, and the image runs the stack.

``image_env`` (conftest) runs the Dockerfile's RUN lines verbatim: the builder's ``uv build`` on exactly
what its COPY lines copy, then the final stage's ``uv pip install`` into a fresh environment that holds
Airflow, as the official image does.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from airflow_provider_capella import __version__
from tests.compose.compose_support import REPO, Compose, pyproject
from tests.compose.dockerfile_support import Dockerfile, excluded
from tests.compose.image_support import PRINT_AIRFLOW_VERSION, ImageEnv
from tests.uv_support import run

OUTSIDE_THE_CONTEXT = [".venv/bin/python", ".venv-airflow-3.1", ".git/HEAD", "tests/conftest.py", "uv.lock"]


def supported_python_versions() -> tuple[int, int]:
    requires = pyproject()["project"]["requires-python"]
    major, minor = re.fullmatch(r">=(\d+)\.(\d+)", requires).groups()  # type: ignore[union-attr]
    return int(major), int(minor)


def test_both_stages_start_from_a_pinned_official_airflow_3_image() -> None:
    dockerfile = Dockerfile.parse()
    version, python = dockerfile.global_args["AIRFLOW_VERSION"], dockerfile.global_args["PYTHON_VERSION"]
    assert re.fullmatch(r"3\.\d+\.\d+", version), version
    assert tuple(map(int, version.split(".")[:2])) >= (3, 1), "the provider supports Airflow 3.1 and newer"
    assert tuple(map(int, python.split("."))) >= supported_python_versions()
    image = dockerfile.expand(dockerfile.global_args["AIRFLOW_IMAGE"])
    assert image == f"apache/airflow:{version}-python{python}"  # the full image, not a slim one
    assert [stage.base for stage in dockerfile.stages] == ["${AIRFLOW_IMAGE}", "${AIRFLOW_IMAGE}"]


def test_the_build_context_holds_what_the_copy_lines_need_and_leaves_the_rest_out() -> None:
    builder = Dockerfile.parse().stage("provider-wheel")
    sources = [source for copy in builder.copies for source in copy.sources]
    assert sources
    for source in sources:
        path = REPO / source
        assert path.exists(), source
        files = [path] if path.is_file() else [file for file in path.rglob("*") if file.is_file()]
        shipped = [f for f in files if "__pycache__" not in f.parts and f.suffix != ".pyc"]
        assert not [str(f) for f in shipped if excluded(str(f.relative_to(REPO)))]
    for outside in OUTSIDE_THE_CONTEXT:
        assert excluded(outside), f"{outside} would be sent to the Docker daemon"


def test_the_final_stage_installs_the_builders_wheel_without_moving_airflow() -> None:
    dockerfile = Dockerfile.parse()
    builder, final = dockerfile.stage("provider-wheel"), dockerfile.final
    copied = [copy for copy in final.copies if copy.from_stage == builder.name]
    wheel_dir = f"{builder.args['CAPELLA_DIST']}/"
    assert [dockerfile.expand(copy.sources[0], final) for copy in copied] == [wheel_dir]
    (install,) = final.runs
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in install  # the image's own Airflow, pinned
    assert "[amazon]" in install


@pytest.mark.slow  # builds the image's environment
def test_the_wheel_it_builds_is_this_project_and_airflow_stays_as_it_was(image_env: ImageEnv) -> None:
    assert image_env.wheel.name == f"airflow_provider_capella-{__version__}-py3-none-any.whl"
    assert run(str(image_env.python), "-c", PRINT_AIRFLOW_VERSION).strip() == image_env.airflow_version


@pytest.mark.slow  # builds the image's environment
def test_the_image_registers_the_provider_beside_amazon_celery_and_fab(
    image_env: ImageEnv, image_report: dict[str, Any]
) -> None:
    provider = image_report["provider"]
    assert provider["version"] == __version__
    assert provider["connection_types"]["capella"] == "airflow_provider_capella.hooks.capella.CapellaHook"
    for needed in ("amazon", "celery", "fab"):
        assert f"apache-airflow-providers-{needed}" in provider["providers"]
    assert "--tasking-step-seconds" in run(str(image_env.script("capella-emulator")), "--help")


@pytest.mark.slow  # builds the image's environment
def test_every_airflow_command_and_health_check_works_in_the_image(
    image_env: ImageEnv, image_report: dict[str, Any], compose: Compose
) -> None:
    commands = compose.airflow_commands()
    assert ["celery", "worker"] in commands and ["api-server"] in commands
    report = image_report
    assert report["parse_errors"] == {}
    assert report["celery_apps"] and all(report["celery_apps"].values()), report["celery_apps"]
    assert image_env.script("celery").exists()
    (api_health,) = [urlsplit(url) for url in compose.healthcheck_urls("airflow-apiserver")]
    assert api_health.port == report["api_port"]
    assert api_health.path in report["open_rest_paths"]  # answers without logging in
    assert report["api_port"] in {port.target for port in compose.published_ports("airflow-apiserver")}
    (scheduler_health,) = [urlsplit(url) for url in compose.healthcheck_urls("airflow-scheduler")]
    assert scheduler_health.port == report["scheduler_health_port"]
    assert compose.environment("airflow-scheduler")["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"
