"""``/_emulator/*``: the control surface tests and users drive the emulator with (no API key needed).

- ``GET /_emulator/health``                      -> ``{"status": "ok", "pid": <the server's process id>}``
- ``GET|POST /_emulator/faults``                 read or change fault settings (see ``FaultSettings``)
- ``GET|DELETE /_emulator/requests``             the request log (Authorization redacted) / clear it
- ``GET|POST /_emulator/settings``               budget, order/presign TTLs, tasking step, next-link host,
  search cap, reorder pricing, clock offset, review auto-approval, order processing time
- ``POST /_emulator/reset``                      fresh world from the same config
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request

from capella_emulator.errors import validation_error

router = APIRouter(prefix="/_emulator")

RUNTIME_SETTINGS = (
    "budget",
    "order_ttl_seconds",
    "presign_ttl_seconds",
    "tasking_step_seconds",
    "next_link_host",
    "asset_size",
    "max_items_per_query",
    "reorders_are_free",
    "free_products_priced",
    "clock_offset_seconds",
    "download_rate",
    "digest_format",
    "asset_revision",
    "change_assets_after",
    "auto_approve_review",
    "order_processing_seconds",
)


@router.get("/health")
async def health() -> dict[str, Any]:
    """Liveness, and whose: a launcher checks ``pid`` is the process it started."""
    return {"status": "ok", "pid": os.getpid()}


@router.get("/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    return request.app.state.emulator.config.faults.as_dict()


@router.post("/faults")
async def set_faults(request: Request, changes: dict[str, Any]) -> dict[str, Any]:
    faults = request.app.state.emulator.config.faults
    try:
        faults.update(changes)
    except ValueError as exc:
        raise validation_error(str(exc), "faults") from None
    return faults.as_dict()


@router.get("/requests")
async def get_requests(request: Request) -> list[dict[str, Any]]:
    return list(request.app.state.emulator.request_log)


@router.delete("/requests")
async def clear_requests(request: Request) -> dict[str, int]:
    log = request.app.state.emulator.request_log
    cleared = len(log)
    log.clear()
    return {"cleared": cleared}


@router.get("/settings")
async def get_settings(request: Request) -> dict[str, Any]:
    config = request.app.state.emulator.config
    return {name: getattr(config, name) for name in RUNTIME_SETTINGS}


@router.post("/settings")
async def set_settings(request: Request, changes: dict[str, Any]) -> dict[str, Any]:
    config = request.app.state.emulator.config
    unknown = set(changes) - set(RUNTIME_SETTINGS)
    if unknown:
        raise validation_error(f"unknown setting(s) {sorted(unknown)}; accepted: {list(RUNTIME_SETTINGS)}")
    for name, value in changes.items():
        setattr(config, name, value)
    return {name: getattr(config, name) for name in RUNTIME_SETTINGS}


@router.post("/reset")
async def reset(request: Request) -> dict[str, str]:
    request.app.state.emulator.reset()
    return {"status": "reset"}
