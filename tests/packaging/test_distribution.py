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
    run(*uv_command(), "build", "--all-packages", "--out-dir", str(out))
    return out


def _wheel(dist_dir: Path, name: str) -> tuple[list[str], str, str]:
    """The file names, entry points and METADATA of the wheel of distribution ``name``."""
    wheel = next(dist_dir.glob(f"{name}-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next((n for n in names if n.endswith("entry_points.txt")), None)
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        return (
            names,
            archive.read(entry_points).decode() if entry_points else "",
            archive.read(metadata).decode(),
        )


def test_provider_wheel_holds_the_provider_alone(dist_dir: Path) -> None:
    names, entry_points, metadata = _wheel(dist_dir, "airflow_provider_capella")
    assert "airflow_provider_capella/py.typed" in names
    packages = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert packages == {"airflow_provider_capella"}, packages
    assert not [name for name in names if "emulator" in name or "/testing/" in name]
    assert "[apache_airflow_provider]" in entry_points
    assert "pytest11" not in entry_points and "console_scripts" not in entry_points
    required = {
        line.split()[1].split(";")[0].split(">")[0].split("[")[0]
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    }
    assert required == {"apache-airflow", "requests", "tenacity", "boto3"}, required


def test_emulator_wheel_holds_the_emulator_its_command_and_fixture(dist_dir: Path) -> None:
    names, entry_points, _ = _wheel(dist_dir, "capella_emulator")
    assert "capella_emulator/app.py" in names and "capella_emulator/s3_server.py" in names
    assert not [name for name in names if name.startswith(("airflow_provider_capella/", "tests/", "dev/"))]
    assert "capella-emulator = capella_emulator.cli:main" in entry_points
    assert "capella_emulator = capella_emulator.pytest_plugin" in entry_points


def test_sdist_ships_sources_without_tests(dist_dir: Path) -> None:
    sdist = next(dist_dir.glob("airflow_provider_capella-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(name.endswith("airflow_provider_capella/py.typed") for name in names)
    assert any(name.endswith("pyproject.toml") for name in names)
    assert not [name for name in names if "/tests/" in name or "capella_emulator" in name]


def test_wheel_installs_beside_airflow_and_registers_the_provider(dist_dir: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = fresh_airflow_venv(venv)
    wheels = [
        next(dist_dir.glob(f"{name}-*.whl")) for name in ("airflow_provider_capella", "capella_emulator")
    ]
    run(*uv_command(), "pip", "install", "--quiet", "--python", str(python), *map(str, wheels))
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
