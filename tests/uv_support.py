"""uv for tests and benchmarks that install something somewhere fresh (packaging, Dockerfile, the SDK).

Example::

    python = fresh_airflow_venv(tmp_path / "venv")   # Airflow and the locked runtime dependencies
    run(*uv_command(), "pip", "install", "--python", str(python), wheel)
    sdk = sdk_python()                               # the official SDK, isolated in .venv-sdk
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def uv_command() -> list[str]:
    """uv as the Makefile found it (it exports UV_COMMAND), else from PATH, else as a module."""
    if configured := os.environ.get("UV_COMMAND"):
        return shlex.split(configured)
    if found := shutil.which("uv"):
        return [found]
    return [sys.executable, "-m", "uv"]


def run(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> str:
    """Run a command to completion; fail the test with its output when it fails. Returns stdout."""
    result = subprocess.run(
        [*args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def fresh_airflow_venv(venv: Path) -> Path:
    """A new virtual environment holding the locked runtime dependencies (Airflow, the amazon extra's
    provider) but not this project; returns its Python."""
    uv = uv_command()
    run(*uv, "venv", "--quiet", str(venv))
    requirements = venv.parent / f"{venv.name}-requirements.txt"
    requirements.write_text(
        run(*uv, "export", "--frozen", "--no-hashes", "--no-dev", "--no-emit-workspace", "--all-extras")
    )
    python = venv / "bin" / "python"
    run(*uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements))
    return python


SDK_VENV = REPO / ".venv-sdk"
SDK_VERSION = "0.20.1"
SDK_REQUIREMENT = f"capella-console-client[s3]=={SDK_VERSION}"  # [s3]: the benchmark writes into S3 too
# 0.20.1 asks for a certifi released after the newest one some package indexes mirror; any certifi serves
# plain-HTTP calls to a local emulator, so the requirement is overridden rather than the SDK pinned older.
SDK_OVERRIDES = "certifi\n"


def installed_sdk_version(python: Path) -> str | None:
    """The SDK version ``python`` can import (with its S3 extra), or ``None``."""
    if not python.exists():
        return None
    probe = "import importlib.metadata as m, cloudpathlib; print(m.version('capella-console-client'))"
    result = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else None


def sdk_python(venv: Path = SDK_VENV) -> Path:
    """The interpreter of the official SDK's own environment (its pins clash with Airflow's), built once."""
    python = venv / "bin" / "python"
    if installed_sdk_version(python) == SDK_VERSION:
        return python
    uv = uv_command()
    run(*uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(venv))
    overrides = venv / "sdk-overrides.txt"
    overrides.write_text(SDK_OVERRIDES)
    run(
        *uv,
        "pip",
        "install",
        "--quiet",
        "--python",
        str(python),
        "--override",
        str(overrides),
        SDK_REQUIREMENT,
    )
    installed = installed_sdk_version(python)
    assert installed == SDK_VERSION, f"could not install {SDK_REQUIREMENT} into {venv} (found {installed})"
    return python
