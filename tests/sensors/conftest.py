"""Sensor tests (real Airflow, ``dag.test()``): a ``capella_default`` connection to the emulator, on a
fast tasking clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sensors.test_tasking_sensor import sensor_run  # noqa: F401  (shared with every sensor test)
from tests.triggers.support import STEP, Tasking, use_connection


@pytest.fixture
def tasking(capella_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Tasking:
    capella_emulator.settings(tasking_step_seconds=STEP)
    use_connection(monkeypatch, capella_emulator)
    return Tasking(capella_emulator)
