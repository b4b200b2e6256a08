"""The built wheel and sdist are real: right contents, and they install beside Airflow and register."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella import __version__
from dev.check_dist import check, wheel_contents
from tests.uv_support import REPO, run, uv_command

pytestmark = pytest.mark.slow  # builds the distributions and a fresh virtual environment


@pytest.fixture(scope="module")
def dist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both distributions built as ``make dist`` builds them."""
    out = tmp_path_factory.mktemp("dist")
    run(*uv_command(), "build", "--all-packages", "--out-dir", str(out))
    return out


def test_each_distribution_holds_what_it_should(dist_dir: Path) -> None:
    assert check(dist_dir) == []
    names, _, headers = wheel_contents(next(dist_dir.glob("airflow_provider_capella-*.whl")))
    assert "airflow_provider_capella/py.typed" in names
    assert {"Documentation", "Source", "Changelog", "Issues"} <= {
        url.split(",")[0] for url in headers["Project-URL"]
    }
    assert "Programming Language :: Python :: 3.10" in headers["Classifier"]


def test_the_check_catches_an_emulator_file_in_the_provider_wheel(dist_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "dist"
    shutil.copytree(dist_dir, bad)
    wheel = next(bad.glob("airflow_provider_capella-*.whl"))
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr("capella_emulator/app.py", "")
    assert check(bad) == ["provider wheel holds capella_emulator/app.py", \
        "provider wheel holds the packages ['airflow_provider_capella', 'capella_emulator']"]  # fmt: skip


def test_sdist_ships_sources_without_tests(dist_dir: Path) -> None:
    sdist = next(dist_dir.glob("airflow_provider_capella-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(name.endswith("airflow_provider_capella/py.typed") for name in names)
    assert any(name.endswith("CHANGELOG.md") for name in names)
    assert not [name for name in names if "/tests/" in name or "capella_emulator" in name]


def test_the_wheel_installs_into_an_existing_airflow_with_its_constraints(
    dist_dir: Path, tmp_path: Path
) -> None:
    """As a user does: the locked Airflow, pinned by a constraints file (made offline from uv.lock, as
    Airflow's own constraints file cannot be downloaded here), then the provider's wheel beside it."""
    constraints = tmp_path / "constraints.txt"
    export = ["export", "--frozen", "--no-hashes", "--no-dev", "--no-emit-workspace", "--all-extras"]
    constraints.write_text(run(*uv_command(), *export))
    pins = constraints.read_text().splitlines()
    airflow_pin = next(line for line in pins if line.startswith("apache-airflow=="))
    venv = tmp_path / "venv"
    run(*uv_command(), "venv", "--quiet", str(venv))
    install = [*uv_command(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
    run(*install, airflow_pin, "-c", str(constraints))
    wheel = next(dist_dir.glob("airflow_provider_capella-*.whl"))
    run(*install, f"{wheel}[amazon]", "-c", str(constraints))
    airflow = str(venv / "bin" / "airflow")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(tmp_path / "airflow-home")
    env |= {"AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "example_dags")}

    providers = _json(run(airflow, "providers", "list", "--output", "json", env=env))
    versions = {entry["package_name"]: entry["version"] for entry in providers}
    assert versions["airflow-provider-capella"] == __version__
    hooks = _json(run(airflow, "providers", "hooks", "--output", "json", env=env))
    capella = next(hook for hook in hooks if hook["connection_type"] == "capella")
    assert capella["class"] == "airflow_provider_capella.hooks.capella.CapellaHook"
    # every example DAG parses with nothing but Airflow and the provider installed (no emulator, no tests)
    run(airflow, "db", "migrate", env=env)
    run(airflow, "dags", "reserialize", env=env)  # parses the DAGs folder into the metadata database
    assert "No data found" in run(airflow, "dags", "list-import-errors", env=env)
    listed = {dag["dag_id"] for dag in _json(run(airflow, "dags", "list", "--output", "json", env=env))}
    assert {path.stem for path in (REPO / "example_dags").glob("capella_*.py")} <= listed


def _json(output: str) -> list[dict[str, Any]]:
    """The JSON list an Airflow command printed (Airflow may print a first-run notice before it)."""
    return list(json.loads(output[output.index("[{") :]))
