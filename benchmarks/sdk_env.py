"""The official SDK in its own virtual environment (its pins clash with Airflow's), built with uv once."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

SDK_REQUIREMENT = "capella-console-client[s3]==0.20.1"
SDK_VERSION = "0.20.1"
# 0.20.1 asks for a certifi newer than some package indexes mirror; any certifi serves plain-HTTP calls to
# a local emulator, so the requirement is overridden rather than the SDK pinned older.
OVERRIDES = "certifi\n"


def uv_command() -> list[str]:
    if configured := os.environ.get("UV_COMMAND"):
        return shlex.split(configured)
    if found := shutil.which("uv"):
        return [found]
    return [sys.executable, "-m", "uv"]


def installed_version(python: Path) -> str | None:
    if not python.exists():
        return None
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, cloudpathlib; print(m.version('capella-console-client'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def sdk_python(venv: Path) -> Path:
    """The SDK environment's interpreter; ``venv`` is made with ``uv venv`` + ``uv pip install`` if needed."""
    python = venv / "bin" / "python"
    if installed_version(python) == SDK_VERSION:
        return python
    subprocess.run(
        [*uv_command(), "venv", "--quiet", "--clear", "--python", sys.executable, str(venv)], check=True
    )
    overrides = venv / "overrides.txt"
    overrides.write_text(OVERRIDES)
    install = [
        "pip",
        "install",
        "--quiet",
        "--python",
        str(python),
        "--override",
        str(overrides),
        SDK_REQUIREMENT,
    ]
    subprocess.run([*uv_command(), *install], check=True)
    if installed_version(python) != SDK_VERSION:
        raise RuntimeError(f"could not install {SDK_REQUIREMENT} into {venv}")
    return python
