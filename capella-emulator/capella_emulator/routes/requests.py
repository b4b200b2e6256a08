"""The routes tasking and repeat requests share: create, search, get, update and ``.../status``.

``add_request_routes(router, "/task", "/tasks/search", book)`` serves ``POST /task`` (201),
``POST /tasks/search``, ``GET|PATCH /task/{id}`` and ``PATCH /task/{id}/status`` from ``book(request)``,
a :class:`..request_book.RequestBook`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from capella_emulator.request_body import json_body
from capella_emulator.tasking_search import SearchPaging

BookOf = Callable[[Request], Any]


def add_request_routes(router: APIRouter, path: str, search_path: str, book: BookOf) -> None:
    """Register the five routes of one request kind on ``router`` (search before ``{id}``)."""

    @router.post(path, status_code=201)
    async def create(request: Request) -> JSONResponse:
        body = await json_body(request)
        return JSONResponse(book(request).create(body).feature(), status_code=201)

    @router.post(search_path)
    async def search(request: Request) -> JSONResponse:
        body = await json_body(request, empty={})
        return JSONResponse(book(request).search(body, SearchPaging.read(request.query_params, body)))

    @router.get(path + "/{request_id}")
    async def get(request: Request, request_id: str) -> JSONResponse:
        return JSONResponse(book(request).get(request_id).feature())

    @router.patch(path + "/{request_id}")
    async def update(request: Request, request_id: str) -> JSONResponse:
        body = await json_body(request)
        return JSONResponse(book(request).update(request_id, body).feature())

    @router.patch(path + "/{request_id}/status")
    async def change_status(request: Request, request_id: str) -> JSONResponse:
        body = await json_body(request)
        return JSONResponse(book(request).change_status(request_id, body).feature())
