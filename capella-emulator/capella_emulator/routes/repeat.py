"""Repeat request routes.

``/repeat-requests``, ``/repeat-requests/search``, ``/repeat-requests/{id}``,
``/repeat-requests/{id}/status``. Semantics (and the accelerated series clock) live in :mod:`..repeat`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from capella_emulator.repeat import RepeatBook
from capella_emulator.request_body import json_body
from capella_emulator.tasking_search import SearchPaging

router = APIRouter()


def _book(request: Request) -> RepeatBook:
    return request.app.state.emulator.tasking.repeats


@router.post("/repeat-requests", status_code=201)
async def create_repeat(request: Request) -> JSONResponse:
    body = await json_body(request)
    return JSONResponse(_book(request).create(body).feature(), status_code=201)


# Intended mirror of routes/tasking.py: /repeat-requests answers like /tasking-requests.
@router.post("/repeat-requests/search")
async def search_repeats(request: Request) -> JSONResponse:
    body = await json_body(request, empty={})
    return JSONResponse(_book(request).search(body, SearchPaging.read(request.query_params, body)))


@router.get("/repeat-requests/{repeat_id}")
async def get_repeat(request: Request, repeat_id: str) -> JSONResponse:
    return JSONResponse(_book(request).get(repeat_id).feature())


@router.patch("/repeat-requests/{repeat_id}")
async def update_repeat(request: Request, repeat_id: str) -> JSONResponse:
    body = await json_body(request)
    return JSONResponse(_book(request).update(repeat_id, body).feature())


@router.patch("/repeat-requests/{repeat_id}/status")
async def change_repeat_status(request: Request, repeat_id: str) -> JSONResponse:
    body = await json_body(request)
    return JSONResponse(_book(request).change_status(repeat_id, body).feature())
