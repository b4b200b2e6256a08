"""The built wheel and sdist are real: right contents, and they install beside Airflow and register."""

from __future__ import annotations

import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.uv_support import fresh_airflow_venv, run, uv_command


@pytest.fixture(scope="module")
def dist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(*uv_command(), "build", "--out-dir", str(out))
    return out


def test_wheel_ships_the_package_and_typing_marker_but_no_tests(dist_dir: Path) -> None:
    wheel = next(dist_dir.glob("airflow_provider_capella-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(name for name in names if name.endswith("entry_points.txt"))
        text = archive.read(entry_points).decode()
    assert "airflow_provider_capella/py.typed" in names
    assert "airflow_provider_capella/testing/emulator/app.py" in names
    assert not [name for name in names if name.startswith("tests/")]
    assert "[apache_airflow_provider]" in text
    assert "capella-emulator" in text


def test_sdist_ships_sources_without_tests(dist_dir: Path) -> None:
    sdist = next(dist_dir.glob("airflow_provider_capella-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(name.endswith("airflow_provider_capella/py.typed") for name in names)
    assert any(name.endswith("pyproject.toml") for name in names)
    assert not [name for name in names if "/tests/" in name]


def test_wheel_installs_beside_airflow_and_registers_the_provider(dist_dir: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = fresh_airflow_venv(venv)
    wheel = next(dist_dir.glob("airflow_provider_capella-*.whl"))
    run(*uv_command(), "pip", "install", "--quiet", "--python", str(python), str(wheel))
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow-home")}
    listing = run(str(venv / "bin" / "airflow"), "providers", "list", "--output", "json", env=env)
    listing = listing[listing.index("[{") :]  # Airflow may print a first-run notice before the JSON
    providers = {entry["package_name"]: entry for entry in json.loads(listing)}
    assert providers["airflow-provider-capella"]["version"] == "0.1.0"
    hooks_listing = run(str(venv / "bin" / "airflow"), "providers", "hooks", "--output", "json", env=env)
    hooks = json.loads(hooks_listing[hooks_listing.index("[{") :])
    capella = next(hook for hook in hooks if hook["connection_type"] == "capella")
    assert capella["class"] == "airflow_provider_capella.hooks.capella.CapellaHook"
    assert capella["hook_name"] == "Capella Space"
    emulator_help = run(str(venv / "bin" / "capella-emulator"), "--help", env=env)
    assert "--tasking-step-seconds" in emulator_help
