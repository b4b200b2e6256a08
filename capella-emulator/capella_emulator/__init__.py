"""An offline, stateful stand-in for api.capellaspace.com (catalog, orders, assets, tasking, repeats).

Example::

    from capella_emulator import EmulatorConfig, start_in_thread

    running = start_in_thread(EmulatorConfig(api_key="KEY", tasking_step_seconds=0.5))
    ...  # point a Capella connection at running.url
    running.stop()
"""

from __future__ import annotations

from capella_emulator.config import EmulatorConfig, FaultSettings
from capella_emulator.server import RunningEmulator, start_in_thread

__version__ = "0.1.0"

__all__ = ["EmulatorConfig", "FaultSettings", "RunningEmulator", "__version__", "start_in_thread"]
