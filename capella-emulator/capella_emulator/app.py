"""The FastAPI application: routers, error shapes, and the ASGI layers for auth, faults and logging."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from capella_emulator.config import EmulatorConfig
from capella_emulator.errors import VALIDATION_MESSAGE, ApiError, issue
from capella_emulator.middleware import EmulatorMiddleware, install_quiet_drop_filter
from capella_emulator.state import EmulatorState


def create_app(config: EmulatorConfig | None = None) -> FastAPI:
    """Build an emulator app; serve it with uvicorn or :func:`.server.start_in_thread`.

    Example::

        app = create_app(EmulatorConfig(api_key="KEY"))
        uvicorn.run(app, port=8765)
    """
    from capella_emulator.routes import ALL_ROUTERS

    state = EmulatorState(config or EmulatorConfig())
    app = FastAPI(
        title="Capella API emulator", docs_url="/_emulator/docs", openapi_url="/_emulator/openapi.json"
    )
    app.state.emulator = state
    for router in ALL_ROUTERS:
        app.include_router(router)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(EmulatorMiddleware, state=state)
    install_quiet_drop_filter()
    return app


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail: list[dict[str, Any]] = [
        issue(
            str(error.get("msg", "invalid")),
            [part for part in error.get("loc", ()) if part not in ("body", "query", "path")],
            "invalid_type",
        )
        for error in exc.errors()
    ]
    return ApiError(400, "VALIDATION_ERROR", VALIDATION_MESSAGE, detail=detail).response()


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
    return ApiError(exc.status_code, code, str(exc.detail)).response()
