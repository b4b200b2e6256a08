"""Fixtures for the emulator tests: the official SDK in its own virtual environment, and a way to run it.

The SDK (``capella-console-client``) pins libraries that clash with Airflow's, so it never shares this
interpreter: ``sdk_python`` builds ``<repo>/.venv-sdk`` with uv once (and reuses it while it holds the pinned
version), and ``run_sdk`` runs ``sdk_driver.py`` there against the session's emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.uv_support import uv_command

REPO = Path(__file__).resolve().parents[2]
SDK_VENV = REPO / ".venv-sdk"
SDK_REQUIREMENT = "capella-console-client==0.20.1"
SDK_VERSION = SDK_REQUIREMENT.split("==")[1]
SDK_DRIVER = Path(__file__).with_name("sdk_driver.py")
RESULT_MARKER = "SDK-RESULT "
# 0.20.1 asks for a certifi released after the newest one some package indexes mirror; any certifi serves
# plain-HTTP calls to a local emulator, so the requirement is overridden rather than the SDK pinned older.
SDK_OVERRIDES = "certifi\n"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

SdkRunner = Callable[..., dict[str, Any]]


def _installed_sdk_version(python: Path) -> str | None:
    if not python.exists():
        return None
    probe = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('capella-console-client'))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def _run_uv(*args: str) -> None:
    result = subprocess.run(
        [*uv_command(), *args], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"uv {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    """The interpreter of the isolated SDK environment, created on first use."""
    python = SDK_VENV / "bin" / "python"
    if _installed_sdk_version(python) == SDK_VERSION:
        return python
    _run_uv("venv", "--quiet", "--clear", "--python", sys.executable, str(SDK_VENV))
    overrides = SDK_VENV / "sdk-overrides.txt"
    overrides.write_text(SDK_OVERRIDES)
    _run_uv(
        "pip", "install", "--quiet", "--python", str(python), "--override", str(overrides), SDK_REQUIREMENT
    )
    assert _installed_sdk_version(python) == SDK_VERSION
    return python


def _sdk_environment() -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in PROXY_VARIABLES}
    environment.pop("CAPELLA_API_KEY", None)
    environment["NO_PROXY"] = environment["no_proxy"] = "127.0.0.1,localhost"
    return environment


@pytest.fixture
def run_sdk(sdk_python: Path, capella_emulator: Any) -> SdkRunner:
    """Run one ``sdk_driver.py`` flow against this test's emulator; returns the flow's JSON result.

    Example::

        def test_whoami(run_sdk):
            assert run_sdk("auth")["whoami"]["email"]
    """

    def run(flow: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        payload = {"url": capella_emulator.url, "api_key": capella_emulator.api_key, **params}
        try:
            completed = subprocess.run(
                [str(sdk_python), str(SDK_DRIVER), flow],
                input=json.dumps(payload),
                capture_output=True,
                text=True,
                timeout=timeout,
                env=_sdk_environment(),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"SDK flow {flow!r} timed out after {timeout}s\n{_tail(exc.stderr)}", pytrace=False)
        lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARKER)]
        if completed.returncode != 0 or not lines:
            pytest.fail(
                f"SDK flow {flow!r} failed (exit {completed.returncode}):\n"
                f"{_tail(completed.stdout)}\n{_tail(completed.stderr)}",
                pytrace=False,
            )
        return json.loads(lines[-1][len(RESULT_MARKER) :])

    return run


def _tail(text: str | bytes | None, limit: int = 6000) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return (text or "")[-limit:]
