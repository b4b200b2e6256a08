"""Collect and tile routes: ``GET /collects/{id}``, ``GET /collects/status/{id}``, ``GET /tiles/list/{id}``.

``GET /collects/list/{taskingrequestId}`` stays with the tasking routes. Shapes are those of
:mod:`..collect_details` and :mod:`..tiles`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from capella_emulator.collect_details import collect_details, collect_status
from capella_emulator.tiles import request_tiles

router = APIRouter()


@router.get("/collects/status/{collect_id}")
async def get_collect_status(request: Request, collect_id: str) -> dict[str, Any]:
    return collect_status(request.app.state.emulator, collect_id)


@router.get("/collects/{collect_id}")
async def get_collect(request: Request, collect_id: str) -> dict[str, Any]:
    return collect_details(request.app.state.emulator, collect_id)


@router.get("/tiles/list/{task_id}")
async def list_tiles(request: Request, task_id: str) -> list[dict[str, Any]]:
    return request_tiles(request.app.state.emulator.tasking.get(task_id))
