"""Repeat request routes.

``/repeat-requests``, ``/repeat-requests/search``, ``/repeat-requests/{id}``,
``/repeat-requests/{id}/status`` (shared with tasking: :mod:`.requests`). Semantics (and the accelerated
series clock) live in :mod:`..repeat`.
"""

from __future__ import annotations

from fastapi import APIRouter

from capella_emulator.routes.requests import add_request_routes

router = APIRouter()
add_request_routes(
    router, "/repeat-requests", "/repeat-requests/search", lambda r: r.app.state.emulator.tasking.repeats
)
