"""``POST /orders/task/{taskingrequestId}`` (no body): an order for everything a tasking request produced."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from capella_emulator.task_orders import order_tasking_request

router = APIRouter()


@router.post("/orders/task/{task_id}")
async def order_task(request: Request, task_id: str) -> dict[str, Any]:
    return order_tasking_request(state := request.app.state.emulator, task_id).to_json(state.now())
