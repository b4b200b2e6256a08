"""Feasibility: ``POST /ma/accessrequests``, ``GET /ma/accessrequests/{id}``, ``GET /ma/accesses/{id}``.

The trailing-slash spellings Capella's own notebooks use (``POST /ma/accessrequests/``) are served too.
Shapes and timing are those of :mod:`..feasibility`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from capella_emulator.feasibility import AccessRequestBook
from capella_emulator.request_body import json_body

router = APIRouter()


def _book(request: Request) -> AccessRequestBook:
    return request.app.state.emulator.access_requests


@router.post("/ma/accessrequests", status_code=201)
@router.post("/ma/accessrequests/", status_code=201, include_in_schema=False)
async def create_access_request(request: Request) -> JSONResponse:
    body = await json_body(request)
    record = await _book(request).create_async(body)
    return JSONResponse(record.feature(request.app.state.emulator.now()), status_code=201)


@router.get("/ma/accessrequests/{access_request_id}")
async def get_access_request(request: Request, access_request_id: str) -> dict[str, Any]:
    return _book(request).get(access_request_id).feature(request.app.state.emulator.now())


@router.get("/ma/accesses/{access_request_id}")
async def list_accesses(request: Request, access_request_id: str) -> list[dict[str, Any]]:
    return _book(request).accesses(access_request_id)
