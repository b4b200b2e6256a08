"""``GET /user``: who the API key belongs to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/user")
async def get_user(request: Request) -> dict[str, Any]:
    return request.app.state.emulator.user()
