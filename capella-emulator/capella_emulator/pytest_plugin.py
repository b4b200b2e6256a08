"""Pytest plugin (registered through the ``pytest11`` entry point): an in-process Capella emulator.

Example::

    def test_whoami(capella_emulator):
        response = requests.get(f"{capella_emulator.url}/user",
                                headers={"Authorization": f"ApiKey {capella_emulator.api_key}"})
        assert response.json()["email"]

Override ``capella_emulator_config`` in a ``conftest.py`` to start it with other settings, or mark a test
(or module, or class) to run it under other runtime settings and faults, reset after the test::

    @pytest.mark.capella_emulator(auto_approve_review=True)        # approve requests in review
    @pytest.mark.capella_emulator(order_processing_seconds=2)      # orders complete 2 s after placement
    @pytest.mark.capella_emulator(fault_429_rate=0.2, retry_after=0)  # a fifth of requests answered 429

Keys are the ``/_emulator/settings`` names and the :class:`~capella_emulator.config.FaultSettings` fields.
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "capella_emulator(**settings): run the test's emulator with these runtime settings and faults "
        "(e.g. auto_approve_review=True, order_processing_seconds=2, fault_429_rate=0.2)",
    )


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
def capella_emulator(
    capella_emulator_server: EmulatorHandle, request: pytest.FixtureRequest
) -> Iterator[EmulatorHandle]:
    """Give the session's emulator, reset to a fresh world for this test (with its marker's settings)."""
    from capella_emulator.config import FaultSettings

    capella_emulator_server.reset()
    wanted: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("capella_emulator"))):
        wanted.update(marker.kwargs)
    fault_names = set(FaultSettings().as_dict())
    faults = {name: value for name, value in wanted.items() if name in fault_names}
    settings = {name: value for name, value in wanted.items() if name not in fault_names}
    if settings:
        capella_emulator_server.settings(**settings)
    if faults:
        capella_emulator_server.set_faults(**faults)
    yield capella_emulator_server
    capella_emulator_server.reset()
