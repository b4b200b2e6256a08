"""The image's stand-in: a fresh virtual environment beside Airflow, built by the Dockerfile's own RUN lines.

:func:`build_image_env` runs the builder stage's RUN line on exactly what its COPY lines copy, then the
final stage's RUN line with ``VIRTUAL_ENV`` pointing at a fresh venv that holds Airflow (the official
image sets ``VIRTUAL_ENV`` the same way). :func:`probe_image` asks that environment, configured with the
compose file's Airflow settings, about what the compose file relies on (``image_probe.py``).

Example::

    image = build_image_env(tmp_path)
    request = {"airflow_commands": [["scheduler"]], "celery_apps": []}
    report = probe_image(image, load_compose(), tmp_path / "home", request)
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.compose.compose_support import REPO, Compose
from tests.compose.dockerfile_support import Dockerfile, Stage
from tests.uv_support import fresh_airflow_venv, run, uv_command

PROBE = Path(__file__).with_name("image_probe.py")
# What the official (full) image bundles beyond Airflow that the compose stack uses: the celery provider
# (CeleryExecutor) and the fab provider (the login page), with a celery that provider can import. The
# image's constraints pin celery; 5.7.0 dropped ``celery.backends.database.retry``, which
# apache-airflow-providers-celery 3.26 imports.
IMAGE_BUNDLED = ("apache-airflow-providers-celery", "apache-airflow-providers-fab", "celery<5.7")
PRINT_AIRFLOW_VERSION = "from importlib.metadata import version; print(version('apache-airflow'))"
COMMON_SERVICE = "airflow-scheduler"  # any Airflow service: they share one environment (a test checks it)


@dataclass
class ImageEnv:
    """A virtual environment built with the Dockerfile's RUN lines; ``wheel`` is what its build made.

    Example::

        run(str(image.script("capella-emulator")), "--help")
    """

    venv: Path
    wheel: Path
    airflow_version: str  # before the install

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def script(self, name: str) -> Path:
        return self.venv / "bin" / name


def _uv_on_path(bin_dir: Path) -> str:
    """A PATH where ``uv`` is this test run's uv (the image has uv on its PATH too)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "uv"
    shim.write_text(f'#!/bin/sh\nexec {shlex.join(uv_command())} "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


# The SHELL the official Airflow image declares; images built FROM it inherit it for their RUN lines.
AIRFLOW_IMAGE_SHELL = ("bash", "-o", "pipefail", "-o", "errexit", "-o", "nounset", "-c")


def run_dockerfile_line(command: str, env: dict[str, str], cwd: Path) -> None:
    """A Dockerfile RUN line, verbatim, in the shell Docker runs it with in the Airflow image."""
    result = subprocess.run(
        [*AIRFLOW_IMAGE_SHELL, command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"RUN {command}\nfailed:\n{result.stdout}\n{result.stderr}"


def _copy_like_the_builder(dockerfile: Dockerfile, builder: Stage, source: Path) -> None:
    """What the builder stage's COPY lines put under ``CAPELLA_SRC``, put under ``source``."""
    for copy in builder.copies:
        destination = Path(dockerfile.expand(copy.destination, builder)).relative_to(
            builder.args["CAPELLA_SRC"]
        )
        target = source / destination
        for item in copy.sources:
            origin = REPO / item
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target / origin.name)


def build_image_env(root: Path) -> ImageEnv:
    """Stage 1: copy what the builder's COPY lines copy, run its RUN line. Stage 2: run the final RUN line
    with ``VIRTUAL_ENV`` (as the image sets it) pointing at a fresh venv that holds what the base image
    holds: Airflow, the amazon provider (from uv.lock) and :data:`IMAGE_BUNDLED`."""
    dockerfile = Dockerfile.parse()
    builder = next(stage for stage in dockerfile.stages if stage.name and stage.runs)
    source, dist = root / "src", root / "dist"
    _copy_like_the_builder(dockerfile, builder, source)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "VIRTUAL_ENV"))}
    env.update(PATH=_uv_on_path(root / "bin"), CAPELLA_SRC=str(source), CAPELLA_DIST=str(dist))
    for line in builder.runs:
        run_dockerfile_line(line, env, cwd=root)

    venv = root / "venv"
    python = fresh_airflow_venv(venv)
    run(*uv_command(), "pip", "install", "--quiet", "--python", str(python), *IMAGE_BUNDLED)
    airflow_version = run(str(python), "-c", PRINT_AIRFLOW_VERSION).strip()
    env.update(VIRTUAL_ENV=str(venv), AIRFLOW_VERSION=airflow_version)  # the image sets both
    for line in dockerfile.final.runs:
        run_dockerfile_line(line.replace("--no-cache ", ""), env, cwd=root)  # reuse uv's cache across runs
    return ImageEnv(
        venv=venv, wheel=next(dist.glob("airflow_provider_capella-*.whl")), airflow_version=airflow_version
    )


def image_environment(compose: Compose, home: Path) -> dict[str, str]:
    """The compose file's Airflow environment for a local process: same settings, but a scratch home and
    SQLite instead of the Postgres service (nothing here connects to a database)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update(compose.environment(COMMON_SERVICE))
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        AIRFLOW__CELERY__RESULT_BACKEND=f"db+sqlite:///{home}/celery.db",
    )
    return env


def probe_image(image: ImageEnv, compose: Compose, home: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Run ``image_probe.py`` in the image environment and return its JSON report."""
    home.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(image.python), str(PROBE)],
        input=json.dumps(request),
        env=image_environment(compose, home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"probe failed:\n{result.stdout}\n{result.stderr}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert isinstance(report, dict)
    return report
