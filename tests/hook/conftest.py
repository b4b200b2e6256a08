"""Hook tests: a ``capella_default`` connection (from the environment) pointing at the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_capella.hooks.capella import CapellaHook

FAST_RETRIES = {"retry_base_seconds": 0.01, "retry_cap_seconds": 0.05, "max_retries": 4}
POINT = {"type": "Point", "coordinates": [-105.27, 40.01]}


@pytest.fixture
def connect(capella_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., CapellaHook]:
    """A hook on a fresh ``capella_default`` connection; keyword arguments override its fields/extras."""

    def make(password: str | None = None, host: str | None = None, **extra: Any) -> CapellaHook:
        connection = json.loads(capella_emulator.airflow_connection(**{**FAST_RETRIES, **extra}))
        connection["host"] = host or connection["host"]
        connection["password"] = connection["password"] if password is None else password
        monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_DEFAULT", json.dumps(connection))
        return CapellaHook()

    return make


@pytest.fixture
def hook(connect: Callable[..., CapellaHook], capella_emulator: Any) -> Iterator[CapellaHook]:
    made = connect()
    capella_emulator.clear_requests()
    yield made
    made.close()
