"""Tasking routes: ``/task``, ``/task/{id}``, ``/task/{id}/status``, ``/tasks/search``, ``/collects/list``.

The first four are shared with repeat requests (:mod:`.requests`).

``control_router`` adds ``POST /_emulator/tasks/{id}/outcome`` ``{"outcome": ..., "collects"?: N}`` to the
control surface (no API key): it re-plans the request towards that outcome (see :mod:`..tasking`). It is
included in ``router`` as well, so registering ``router`` alone serves it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from capella_emulator.errors import validation_error
from capella_emulator.request_body import json_body
from capella_emulator.routes.requests import add_request_routes
from capella_emulator.tasking import TaskingBook

router = APIRouter()
control_router = APIRouter(prefix="/_emulator")


def _book(request: Request) -> TaskingBook:
    return request.app.state.emulator.tasking


add_request_routes(router, "/task", "/tasks/search", _book)


@router.get("/collects/list/{task_id}")
async def list_collects(request: Request, task_id: str) -> JSONResponse:
    return JSONResponse(_book(request).collects_of(task_id))


@control_router.post("/tasks/{task_id}/outcome")
async def force_outcome(request: Request, task_id: str) -> JSONResponse:
    body = await json_body(request, empty={})
    if not isinstance(body, dict):
        raise validation_error("body must be an object like {'outcome': 'failed'}", "outcome")
    state = request.app.state.emulator
    state.advance()
    record = state.tasking.force_outcome(task_id, body.get("outcome"), body.get("collects"))
    return JSONResponse(record.feature())


router.include_router(control_router)
