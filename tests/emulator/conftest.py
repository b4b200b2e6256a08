"""Fixtures for the emulator tests: the official SDK in its own virtual environment, and a way to run it.

The SDK (``capella-console-client``) pins libraries that clash with Airflow's, so it never shares this
interpreter: ``sdk_python`` builds ``<repo>/.venv-sdk`` with uv once (and reuses it while it holds the pinned
version), and ``run_sdk`` runs ``sdk_driver.py`` there against the session's emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import uv_support

REPO = Path(__file__).resolve().parents[2]
SDK_DRIVER = Path(__file__).with_name("sdk_driver.py")
RESULT_MARKER = "SDK-RESULT "
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

SdkRunner = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    """The interpreter of the isolated SDK environment, created on first use."""
    return uv_support.sdk_python()


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
