"""The API's error shapes: every handled failure leaves the emulator as one of these, never as a 500."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """An error the real API would send: ``{"error": {"message", "code", "detail"?}}`` with an HTTP status.

    Example::

        raise ApiError(404, "NOT_FOUND", f"tasking request {task_id} not found")
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        detail: list[dict[str, Any]] | None = None,
        data: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.data = data

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.detail is not None:
            error["detail"] = self.detail
        if self.data is not None:
            error["data"] = self.data
        return {"error": error}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def validation_error(message: str, path: str = "") -> ApiError:
    """A 400 ``VALIDATION_ERROR`` naming the offending field."""
    return ApiError(
        400, "VALIDATION_ERROR", message, detail=[{"message": message, "code": "invalid", "path": path}]
    )


def not_found(kind: str, identifier: str) -> ApiError:
    """A 404 for an unknown id."""
    return ApiError(404, "NOT_FOUND", f"{kind} {identifier} not found")


def unauthorized() -> JSONResponse:
    """The gateway's 401: no code, just a message."""
    return JSONResponse({"message": "Unauthorized"}, status_code=401)
