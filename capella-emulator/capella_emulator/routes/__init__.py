"""Routers of the emulator, one module per API resource."""

from __future__ import annotations

from capella_emulator.routes import (
    archive,
    assets,
    catalog,
    collects,
    control,
    feasibility,
    orders,
    repeat,
    task_orders,
    tasking,
    user,
)

ALL_ROUTERS = [
    control.router,
    user.router,
    catalog.router,
    orders.router,
    assets.router,
    tasking.router,
    repeat.router,
    feasibility.router,
    collects.router,
    task_orders.router,
    archive.router,
]
