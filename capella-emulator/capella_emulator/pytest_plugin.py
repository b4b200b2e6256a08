"""Pytest plugin (registered through the ``pytest11`` entry point): an in-process Capella emulator.

Example::

    def test_whoami(capella_emulator):
        response = requests.get(f"{capella_emulator.url}/user",
                                headers={"Authorization": f"ApiKey {capella_emulator.api_key}"})
        assert response.json()["email"]

Override ``capella_emulator_config`` in a ``conftest.py`` to start it with other settings.
"""

from __future__ import annotations

import copy
import json
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from capella_emulator import EmulatorConfig, RunningEmulator
    from capella_emulator.state import EmulatorState


class EmulatorHandle:
    """A running emulator as a test sees it: its URL and key, and the control surface.

    Example::

        capella_emulator.set_faults(fail_next_status=503, fail_next_count=2)
        capella_emulator.settings(budget=0)
        assert capella_emulator.requests(path="/user")
    """

    def __init__(self, running: RunningEmulator) -> None:
        self._running = running
        self.url: str = running.url
        self._pristine = copy.deepcopy(running.state.config)

    @property
    def state(self) -> EmulatorState:
        return self._running.state

    @property
    def api_key(self) -> str:
        return self.state.config.api_key

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"ApiKey {self.api_key}"}

    def airflow_connection(self, **extra: Any) -> str:
        """Return this emulator as an Airflow connection (JSON), e.g. for ``AIRFLOW_CONN_CAPELLA_DEFAULT``.

        Example::

            monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_DEFAULT",
                               capella_emulator.airflow_connection(retry_base_seconds=0.01))
        """
        connection = {"conn_type": "capella", "host": self.url, "password": self.api_key, "extra": extra}
        return json.dumps(connection)

    def _control(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.url}/_emulator{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        return self._control("POST", "/faults", faults)

    def settings(self, **settings: Any) -> dict[str, Any]:
        return self._control("POST", "/settings", settings)

    def requests(self, path: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        """Return the logged API/asset requests, optionally only those whose path starts with ``path``."""
        entries = self._control("GET", "/requests")
        return [
            entry
            for entry in entries
            if (path is None or entry["path"].startswith(path))
            and (method is None or entry["method"] == method)
        ]

    def clear_requests(self) -> None:
        self._control("DELETE", "/requests")

    def reset(self) -> None:
        """Back to the state the emulator started in: config, faults, catalog, orders, tasking, log."""
        state = self.state
        state.config = copy.deepcopy(self._pristine)
        state.reset()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--emulator-download-rate BYTES_PER_SEC``: the strict mode of slow presigned downloads."""
    parser.addoption("--emulator-download-rate", type=int, default=None, help="presigned bytes/s")


@pytest.fixture(scope="session")
def capella_emulator_config(pytestconfig: pytest.Config) -> EmulatorConfig:
    """Give the settings the session's emulator starts with; override this fixture to change them."""
    from capella_emulator import EmulatorConfig

    rate = pytestconfig.getoption("--emulator-download-rate")
    return EmulatorConfig(
        api_key="test-api-key", tasking_step_seconds=0.2, asset_size=256 * 1024, download_rate=rate
    )


@pytest.fixture(scope="session")
def capella_emulator_server(capella_emulator_config: EmulatorConfig) -> Iterator[EmulatorHandle]:
    """One emulator for the whole session, on a free port."""
    from capella_emulator import start_in_thread

    running = start_in_thread(capella_emulator_config)
    try:
        yield EmulatorHandle(running)
    finally:
        running.stop()


@pytest.fixture
def capella_emulator(capella_emulator_server: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """Give the session's emulator, reset to a fresh world for this test."""
    capella_emulator_server.reset()
    yield capella_emulator_server
    capella_emulator_server.reset()
