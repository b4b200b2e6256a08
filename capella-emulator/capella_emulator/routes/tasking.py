"""Tasking routes: ``/task``, ``/task/{id}``, ``/task/{id}/status``, ``/tasks/search``, ``/collects/list``.

``control_router`` adds ``POST /_emulator/tasks/{id}/outcome`` ``{"outcome": ..., "collects"?: N}`` to the
control surface (no API key): it re-plans the request towards that outcome (see :mod:`..tasking`). It is
included in ``router`` as well, so registering ``router`` alone serves it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from capella_emulator.errors import validation_error
from capella_emulator.request_body import json_body
from capella_emulator.tasking import TaskingBook
from capella_emulator.tasking_search import SearchPaging

router = APIRouter()
control_router = APIRouter(prefix="/_emulator")


def _book(request: Request) -> TaskingBook:
    return request.app.state.emulator.tasking


@router.post("/task", status_code=201)
async def create_task(request: Request) -> JSONResponse:
    body = await json_body(request)
    return JSONResponse(_book(request).create(body).feature(), status_code=201)


@router.get("/task/{task_id}")
async def get_task(request: Request, task_id: str) -> JSONResponse:
    return JSONResponse(_book(request).get(task_id).feature())


@router.patch("/task/{task_id}")
async def update_task(request: Request, task_id: str) -> JSONResponse:
    body = await json_body(request)
    return JSONResponse(_book(request).update(task_id, body).feature())


@router.patch("/task/{task_id}/status")
async def change_task_status(request: Request, task_id: str) -> JSONResponse:
    body = await json_body(request)
    return JSONResponse(_book(request).change_status(task_id, body).feature())


@router.post("/tasks/search")
async def search_tasks(request: Request) -> JSONResponse:
    body = await json_body(request, empty={})
    return JSONResponse(_book(request).search(body, SearchPaging.read(request.query_params, body)))


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
