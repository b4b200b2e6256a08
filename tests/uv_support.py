"""uv for tests that build this package or install it somewhere fresh (packaging, Dockerfile).

Example::

    python = fresh_airflow_venv(tmp_path / "venv")   # Airflow and the locked runtime dependencies
    run(*uv_command(), "pip", "install", "--python", str(python), wheel)
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
        run(*uv, "export", "--frozen", "--no-hashes", "--no-dev", "--no-emit-project", "--all-extras")
    )
    python = venv / "bin" / "python"
    run(*uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements))
    return python
