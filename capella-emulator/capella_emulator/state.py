"""The emulator's whole mutable world: catalog, orders, tasking, repeat requests, faults and request log.

Handlers run on one asyncio event loop and never await while mutating, so the state needs no lock.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import deque
from typing import Any

from capella_emulator.archive_export import ArchiveExports
from capella_emulator.catalog import Catalog
from capella_emulator.config import EmulatorConfig
from capella_emulator.feasibility import AccessRequestBook
from capella_emulator.orders import OrderBook
from capella_emulator.tasking import TaskingBook

REQUEST_LOG_LIMIT = 20_000
ORGANIZATION_NAME = "Emulated Organization"


class EmulatorState:
    """One emulator's world, rebuilt from its config by :meth:`reset`.

    Example::

        state = EmulatorState(EmulatorConfig(seed=1, catalog_size=300))
        state.catalog.get("CAPELLA_C05_SP_GEO_HH_20230101120000_20230101120010")
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        config = self.config
        self.fault_rng = random.Random(config.seed)
        self.signing_secret = hashlib.sha256(f"emulator-signing-{config.seed}".encode()).digest()
        self.catalog = Catalog(seed=config.seed, size=config.catalog_size)
        self.orders = OrderBook(self)
        self.tasking = TaskingBook(self)
        self.access_requests = AccessRequestBook(self)
        self.archive_exports = ArchiveExports(self)
        self.request_log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_LIMIT)

    def now(self) -> float:
        """Return wall-clock seconds plus ``clock_offset_seconds`` (the tasking clock derives from it)."""
        return time.time() + float(self.config.clock_offset_seconds)

    def advance(self) -> None:
        """Materialise everything whose time has come (tasking steps, collects, derived requests)."""
        self.tasking.advance(self.now())

    def user(self) -> dict[str, Any]:
        """Answer ``GET /user``: the user, their organization and their API environment role."""
        config = self.config
        return {
            "id": config.user_id,
            "organizationId": config.organization_id,
            "email": config.email,
            "firstName": "Emulated",
            "lastName": "User",
            "roles": ["user"],
            "organization": {"id": config.organization_id, "name": ORGANIZATION_NAME},
            "apiEnvironmentRole": "production",
        }

    def owner_properties(self) -> dict[str, Any]:
        """Properties naming who owns a tasking or repeat request (``orgId``, not ``organizationId``)."""
        config = self.config
        return {
            "userId": config.user_id,
            "userName": "Emulated User",
            "orgId": config.organization_id,
            "organizationName": ORGANIZATION_NAME,
            "billingEnvironment": "production",
            "sandbox": False,
        }
