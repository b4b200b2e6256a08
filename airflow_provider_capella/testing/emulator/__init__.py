"""An offline, stateful stand-in for api.capellaspace.com (catalog, orders, assets, tasking, repeats).

Example::

    from airflow_provider_capella.testing.emulator import EmulatorConfig, start_in_thread

    running = start_in_thread(EmulatorConfig(api_key="KEY", tasking_step_seconds=0.5))
    ...  # point a Capella connection at running.url
    running.stop()
"""

from __future__ import annotations

from airflow_provider_capella.testing.emulator.config import EmulatorConfig, FaultSettings
from airflow_provider_capella.testing.emulator.server import RunningEmulator, start_in_thread

__all__ = ["EmulatorConfig", "FaultSettings", "RunningEmulator", "start_in_thread"]
